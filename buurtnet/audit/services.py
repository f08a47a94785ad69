"""Writing, searching and purging the audit log.

`record()` is one INSERT in the caller's transaction. It is not wrapped in a try: when the
entry cannot be written the request fails, because an unlogged read of personal data is
not allowed. It never stores what someone typed (a search may be a name): only that a
search happened and how many it found.

The address an entry comes from is REMOTE_ADDR. Behind a reverse proxy set
`TRUSTED_PROXY_COUNT` to the number of proxies in front of Django that append to
X-Forwarded-For; the client is then the address that many places from the right.
X-Forwarded-For is never read without that setting (anyone can send the header).
"""

import ipaddress
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from buurtnet.networks.permissions import Standing

from .models import ActorLabel, AuditAction, AuditEvent

Action = AuditAction  # callers write `audit.record(person, audit.Action.VIEW_REPORT, report)`

DEFAULT_RETENTION_DAYS = 730
PURGE_SETTING = "buurtnet.audit_purge"

# The address of the request being handled, for entries written by services that do not
# receive the request (a status change, a plan approval). Set on request_started.
_request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


# --- Where a request comes from ---------------------------------------------------------------


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(meta) -> str | None:
    """The client's address from a request's META (or a WSGI environ)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [h for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return _valid_ip(hops[-proxies])
    return _valid_ip(meta.get("REMOTE_ADDR"))


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


def actor_label(actor, network=None, zone_id: int | None = None) -> str:
    """In which capacity the actor acted here: their role in the BIN, else their zone or
    municipality, else platform admin. Uses the cached Standing (no queries in a view)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ActorLabel.SYSTEM
    standing = Standing.of(actor)
    role = standing.role_in(network) if network is not None else None
    if role:
        return role
    if zone_id is not None and zone_id in standing.zone_ids:
        return ActorLabel.ZONE_STAFF
    if standing.is_superuser:
        return ActorLabel.ADMIN
    if network is not None and network.municipality_id in standing.partner_municipality_ids:
        return ActorLabel.MUNICIPAL
    if network is None:
        # A page over several BINs (the absence watch): the highest role they hold.
        held = set(standing.network_roles.values())
        for role in (ActorLabel.OFFICER, ActorLabel.COORDINATOR, ActorLabel.STEERING):
            if role in held:
                return role
    return ActorLabel.PERSON


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


def may_search(person) -> bool:
    standing = Standing.of(person)
    return standing.is_superuser or bool(standing.zone_ids)


def visible_events(person) -> QuerySet[AuditEvent]:
    """The platform admin sees every entry; zone staff the entries of their zones."""
    standing = Standing.of(person)
    events = AuditEvent.objects.select_related("actor", "network", "zone")
    if standing.is_superuser:
        return events
    if not standing.zone_ids:
        return events.none()
    return events.filter(zone_id__in=standing.zone_ids)


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
