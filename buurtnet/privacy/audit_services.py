"""Who reads the audit log, and which entries: the platform admin every entry, zone staff
those of their zones.

Here, not in the audit app: the audit app sits below the networks (they write entries) and
cannot ask a person's Standing; reading the log by zone is part of being accountable for
personal data, which is this app's concern.
"""

from django.db.models import QuerySet

from buurtnet.audit.models import AuditEvent
from buurtnet.networks.permissions import Standing


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
