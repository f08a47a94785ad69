from django import forms

from .models import RetentionPolicy
from .services import FIELDS


class PolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = list(FIELDS)
