import json

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import geo
from .models import (
    Membership,
    Municipality,
    MunicipalPartner,
    Network,
    NetworkStatusChange,
    PoliceZone,
    Street,
    ZoneStaff,
)


@admin.register(PoliceZone)
class PoliceZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "map_tiles"]
    search_fields = ["name", "code"]
    fieldsets = [
        (None, {"fields": ["name", "code"]}),
        (_("Base map"), {"fields": ["map_tiles", "map_tiles_attribution"]}),
    ]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "nis_code", "zone", "has_outline"]
    list_filter = ["zone"]
    search_fields = ["name", "nis_code"]
    fields = ["name", "nis_code", "zone", "area"]

    @admin.display(boolean=True, description=_("outline"))
    def has_outline(self, municipality: Municipality) -> bool:
        return municipality.area is not None


class NetworkAdminForm(forms.ModelForm):
    class Meta:
        model = Network
        fields = [
            "name",
            "municipality",
            "kind",
            "area",
            "status",
            "agreement_signed_on",
            "charter",
            "charter_version",
        ]

    def clean_area(self):
        area = self.cleaned_data["area"]
        if isinstance(area, str):
            area = json.loads(area)
        geo.validate_area(area)
        return area


class StatusChangeInline(admin.TabularInline):
    model = NetworkStatusChange
    extra = 0
    readonly_fields = ["status", "changed_at", "changed_by", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        # Written by Network.move_to only, with the move it records.
        return False


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    form = NetworkAdminForm
    list_display = ["name", "municipality", "kind", "status", "agreement_signed_on"]
    list_filter = ["status", "kind", "municipality__zone", "municipality"]
    search_fields = ["name"]
    inlines = [StatusChangeInline]

    def get_readonly_fields(self, request, obj=None):
        # A BIN's status moves only along Network.ALLOWED_MOVES, with its history and audit
        # entry: through the governance pages, never by editing the field here.
        if obj is not None:
            return [*super().get_readonly_fields(request, obj), "status"]
        return super().get_readonly_fields(request, obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "network", "role", "status", "applied_at", "decided_at"]
    list_filter = ["role", "status"]
    search_fields = ["person__full_name", "person__email", "network__name"]
    raw_id_fields = ["person", "network", "decided_by"]
    list_select_related = ["person", "network"]
    # A function is given by a members' meeting's decision or by the officer's documented
    # emergency handover (governance), never by editing the membership here.
    readonly_fields = ["role", "how_the_role_changes"]

    def get_readonly_fields(self, request, obj=None):
        # Moving a coordinator's membership to another person or BIN would move the role.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "person", "network"] if obj is not None else fields

    @admin.display(description=_("How the role changes"))
    def how_the_role_changes(self, obj) -> str:
        return _(
            "The coordinator and the steering group are confirmed by a vote in a members' "
            "meeting, or the coordinator by the officer's emergency handover: see the BIN's "
            "meetings and governance page. The role cannot be changed here."
        )

    def save_model(self, request, obj, form, change) -> None:
        """Every status the admin changes goes into the audit log."""
        super().save_model(request, obj, form, change)
        changed = [name for name in ("role", "status") if name in form.changed_data]
        if changed:
            from buurtnet.audit import services as audit

            action = (
                audit.Action.CHANGE_ROLE if "role" in changed else audit.Action.CHANGE_MEMBERSHIP
            )
            audit.record(
                request.user,
                action,
                obj,
                request=request,
                network=obj.network,
                detail={name: getattr(obj, name) for name in changed},
            )


@admin.register(ZoneStaff)
class ZoneStaffAdmin(admin.ModelAdmin):
    list_display = ["person", "zone", "function"]
    raw_id_fields = ["person"]


@admin.register(MunicipalPartner)
class MunicipalPartnerAdmin(admin.ModelAdmin):
    list_display = ["person", "municipality", "function"]
    raw_id_fields = ["person"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["name", "postcode", "municipality"]
    search_fields = ["name", "postcode"]
