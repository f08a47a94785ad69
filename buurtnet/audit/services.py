"""Writing, searching and purging the audit log.

`record()` is one INSERT in the caller's transaction. It is not wrapped in a try: when the
entry cannot be written the request fails, because an unlogged read of personal data is
not allowed. It never stores what someone typed (a search may be a name): only that a
search happened and how many it found.

The address an entry comes from is the request's client address (`buurtnet.common.client_ip`
says how a reverse proxy is trusted).

The audit app sits below the networks (they write entries), so it cannot ask a person's
`Standing` itself: in which capacity an actor acted is answered by the function the networks
register (`register_actor_labeller`), and the audit-log page, which shows entries by zone, is
`buurtnet.privacy.audit_views`.
"""

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from buurtnet.common.client_ip import client_ip

from .models import ActorLabel, AuditAction, AuditEvent

Action = AuditAction  # callers write `audit.record(person, audit.Action.VIEW_REPORT, report)`

DEFAULT_RETENTION_DAYS = 730
PURGE_SETTING = "buurtnet.audit_purge"

# The address of the request being handled, for entries written by services that do not
# receive the request (a status change, a plan approval). Set on request_started.
_request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)

# (actor, network or None, zone id or None) -> an ActorLabel; see register_actor_labeller.
ActorLabeller = Callable[[object, object, int | None], str]
_actor_labeller: ActorLabeller | None = None


# --- Where a request comes from ---------------------------------------------------------------


def request_started(sender, environ=None, scope=None, **kwargs) -> None:
    if environ is not None:
        _request_ip.set(client_ip(environ))
    elif scope is not None:
        headers = {k.decode("latin1").lower(): v.decode("latin1") for k, v in scope["headers"]}
        meta = {
            "REMOTE_ADDR": (scope.get("client") or [None])[0],
            "HTTP_X_FORWARDED_FOR": headers.get("x-forwarded-for", ""),
        }
        _request_ip.set(client_ip(meta))


def request_finished(sender, **kwargs) -> None:
    _request_ip.set(None)


# --- Writing ------------------------------------------------------------------------------------


def register_actor_labeller(labeller: ActorLabeller) -> None:
    """Called once at start-up by the networks app, which knows roles (its `Standing`)."""
    global _actor_labeller
    _actor_labeller = labeller


def actor_label(actor, network=None, zone_id: int | None = None) -> str:
    """In which capacity the actor acted here (their role in the BIN, staff of the zone,
    platform admin…), as the registered labeller says; the system when nobody acted."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ActorLabel.SYSTEM
    if _actor_labeller is None:
        return ActorLabel.PERSON
    return _actor_labeller(actor, network, zone_id)


def record(
    actor,
    action: str,
    obj=None,
    *,
    request=None,
    network=None,
    zone=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Write one entry. `obj` is what was read or changed (its type and id are kept);
    `network` and `zone` scope the entry (the zone is taken from the network when not
    given); `detail` is a small dict of ids, counts and codes, never personal data."""
    zone_id = getattr(zone, "pk", zone)
    if zone_id is None and network is not None:
        zone_id = network.municipality.zone_id
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label(actor, network, zone_id),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        zone_id=zone_id,
        network=network,
        ip=client_ip(request.META) if request is not None else _request_ip.get(),
        detail=detail or {},
    )


# --- Reading -----------------------------------------------------------------------------------


def search(
    events: QuerySet[AuditEvent],
    *,
    actor: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    object_type: str = "",
    object_id: str = "",
) -> QuerySet[AuditEvent]:
    """Narrow entries down; `until` is exclusive."""
    actor = actor.strip()
    if actor:
        events = events.filter(Q(actor__full_name__icontains=actor) | Q(actor__email__iexact=actor))
    if action:
        events = events.filter(action=action)
    if since:
        events = events.filter(at__gte=since)
    if until:
        events = events.filter(at__lt=until)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id.strip():
        events = events.filter(object_id=object_id.strip())
    return events


# --- Retention ---------------------------------------------------------------------------------


def retention_days() -> int:
    return getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)


def purge(now: datetime | None = None, days: int | None = None) -> int:
    """Delete the entries older than the retention period; return how many.

    The only way rows leave the table. On PostgreSQL the append-only trigger lets a DELETE
    through only while this transaction has set `buurtnet.audit_purge`; it is set back
    right after, so nothing else in the same transaction profits from it."""
    days = retention_days() if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    postgres = connection.vendor == "postgresql"
    # A failure rolls the savepoint back, and the setting with it.
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])
        cursor.execute(
            f"DELETE FROM {table} WHERE at < %s",  # noqa: S608 (the table name is ours)
            [connection.ops.adapt_datetimefield_value(cutoff)],
        )
        deleted = cursor.rowcount
        if postgres:
            cursor.execute("SELECT set_config(%s, 'off', true)", [PURGE_SETTING])
    return deleted
