"""Creating, revoking and checking personal API tokens; the per-token rate limit."""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.audit.models import AuditAction

from .models import TOKEN_PREFIX, ApiToken, hash_token

AUDIT_CREATE_TOKEN = AuditAction.CREATE_API_TOKEN
AUDIT_REVOKE_TOKEN = AuditAction.REVOKE_API_TOKEN

# Writing last_used_at on every call would make every read a write; a minute is precise
# enough to tell a token in use from a forgotten one.
LAST_USED_PRECISION = timedelta(minutes=1)

DEFAULT_RATE_LIMIT = "120/minute"
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@transaction.atomic
def create_token(
    person, *, name: str, scopes: list[str], expires_at: datetime, request=None
) -> tuple[ApiToken, str]:
    """Make a token; return it and the secret, which is shown once and never stored."""
    prefix, secret = ApiToken.new_secret()
    token = ApiToken(
        person=person,
        name=name.strip(),
        prefix=prefix,
        secret_hash=hash_token(secret),
        scopes=sorted(set(scopes)),
        created_at=timezone.now(),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    audit.record(
        person, AUDIT_CREATE_TOKEN, token, request=request, detail={"scopes": token.scopes}
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
    audit.record(person, AUDIT_REVOKE_TOKEN, token, request=request)


def authenticate(raw: str) -> ApiToken | None:
    """The active token this string is, or None."""
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
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/minute" → (120, 60)."""
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip().rstrip("s")]


def rate_limit_wait(token: ApiToken) -> int:
    """Count one call for the token in the current fixed window; return 0 when it is
    allowed, else the seconds until the window ends (for Retry-After).

    A fixed window in the shared cache: every worker machine counts in the same place
    (Redis in production), and `incr` is atomic there."""
    allowed, period = parse_rate(getattr(settings, "API_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    now = time.time()
    window = int(now // period)
    key = f"api-rate:{token.pk}:{window}"
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


def describe_rate() -> str:
    return _("%(rate)s per token") % {
        "rate": getattr(settings, "API_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    }
