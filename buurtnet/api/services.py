"""Creating, revoking and checking personal API tokens; the rate limits.

A token acts as its person, so it follows the rules the site applies to that person's
session: police and staff (who must log in with a second factor) may use only a token made
in a session that passed the second factor, only while they still have one, and only for
`API_STAFF_TOKEN_DAYS` after it was made. A change of role revokes the person's tokens
(`signals.py`): a token made as a member never works for an officer.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buurtnet.audit import services as audit
from buurtnet.audit.models import AuditAction
from buurtnet.networks.middleware import SECOND_FACTOR_TYPES
from buurtnet.networks.models import Membership, MembershipStatus, MunicipalPartner, ZoneStaff
from buurtnet.networks.permissions import Standing

from .models import TOKEN_PREFIX, ApiToken, hash_token

AUDIT_CREATE_TOKEN = AuditAction.CREATE_API_TOKEN
AUDIT_REVOKE_TOKEN = AuditAction.REVOKE_API_TOKEN

# Writing last_used_at on every call would make every read a write; a minute is precise
# enough to tell a token in use from a forgotten one.
LAST_USED_PRECISION = timedelta(minutes=1)

DEFAULT_RATE_LIMIT = "120/minute"
# All of one person's tokens together: two systems at full speed, not five.
DEFAULT_PERSON_RATE_LIMIT = "240/minute"
DEFAULT_MAX_TOKENS_PER_PERSON = 5
DEFAULT_STAFF_TOKEN_DAYS = 30
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def max_tokens_per_person() -> int:
    return getattr(settings, "API_MAX_TOKENS_PER_PERSON", DEFAULT_MAX_TOKENS_PER_PERSON)


def staff_token_days() -> int:
    return getattr(settings, "API_STAFF_TOKEN_DAYS", DEFAULT_STAFF_TOKEN_DAYS)


# --- The second factor -------------------------------------------------------------------------


def must_use_second_factor(person) -> bool:
    """The site makes this person log in with a second factor (networks.middleware)."""
    return Standing.of(person).is_police_or_staff


def has_second_factor(person) -> bool:
    return Authenticator.objects.filter(user=person, type__in=SECOND_FACTOR_TYPES).exists()


def session_passed_second_factor(request) -> bool:
    """This session's log-in (or a re-authentication since) used a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def max_lifetime_days(person) -> int | None:
    """The longest a new token of this person may live, when shorter than a year."""
    return staff_token_days() if must_use_second_factor(person) else None


def refusal(token: ApiToken, now: datetime | None = None) -> str | None:
    """Why the site's rules refuse this (active) token for its person now, or None."""
    person = token.person
    if not must_use_second_factor(person):
        return None
    if not token.second_factor:
        return _(
            "Police and staff may use only a token made after logging in with a second "
            "factor. Log in with it and make a new token."
        )
    if not has_second_factor(person):
        return _(
            "Your account no longer has a second factor. Set one up on the site, then make "
            "a new token."
        )
    days = staff_token_days()
    if token.created_at + timedelta(days=days) <= (now or timezone.now()):
        return ngettext(
            "A police or staff token works for %(days)s day after it was made. Make a new one.",
            "A police or staff token works for %(days)s days after it was made. Make a new one.",
            days,
        ) % {"days": days}
    return None


# --- Audit -------------------------------------------------------------------------------------


def person_zone_ids(person_id: int) -> set[int]:
    """The zones where the person holds a place: their BINs', their own as zone staff,
    their municipality's as partner. Zone staff see token events in these zones."""
    zones = set(
        Membership.objects.filter(
            person_id=person_id,
            status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
        ).values_list("network__municipality__zone_id", flat=True)
    )
    zones.update(ZoneStaff.objects.filter(person_id=person_id).values_list("zone_id", flat=True))
    zones.update(
        MunicipalPartner.objects.filter(person_id=person_id).values_list(
            "municipality__zone_id", flat=True
        )
    )
    return zones


def _record(actor, action: str, token: ApiToken, *, zone_ids, request=None, detail=None) -> None:
    """One entry per zone (so each zone's staff find it), or one unscoped entry (seen by
    the platform administrators) for a person without a zone."""
    for zone_id in sorted(zone_ids) or [None]:
        audit.record(actor, action, token, request=request, zone=zone_id, detail=detail)


# --- Making and revoking -----------------------------------------------------------------------


@transaction.atomic
def create_token(
    person,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime,
    second_factor: bool = False,
    request=None,
) -> tuple[ApiToken, str]:
    """Make a token; return it and the secret, which is shown once and never stored.

    `second_factor`: the session it is made in passed the second factor (see
    `session_passed_second_factor`); police and staff cannot make a token without it."""
    # Two requests at the same moment must not both pass the count below.
    get_user_model().objects.select_for_update().filter(pk=person.pk).exists()
    now = timezone.now()
    limit = max_tokens_per_person()
    if ApiToken.objects.filter(person=person).active(now).count() >= limit:
        raise ValidationError(
            ngettext(
                "You already have %(count)s active token, the most one person may have. "
                "Revoke one you no longer use first.",
                "You already have %(count)s active tokens, the most one person may have. "
                "Revoke one you no longer use first.",
                limit,
            )
            % {"count": limit},
            code="too_many_tokens",
        )
    if must_use_second_factor(person):
        if not (second_factor and has_second_factor(person)):
            raise ValidationError(
                _(
                    "Police and staff make API tokens only after confirming with their second "
                    "factor (authenticator app or passkey). Confirm it, then try again."
                ),
                code="second_factor",
            )
        days = staff_token_days()
        if expires_at > now + timedelta(days=days):
            raise ValidationError(
                {
                    "expires_at": ngettext(
                        "A police or staff token may live at most %(days)s day.",
                        "A police or staff token may live at most %(days)s days.",
                        days,
                    )
                    % {"days": days}
                },
                code="staff_lifetime",
            )
    prefix, secret = ApiToken.new_secret()
    token = ApiToken(
        person=person,
        name=name.strip(),
        prefix=prefix,
        secret_hash=hash_token(secret),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=expires_at,
        second_factor=second_factor,
    )
    token.full_clean()
    token.save()
    _record(
        person,
        AUDIT_CREATE_TOKEN,
        token,
        zone_ids=person_zone_ids(person.pk),
        request=request,
        detail={"scopes": token.scopes, "second_factor": second_factor},
    )
    return token, secret


@transaction.atomic
def revoke_token(person, token: ApiToken, request=None) -> None:
    """Revoke one of the person's own tokens (a second revoke changes nothing)."""
    if token.person_id != person.pk:
        raise ValueError("Only the owner revokes a token.")
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    _record(person, AUDIT_REVOKE_TOKEN, token, zone_ids=person_zone_ids(person.pk), request=request)


def revoke_for_role_change(
    person_id: int,
    *,
    cause: str,
    zones_left: Callable[[], Iterable[int]] | None = None,
    scoped: bool = True,
) -> int:
    """Revoke every active token of the person because a role of theirs changed; return
    how many. Audited as the system's doing, in the person's zones and in `zones_left()`
    (the zone of a role just taken away; asked only when there is a token to revoke), or
    unscoped (for the administrators) when a zone is being deleted in this transaction."""
    tokens = list(ApiToken.objects.active().filter(person_id=person_id))
    if not tokens:
        return 0
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=timezone.now())
    zones = person_zone_ids(person_id) if scoped else set()
    if scoped and zones_left is not None:
        zones.update(z for z in zones_left() if z is not None)
    for token in tokens:
        _record(
            None,
            AUDIT_REVOKE_TOKEN,
            token,
            zone_ids=zones,
            detail={"reason": "role_change", "cause": cause, "person": person_id},
        )
    return len(tokens)


# --- Using -------------------------------------------------------------------------------------


def authenticate(raw: str) -> ApiToken | None:
    """The active token this string is, or None. Whether its person may use it now is
    `refusal`'s question."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = (
        ApiToken.objects.active()
        .select_related("person")
        .filter(prefix=parts[1], person__is_active=True)
        .first()
    )
    if token is None or not token.matches(raw.strip()):
        return None
    return token


def note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/minute" → (120, 60)."""
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip().rstrip("s")]


def _count(key: str, rate: str) -> int:
    """Count one call under key in the current fixed window; 0 when allowed, else the
    seconds until the window ends.

    A fixed window in the shared cache: every worker machine counts in the same place
    (Redis in production), and `incr` is atomic there."""
    allowed, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"{key}:{window}"
    # add() is a no-op when the key exists; the timeout outlives the window a little.
    cache.add(key, 0, timeout=period + 5)
    try:
        calls = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=period + 5)
        calls = 1
    if calls <= allowed:
        return 0
    return max(1, int((window + 1) * period - now + 0.999))


@dataclass(frozen=True)
class Throttled:
    wait: int  # seconds, for Retry-After
    message: str


def throttle(token: ApiToken) -> Throttled | None:
    """Count one call for the token and for its person (all their tokens share one
    budget); None when both are within their limits."""
    token_rate = getattr(settings, "API_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    person_rate = getattr(settings, "API_PERSON_RATE_LIMIT", DEFAULT_PERSON_RATE_LIMIT)
    token_wait = _count(f"api-rate:{token.pk}", token_rate)
    person_wait = _count(f"api-rate-person:{token.person_id}", person_rate)
    if person_wait:
        return Throttled(
            person_wait,
            _(
                "Your tokens together made too many calls (%(rate)s per person). "
                "Try again in %(seconds)s s."
            )
            % {"rate": person_rate, "seconds": person_wait},
        )
    if token_wait:
        return Throttled(
            token_wait,
            _("This token made too many calls (%(rate)s per token). Try again in %(seconds)s s.")
            % {"rate": token_rate, "seconds": token_wait},
        )
    return None
