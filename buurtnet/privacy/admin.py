from django.contrib import admin

from .models import Consent


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "version", "network", "given_at", "withdrawn_at"]
    list_filter = ["kind", "version"]
    raw_id_fields = ["person", "network"]
