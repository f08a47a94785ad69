from django.contrib import admin

from .models import AbsenceSettings


@admin.register(AbsenceSettings)
class AbsenceSettingsAdmin(admin.ModelAdmin):
    """Only the zones' settings: the absences themselves (addresses of empty homes) are
    for the officer of the BIN and the zone's staff, not for the platform's admin."""

    list_display = ["zone", "open_to_residents", "max_days", "retention_days", "lookahead_days"]
