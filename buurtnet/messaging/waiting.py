"""Why a message's deliveries wait, in words, for the sender's progress page.

"Waiting 9040" alone tells an officer nothing during an outage. The waiting deliveries of one
message are grouped in one query by channel and by cause (quiet hours, the plan's sending
hours, a provider that cannot be reached or answers with an error, a worker that stopped,
the queue), with the earliest next try, the last hold and when the first of them was
queued; a channel the delivery workers paused (circuit breaker) says so with the pause's
own times. The page shows words only, never the state or reason codes.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, CharField, Count, Max, Min, Q, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buurtnet.delivery.models import PENDING_STATES, Delivery, DeliveryState, Reason
from buurtnet.people.models import Channel

from .models import Message

# Words in a provider's error that mean it could not be reached at all (as the e-mail and
# SMS transports word connection failures and timeouts), or that it asked us to slow down.
UNREACHABLE_WORDS = (
    "cannot connect",
    "connection",
    "timed out",
    "timeout",
    "unreachable",
    "disconnected",
    "errno 111",
    "name or service not known",
    "network is",
)
THROTTLED_WORDS = ("429", "too many", "rate limit", "slow down", "retry-after")

# The order causes are listed in: what needs the sender's attention first.
CAUSES = (
    "paused",
    "unreachable",
    "throttled",
    "refused",
    "stalled",
    "queued",
    "quiet_hours",
    "sending_hours",
    "sending",
)


@dataclass(frozen=True)
class ChannelPause:
    """A channel the workers stopped trying for a while after repeated provider failures."""

    since: datetime | None
    next_try: datetime | None


@dataclass(frozen=True)
class WaitingGroup:
    channel: str
    cause: str
    count: int
    text: str


def _matches(words: tuple[str, ...]) -> Q:
    condition = Q()
    for word in words:
        condition |= Q(error__icontains=word)
    return condition


def _cause(now: datetime) -> Case:
    retry = Q(state=DeliveryState.AWAITING_RETRY)
    return Case(
        When(state=DeliveryState.INFLIGHT, lease_until__gte=now, then=Value("sending")),
        When(state=DeliveryState.INFLIGHT, then=Value("stalled")),
        When(state=DeliveryState.QUEUED, then=Value("queued")),
        When(retry & Q(reason=Reason.QUIET_HOURS), then=Value("quiet_hours")),
        When(retry & Q(reason=Reason.SENDING_HOURS), then=Value("sending_hours")),
        When(retry & _matches(UNREACHABLE_WORDS), then=Value("unreachable")),
        When(retry & _matches(THROTTLED_WORDS), then=Value("throttled")),
        default=Value("refused"),
        output_field=CharField(),
    )


def why_waiting(
    message: Message,
    paused: dict[str, ChannelPause] | None = None,
    now: datetime | None = None,
) -> list[WaitingGroup]:
    """The message's waiting deliveries per channel and cause, each with a sentence.

    paused maps a channel to its pause (from the delivery workers' circuit breaker, when
    one is open); its queued and retried deliveries are then told as paused."""
    now = now or timezone.now()
    paused = paused if paused is not None else channel_pauses()
    rows = (
        Delivery.objects.filter(message=message, state__in=PENDING_STATES)
        .annotate(cause=_cause(now))
        .values("channel", "cause")
        .annotate(
            n=Count("id"),
            since=Min("queued_at"),
            next_try=Min("next_attempt_at"),
            until=Max("next_attempt_at"),
        )
        .order_by()
    )
    merged: dict[tuple[str, str], dict] = {}
    for row in rows:
        cause = row["cause"]
        if row["channel"] in paused and cause in ("queued", "unreachable", "throttled", "refused"):
            cause = "paused"
        group = merged.setdefault((row["channel"], cause), {"n": 0})
        group["n"] += row["n"]
        for key, pick in (("since", min), ("next_try", min), ("until", max)):
            values = [v for v in (group.get(key), row[key]) if v is not None]
            group[key] = pick(values) if values else None
    labels = dict(Channel.choices)
    order = {channel: i for i, channel in enumerate(labels)}
    groups = []
    for (channel, cause), group in merged.items():
        if cause == "paused":
            pause = paused[channel]
            group["since"] = pause.since or group["since"]
            group["next_try"] = pause.next_try or group["next_try"]
        sentence = _sentence(channel, cause, group, now)
        text = _("%(channel)s: %(reason)s") % {
            "channel": labels.get(channel, channel),
            "reason": sentence,
        }
        groups.append(WaitingGroup(channel, cause, group["n"], text))
    groups.sort(key=lambda g: (order.get(g.channel, len(order)), CAUSES.index(g.cause)))
    return groups


def channel_pauses() -> dict[str, ChannelPause]:
    """The channels the delivery workers paused, from their circuit breaker."""
    from buurtnet.delivery import breaker

    return {
        channel: ChannelPause(since=state.get("since"), next_try=state.get("next_try"))
        for channel, state in breaker.paused_channels().items()
    }


def _provider(channel: str) -> str:
    return {
        "email": _("the mail server"),
        "sms": _("the SMS provider"),
        "voice": _("the voice call provider"),
        "push": _("the push service"),
    }.get(channel, _("the provider"))


def _when(moment: datetime | None, now: datetime) -> str:
    """A time of today as 14:05; of another day with its date."""
    if moment is None:
        return "?"
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(now).date():
        return formats.date_format(local, "H:i")
    return formats.date_format(local, "j F H:i")


def _next(moment: datetime | None, now: datetime) -> str:
    if moment is None or moment <= now:
        return _("trying again now")
    return _("next try at %(time)s") % {"time": _when(moment, now)}


def _sentence(channel: str, cause: str, group: dict, now: datetime) -> str:
    n = group["n"]
    values = {
        "count": formats.number_format(n, force_grouping=True),
        "since": _when(group["since"], now),
        "until": _when(group["until"], now),
        "next": _next(group["next_try"], now),
        "provider": _provider(channel),
    }
    if cause == "paused":
        text = ngettext(
            "%(count)s waiting: sending is paused since %(since)s because %(provider)s "
            "kept failing; %(next)s",
            "%(count)s waiting: sending is paused since %(since)s because %(provider)s "
            "kept failing; %(next)s",
            n,
        )
    elif cause == "unreachable":
        text = ngettext(
            "%(count)s waiting since %(since)s because %(provider)s cannot be reached; %(next)s",
            "%(count)s waiting since %(since)s because %(provider)s cannot be reached; %(next)s",
            n,
        )
    elif cause == "throttled":
        text = ngettext(
            "%(count)s waiting since %(since)s because %(provider)s "
            "asked us to slow down; %(next)s",
            "%(count)s waiting since %(since)s because %(provider)s "
            "asked us to slow down; %(next)s",
            n,
        )
    elif cause == "refused":
        text = ngettext(
            "%(count)s waiting since %(since)s because %(provider)s "
            "answered with an error; %(next)s",
            "%(count)s waiting since %(since)s because %(provider)s "
            "answered with an error; %(next)s",
            n,
        )
    elif cause == "stalled":
        text = ngettext(
            "%(count)s was being sent by a worker that stopped; another worker takes it over",
            "%(count)s were being sent by a worker that stopped; another worker takes them over",
            n,
        )
    elif cause == "queued":
        text = ngettext(
            "%(count)s in the queue since %(since)s, waiting for a worker",
            "%(count)s in the queue since %(since)s, waiting for a worker",
            n,
        )
    elif cause == "quiet_hours":
        text = ngettext(
            "%(count)s held back during the member's quiet hours, until %(until)s at the latest",
            "%(count)s held back during the members' quiet hours, until %(until)s at the latest",
            n,
        )
    elif cause == "sending_hours":
        text = ngettext(
            "%(count)s held back outside the plan's sending hours, until %(until)s",
            "%(count)s held back outside the plan's sending hours, until %(until)s",
            n,
        )
    else:
        text = ngettext("%(count)s being sent now", "%(count)s being sent now", n)
    return text % values
