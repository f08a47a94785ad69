"""Form fields shared by several apps."""

from django import forms


class IdChoiceField(forms.ModelMultipleChoiceField):
    """Refuses values that are not plausible ids before they reach the database (SQLite
    overflows on an integer past 64 bits instead of answering "no such row")."""

    def _check_values(self, value):
        for item in value:
            text = str(item)
            if not text.isdigit() or int(text) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super()._check_values(value)
