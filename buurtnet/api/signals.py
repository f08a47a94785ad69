"""A change of role revokes the person's API tokens.

A token made as a member must never act for an officer, and one made by an officer must
not outlive the function. The rows that carry roles are watched here, so that the apps
that change them (networks, governance, privacy, the admin) need not know about tokens:
a membership's function (coordinator, steering group or officer while approved), a place
as zone staff (or chief of police), a municipal partnership and the administrator flag.

Only `save()` and `delete()` send these signals; `QuerySet.update()` and `bulk_create()` do
not, so a path that changes roles must not use them.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    MunicipalPartner,
    Network,
    Role,
    ZoneStaff,
)

from .services import revoke_for_role_change

FUNCTIONS = frozenset({Role.COORDINATOR, Role.STEERING, Role.OFFICER})
BEFORE = "_api_role_before"


def function_of(role: str, status: str) -> str | None:
    """The function a membership gives on the site: a paused coordinator or officer acts
    as a member, an application or a past membership gives none."""
    return role if status == MembershipStatus.APPROVED and role in FUNCTIONS else None


def _watches(update_fields, *names: str) -> bool:
    return update_fields is None or any(name in update_fields for name in names)


def _started_at(origin, model) -> bool:
    """The deletion started at a row (or a queryset) of this model."""
    if isinstance(origin, QuerySet):
        return origin.model is model
    return isinstance(origin, model)


def _revoke_after_delete(instance, model, cause: str, origin, zone_of) -> None:
    if _started_at(origin, get_user_model()):
        return  # the person is deleted, and their tokens with them
    if _started_at(origin, model):
        revoke_for_role_change(instance.person_id, cause=cause, zones_left=lambda: [zone_of()])
    else:
        # A zone, municipality or BIN is being deleted and may already be gone from this
        # transaction: the entry is not scoped to it.
        revoke_for_role_change(instance.person_id, cause=cause, scoped=False)


# --- Memberships -------------------------------------------------------------------------------


def _network_zone(network_id: int) -> int:
    return Network.objects.filter(pk=network_id).values_list("municipality__zone_id", flat=True)[0]


@receiver(pre_save, sender=Membership, dispatch_uid="api_membership_before")
def remember_membership_function(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None or not _watches(update_fields, "role", "status"):
        return
    before = Membership.objects.filter(pk=instance.pk).values_list("role", "status").first()
    setattr(instance, BEFORE, function_of(*before) if before else None)


@receiver(post_save, sender=Membership, dispatch_uid="api_membership_after")
def revoke_on_membership_change(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not (created or _watches(update_fields, "role", "status")):
        return
    before = None if created else getattr(instance, BEFORE, None)
    if before != function_of(instance.role, instance.status):
        revoke_for_role_change(
            instance.person_id,
            cause="membership",
            zones_left=lambda: [_network_zone(instance.network_id)],
        )


@receiver(post_delete, sender=Membership, dispatch_uid="api_membership_deleted")
def revoke_on_membership_deleted(sender, instance, origin=None, **kwargs):
    if function_of(instance.role, instance.status):
        _revoke_after_delete(
            instance,
            Membership,
            "membership",
            origin,
            lambda: _network_zone(instance.network_id),
        )


# --- Zone staff and municipal partners ---------------------------------------------------------


def _place(instance) -> tuple:
    """(person, zone, what else gives power): what a change of revokes the tokens."""
    if isinstance(instance, ZoneStaff):
        return (instance.person_id, instance.zone_id, instance.is_chief)
    return (instance.person_id, instance.municipality.zone_id, instance.municipality_id)


def _cause(model) -> str:
    return "zone_staff" if model is ZoneStaff else "municipal_partner"


@receiver(pre_save, sender=ZoneStaff, dispatch_uid="api_zone_staff_before")
@receiver(pre_save, sender=MunicipalPartner, dispatch_uid="api_partner_before")
def remember_place(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    fields = (
        ("person_id", "zone_id", "is_chief")
        if sender is ZoneStaff
        else ("person_id", "municipality__zone_id", "municipality_id")
    )
    setattr(instance, BEFORE, sender.objects.filter(pk=instance.pk).values_list(*fields).first())


@receiver(post_save, sender=ZoneStaff, dispatch_uid="api_zone_staff_after")
@receiver(post_save, sender=MunicipalPartner, dispatch_uid="api_partner_after")
def revoke_on_place_change(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = None if created else getattr(instance, BEFORE, None)
    after = _place(instance)
    if before == after:
        return
    zones = [after[1]] + ([before[1]] if before else [])
    if before is not None and before[0] != after[0]:
        revoke_for_role_change(before[0], cause=_cause(sender), zones_left=lambda: zones)
    revoke_for_role_change(after[0], cause=_cause(sender), zones_left=lambda: zones)


@receiver(post_delete, sender=ZoneStaff, dispatch_uid="api_zone_staff_deleted")
@receiver(post_delete, sender=MunicipalPartner, dispatch_uid="api_partner_deleted")
def revoke_on_place_deleted(sender, instance, origin=None, **kwargs):
    _revoke_after_delete(instance, sender, _cause(sender), origin, lambda: _place(instance)[1])


# --- Platform administrators -------------------------------------------------------------------


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="api_superuser_before")
def remember_superuser(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None or not _watches(update_fields, "is_superuser"):
        return
    before = sender.objects.filter(pk=instance.pk).values_list("is_superuser", flat=True).first()
    setattr(instance, BEFORE, before)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="api_superuser_after")
def revoke_on_superuser_change(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or created or not _watches(update_fields, "is_superuser"):
        return
    before = getattr(instance, BEFORE, None)
    if before is not None and before != instance.is_superuser:
        revoke_for_role_change(instance.pk, cause="administrator")
