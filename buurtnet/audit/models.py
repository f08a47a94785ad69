"""The audit log: who read or changed what, when and from where.

Append-only. The application can add entries and read them, nothing else: `save()` of an
existing row, `delete()`, and the queryset's `update()` and `delete()` raise
`AppendOnlyError`, and so do `bulk_create` that would overwrite (`update_conflicts`) and
the queryset's raw delete. On PostgreSQL a trigger (migration 0002) refuses updates and
deletes at the database as well. This guards against mistakes in the application, not
against someone holding the application's database credentials, who owns the table (a
separate database role without UPDATE or DELETE would be needed for that). Two
exceptions, both in the trigger too:

- a person, BIN or zone that is deleted leaves its entries in place with the link set to
  NULL (`actor_label` keeps the role, so the entry still says "an officer did this");
- the retention purge (`services.purge`) deletes entries older than the retention period.

An entry never holds personal data beyond ids: no names typed in a search, no contents.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit entry."""


# The links a deletion elsewhere may set to NULL; every other column stays as written.
NULLABLE_LINKS = frozenset({"actor", "actor_id", "zone", "zone_id", "network", "network_id"})


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Only the cascade of a deleted person, BIN or zone (on_delete=SET_NULL) may pass.
        if kwargs and all(k in NULLABLE_LINKS and v is None for k, v in kwargs.items()):
            return super().update(**kwargs)
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries cannot be deleted; the retention purge does that.")

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit entries cannot be changed.")

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            raise AppendOnlyError("Audit entries cannot be overwritten.")
        return super().bulk_create(objs, *args, **kwargs)

    def _raw_delete(self, using):
        raise AppendOnlyError("Audit entries cannot be deleted; the retention purge does that.")


AuditManager = models.Manager.from_queryset(AuditQuerySet)


class AuditAction(models.TextChoices):
    VIEW_MEMBER_CONTACT = "view_member_contact", _("Viewed members' contact details")
    EXPORT_MEMBERS = "export_members", _("Exported a member list")
    SEARCH_PEOPLE = "search_people", _("Searched people")
    VIEW_REPORT = "view_report", _("Opened a report")
    VIEW_ABSENCES = "view_absences", _("Viewed the absence watch list")
    CHANGE_ROLE = "change_role", _("Changed a role")
    CHANGE_MEMBERSHIP = "change_membership", _("Changed a membership")
    CHANGE_PLAN = "change_plan", _("Changed a communication plan")
    CHANGE_REPORT = "change_report", _("Changed a report")
    CHANGE_NETWORK = "change_network", _("Changed a BIN's status")
    GOVERNANCE = "governance", _("Recorded a governance step")
    VIEW_GOVERNANCE = "view_governance", _("Opened a coordinator's case")
    CREATE_API_TOKEN = "create_api_token", _("Created an API token")
    REVOKE_API_TOKEN = "revoke_api_token", _("Revoked an API token")


class ActorLabel(models.TextChoices):
    """In which capacity the actor acted; kept when the person is erased."""

    MEMBER = "member", _("Member")
    STEERING = "steering", _("Steering group")
    COORDINATOR = "coordinator", _("Coordinator")
    OFFICER = "officer", _("Mandated officer")
    ZONE_STAFF = "zone_staff", _("Zone staff")
    MUNICIPAL = "municipal", _("Municipal partner")
    ADMIN = "admin", _("Platform administrator")
    PERSON = "person", _("Person")
    SYSTEM = "system", _("System")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("as"), max_length=16, choices=ActorLabel.choices)
    action = models.CharField(_("what"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    zone = models.ForeignKey(
        "networks.PoliceZone",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("zone"),
    )
    network = models.ForeignKey(
        "networks.Network",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("BIN"),
    )
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditManager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        # Deletions elsewhere reach these rows through the same guarded queryset.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["zone", "-at"], name="audit_zone_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("Audit entries cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted; the retention purge does that.")
