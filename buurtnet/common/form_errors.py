"""Putting a service's ValidationError on the form that collected the input."""

from django.core.exceptions import ValidationError


def apply_errors(form, exc: ValidationError) -> None:
    """Errors for a field the form has go next to that field; the rest on top of the form.
    Services name fields by their own names, so a form that names them alike gets them
    where the person typed."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)
