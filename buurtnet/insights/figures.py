# ruff: noqa: S608 - the SQL is built from fixed fragments; every value is a parameter
"""The communication-quality figures of one or more BINs over a period, aggregated in the
database. The dashboard, its CSV downloads and the yearly report all read them from here.

Each chart is a `Series`: a small table (columns and rows) with a title; the dashboard
draws it, the CSV is the same table, the PDF report prints and draws it.

Everything is counted with GROUP BY in the database; Python only fills in empty months and
turns counts into shares. Deliveries of settled messages are read from the per-message
figures of rollup.py, those of recent messages from the deliveries themselves.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtnet.delivery.models import PENDING_STATES, Delivery, DeliveryState
from buurtnet.messaging.models import Message, MessageNetwork, MessageStatus, Recipient
from buurtnet.networks.models import MembershipChange, MembershipStatus, Network
from buurtnet.plans.models import MessageKind
from buurtnet.reports.models import Report

from .rollup import SeenFigure, SettledMessage

# The longest period the dashboard computes: figures over more years mean little and cost
# a scan of everything.
MAX_DAYS = 3 * 366
# A message settles this long after it was sent (and once nothing of it is still pending):
# receipts have come in by then, and an alert not seen within two days was not seen in time.
# The shorter, the fewer deliveries the dashboard counts live on each request.
SETTLE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both included, in the zone's local dates.

    Refuses (ValidationError) a period that ends before it starts or spans more than
    MAX_DAYS, so no figure is ever computed for one."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError(
                gettext_lazy("The period ends before it starts."), code="reversed"
            )
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise ValidationError(
                gettext_lazy("Choose a period of at most three years."), code="too_long"
            )

    @classmethod
    def last_twelve_months(cls, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        try:
            start = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            start = today.replace(year=today.year - 1, day=28)
        return cls(start + timedelta(days=1), today)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as [from, until) aware datetimes in the current time zone."""
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def months(self) -> list[str]:
        """Every month the period touches, as "YYYY-MM"."""
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


@dataclass
class Series:
    key: str  # stable identifier, used in URLs (?chart=<key>) and CSV file names
    title: str  # translated
    columns: list[str]  # translated column headers; the first column is the label/x value
    rows: list[tuple] = field(default_factory=list)
    kind: str = "bar"  # how to draw it: "bar", "stacked", "line" or "table"
    note: str = ""  # a translated remark, e.g. "not enough answers" or how a share is computed


def dashboard(network_ids: list[int], period: Period) -> list[Series]:
    """Every chart of the dashboard for these BINs over the period, in display order."""
    ids = sorted({int(pk) for pk in network_ids})
    settle()
    token = _FACTS.set({})  # the charts of one dashboard share one scan of the deliveries
    try:
        return [CHARTS[key](ids, period) for key in CHARTS]
    finally:
        _FACTS.reset(token)


def chart(key: str, network_ids: list[int], period: Period) -> Series | None:
    """One chart of the dashboard (for its CSV), or None for an unknown key."""
    if key not in CHARTS:
        return None
    settle()
    return CHARTS[key](sorted({int(pk) for pk in network_ids}), period)


# --- Helpers -----------------------------------------------------------------------------


def _month(value) -> str:
    return value  # _month_of already gives "YYYY-MM"


def _month_of(field: str, period: Period) -> Case:
    """The local month ("YYYY-MM") of a datetime column, as plain comparisons with each
    month's end: no date function per row (SQLite's would call into Python for each)."""
    tz = timezone.get_current_timezone()
    whens = []
    for label in period.months():
        year, month = int(label[:4]), int(label[5:])
        after = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
        whens.append(
            When(
                **{f"{field}__lt": datetime.combine(after, time.min, tzinfo=tz)}, then=Value(label)
            )
        )
    return Case(*whens, default=Value(""), output_field=CharField())


def _share(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None (shown as "–") when there is nothing to share."""
    return round(100 * part / whole, 1) if whole else None


def _placeholders(values: list) -> str:
    return ",".join(["%s"] * len(values)) or "NULL"


def _seconds_sql() -> str:
    """Whole seconds from the message's sending to the delivery's (delivered, else sent)."""
    done = "COALESCE(d.delivered_at, d.sent_at)"
    if connection.vendor == "postgresql":
        return f"FLOOR(EXTRACT(EPOCH FROM ({done} - m.sent_at)))::integer"
    return f"CAST(ROUND((julianday({done}) - julianday(m.sent_at)) * 86400, 3) AS INTEGER)"


def _delivery_rows(where: str) -> str:
    """Deliveries grouped per message × BIN × channel × state × whole seconds: the shape of
    DeliveryFigure. `where` filters on d (delivery), l (message's BIN) and m (message)."""
    return (
        "SELECT m.id AS message_id, l.network_id AS network_id, m.sent_at AS sent_at, "
        "m.kind AS kind, d.channel AS channel, d.state AS state, "
        f"CASE WHEN d.state IN ('sent', 'delivered') THEN {_seconds_sql()} END AS seconds, "
        "COUNT(*) AS count "
        "FROM delivery_delivery d "
        "JOIN messaging_recipient r ON r.id = d.recipient_id "
        "JOIN messaging_messagenetwork l ON l.id = r.link_id "
        "JOIN messaging_message m ON m.id = d.message_id "
        f"WHERE {where} "
        "GROUP BY m.id, l.network_id, m.sent_at, m.kind, d.channel, d.state, seconds"
    )


def _recent_messages(ids: list[int], period: Period) -> list[int]:
    """The messages sent to these BINs in the period that have not settled yet (the last
    week's, mostly): the few whose deliveries are counted live."""
    memo = _FACTS.get()
    key = ("recent", tuple(ids), period)
    if memo is not None and key in memo:
        return memo[key]
    start, end = period.bounds
    recent = list(
        Message.objects.filter(
            Exists(MessageNetwork.objects.filter(message=OuterRef("pk"), network_id__in=ids)),
            status=MessageStatus.SENT,
            sent_at__gte=start,
            sent_at__lt=end,
        )
        .filter(~Exists(SettledMessage.objects.filter(message=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    if memo is not None:
        memo[key] = recent
    return recent


def _scope_deliveries(ids: list[int], period: Period) -> tuple[str, list]:
    """SQL for (network_id, channel, state, seconds, count) of every delivery of the BINs'
    messages sent in the period: settled ones from the figures, recent ones counted live."""
    start, end = period.bounds
    adapt = connection.ops.adapt_datetimefield_value
    marks = _placeholders(ids)
    recent = _recent_messages(ids, period)
    live = _delivery_rows(
        f"d.message_id IN ({_placeholders(recent)}) AND l.network_id IN ({marks})"
    )
    # A message settled by another request since `recent` was read is counted live only.
    # (With none, no clause: NOT IN (NULL) would drop every row.)
    not_recent = f"AND message_id NOT IN ({_placeholders(recent)}) " if recent else ""
    sql = (
        "SELECT network_id, channel, state, seconds, count FROM insights_deliveryfigure "
        f"WHERE network_id IN ({marks}) AND sent_at >= %s AND sent_at < %s {not_recent}"
        f"UNION ALL SELECT network_id, channel, state, seconds, count FROM ({live}) live"
    )
    params = [*ids, adapt(start), adapt(end), *recent, *recent, *ids]
    return sql, params


def _query(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Settling: the per-message figures ----------------------------------------------------


def settle(now: datetime | None = None, limit: int = 500) -> int:
    """Copy the figures of up to `limit` settled messages into DeliveryFigure and SeenFigure.
    Idempotent; two callers at once settle a message once (the second one's insert fails
    on SettledMessage's primary key and is rolled back). Returns the messages settled."""
    now = now or timezone.now()
    pending = Delivery.objects.filter(message=OuterRef("pk"), state__in=PENDING_STATES)
    ids = list(
        Message.objects.filter(status=MessageStatus.SENT, sent_at__lt=now - SETTLE_AFTER)
        .filter(~Exists(SettledMessage.objects.filter(message=OuterRef("pk"))))
        .filter(~Exists(pending))
        .order_by("sent_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    marks = _placeholders(ids)
    try:
        with transaction.atomic():
            SettledMessage.objects.bulk_create(
                [SettledMessage(message_id=pk, settled_at=now) for pk in ids]
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO insights_deliveryfigure (message_id, network_id, sent_at, kind, "
                    "channel, state, seconds, count) "
                    "SELECT message_id, network_id, sent_at, kind, channel, state, seconds, count "
                    f"FROM ({_delivery_rows(f'd.message_id IN ({marks})')}) rows",
                    ids,
                )
                cursor.execute(
                    "INSERT INTO insights_seenfigure (message_id, network_id, sent_at, kind, "
                    "recipients, seen) "
                    "SELECT m.id, l.network_id, m.sent_at, m.kind, COUNT(*), "
                    "COUNT(COALESCE(r.seen_at, r.acknowledged_at)) "
                    "FROM messaging_recipient r "
                    "JOIN messaging_messagenetwork l ON l.id = r.link_id "
                    "JOIN messaging_message m ON m.id = r.message_id "
                    f"WHERE r.message_id IN ({marks}) "
                    "GROUP BY m.id, l.network_id, m.sent_at, m.kind",
                    ids,
                )
    except IntegrityError:
        return 0  # someone else settled them meanwhile
    return len(ids)


# --- The charts ---------------------------------------------------------------------------


def members(ids: list[int], period: Period) -> Series:
    """Joined (approved, not coming back from a pause), left and paused, per month."""
    start, end = period.bounds
    counts = {
        _month(row["month"]): row
        for row in MembershipChange.objects.filter(
            membership__network_id__in=ids, changed_at__gte=start, changed_at__lt=end
        )
        .annotate(month=_month_of("changed_at", period))
        .values("month")
        .annotate(
            joined=Count(
                "pk",
                filter=Q(to_status=MembershipStatus.APPROVED)
                & ~Q(from_status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED]),
            ),
            left=Count("pk", filter=Q(to_status=MembershipStatus.LEFT)),
            paused=Count("pk", filter=Q(to_status=MembershipStatus.PAUSED)),
        )
        .order_by()
    }
    rows = [
        (
            month,
            counts.get(month, {}).get("joined", 0),
            counts.get(month, {}).get("left", 0),
            counts.get(month, {}).get("paused", 0),
        )
        for month in period.months()
    ]
    return Series(
        key="members",
        title=_("Members joined, left and paused"),
        columns=[_("Month"), _("Joined"), _("Left"), _("Paused")],
        rows=rows,
        kind="bar",
    )


KIND_ORDER = [
    MessageKind.ALERT,
    MessageKind.NOTICE,
    MessageKind.TIP,
    MessageKind.RELAY,
    MessageKind.FEEDBACK,
]


def messages_by_kind(ids: list[int], period: Period) -> Series:
    """Messages sent to these BINs per month and kind; one sent to several counts once."""
    start, end = period.bounds
    in_scope = MessageNetwork.objects.filter(message=OuterRef("pk"), network_id__in=ids)
    counts = {
        (_month(row["month"]), row["kind"]): row["n"]
        for row in Message.objects.filter(
            Exists(in_scope), status=MessageStatus.SENT, sent_at__gte=start, sent_at__lt=end
        )
        .annotate(month=_month_of("sent_at", period))
        .values("month", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    }
    kinds = list(KIND_ORDER) + sorted({kind for _m, kind in counts} - set(KIND_ORDER))
    labels = dict(MessageKind.choices)
    return Series(
        key="messages",
        title=_("Messages by kind"),
        columns=[_("Month"), *[str(labels.get(kind, kind)) for kind in kinds]],
        rows=[
            (month, *[counts.get((month, kind), 0) for kind in kinds]) for month in period.months()
        ],
        kind="stacked",
    )


# Outcomes as the dashboard groups the delivery states.
OUTCOMES = [
    ("delivered", gettext_lazy("Delivered"), (DeliveryState.DELIVERED,)),
    ("sent", gettext_lazy("Sent, no receipt"), (DeliveryState.SENT,)),
    ("failed", gettext_lazy("Failed or bounced"), (DeliveryState.FAILED, DeliveryState.BOUNCED)),
    ("skipped", gettext_lazy("Not sent"), (DeliveryState.SKIPPED, DeliveryState.CANCELLED)),
    ("pending", gettext_lazy("Still being sent"), PENDING_STATES),
]


def _channel_label(channel: str) -> str:
    from buurtnet.people.models import Channel

    return str(dict(Channel.choices).get(channel, channel))


_FACTS: ContextVar[dict | None] = ContextVar("insights_delivery_facts", default=None)


@dataclass
class DeliveryFacts:
    outcomes: dict[tuple[str, str], int]  # (channel, state) → deliveries
    times: list[tuple[str, int, int, int]]  # (channel, deliveries timed, median s, p95 s)
    networks: dict[int, tuple[int, int]]  # network id → (deliveries, sent or delivered)


def _delivery_facts(ids: list[int], period: Period) -> DeliveryFacts:
    """Everything the charts need from the deliveries, in one query: the grouped rows are
    built once (a materialised CTE) and summed three ways.

    Median and 95th percentile are nearest-rank, in whole seconds: the database groups the
    deliveries per second, adds them up in order (a window sum) and picks the first second
    at which half, or 95 in 100, of them were done."""
    memo = _FACTS.get()
    key = (tuple(ids), period)
    if memo is not None and key in memo:
        return memo[key]
    sql, params = _scope_deliveries(ids, period)
    rows = _query(
        f"WITH u AS MATERIALIZED ({sql}), "
        "h AS (SELECT channel, seconds, SUM(count) AS n FROM u WHERE seconds IS NOT NULL "
        "GROUP BY channel, seconds), "
        "c AS (SELECT channel, seconds, SUM(n) OVER (PARTITION BY channel ORDER BY seconds) "
        "AS cum, SUM(n) OVER (PARTITION BY channel) AS total FROM h) "
        "SELECT 'o', channel, state, CAST(SUM(count) AS BIGINT), NULL, NULL "
        "FROM u GROUP BY channel, state "
        "UNION ALL SELECT 't', channel, NULL, CAST(MAX(total) AS BIGINT), "
        "CAST(MIN(CASE WHEN cum * 2 >= total THEN seconds END) AS BIGINT), "
        "CAST(MIN(CASE WHEN cum * 100 >= total * 95 THEN seconds END) AS BIGINT) "
        "FROM c GROUP BY channel "
        "UNION ALL SELECT 'n', NULL, NULL, CAST(network_id AS BIGINT), "
        "CAST(SUM(count) AS BIGINT), "
        "CAST(SUM(CASE WHEN state IN ('sent', 'delivered') THEN count ELSE 0 END) AS BIGINT) "
        "FROM u GROUP BY network_id",
        params,
    )
    facts = DeliveryFacts(outcomes={}, times=[], networks={})
    for what, channel, state, a, b, c in rows:
        if what == "o":
            facts.outcomes[(channel, state)] = int(a)
        elif what == "t":
            facts.times.append((channel, int(a), int(b), int(c)))
        else:
            facts.networks[int(a)] = (int(b), int(c))
    facts.times.sort()
    if memo is not None:
        memo[key] = facts
    return facts


def deliveries_by_channel(ids: list[int], period: Period) -> Series:
    counts = _delivery_facts(ids, period).outcomes
    channels = sorted({channel for channel, _state in counts})
    rows = [
        (
            _channel_label(channel),
            *[sum(counts.get((channel, s), 0) for s in states) for _k, _l, states in OUTCOMES],
        )
        for channel in channels
    ]
    return Series(
        key="deliveries",
        title=_("Deliveries by channel and outcome"),
        columns=[_("Channel"), *[str(label) for _k, label, _s in OUTCOMES]],
        rows=rows,
        kind="stacked",
    )


def delivery_times(ids: list[int], period: Period) -> Series:
    """Median and 95th percentile of the time from a message's sending to each delivery (its
    receipt, else its hand-over to the provider), per channel; see _delivery_facts."""
    rows = _delivery_facts(ids, period).times
    return Series(
        key="delivery_times",
        title=_("Time from sending to delivery"),
        columns=[_("Channel"), _("Median (s)"), _("95th percentile (s)"), _("Deliveries")],
        rows=[(_channel_label(ch), median, p95, n) for ch, n, median, p95 in rows],
        kind="bar",
        note=_(
            "Seconds from the message's sending to the delivery receipt, or to the hand-over "
            "to the provider where a channel gives no receipt. Half of the deliveries took "
            "the median or less, 95 in 100 the 95th percentile or less."
        ),
    )


def _seen_counts(ids: list[int], period: Period) -> dict[tuple[str, int], tuple[int, int]]:
    """(recipients, seen) of alerts sent to these BINs in the period, per (month, BIN)."""
    memo = _FACTS.get()
    key = ("seen", tuple(ids), period)
    if memo is not None and key in memo:
        return memo[key]
    start, end = period.bounds
    totals: dict[tuple[str, int], tuple[int, int]] = {}
    settled = (
        SeenFigure.objects.filter(
            network_id__in=ids, kind=MessageKind.ALERT, sent_at__gte=start, sent_at__lt=end
        )
        .exclude(message_id__in=_recent_messages(ids, period))
        .annotate(month=_month_of("sent_at", period))
        .values_list("month", "network_id")
        .annotate(r=Sum("recipients"), s=Sum("seen"))
        .order_by()
    )
    seen = Q(seen_at__isnull=False) | Q(acknowledged_at__isnull=False)
    live = (
        Recipient.objects.filter(
            message_id__in=_recent_messages(ids, period),
            message__kind=MessageKind.ALERT,
            link__network_id__in=ids,
        )
        .annotate(month=_month_of("message__sent_at", period))
        .values_list("month", "link__network_id")
        .annotate(r=Count("pk"), s=Count("pk", filter=seen))
        .order_by()
    )
    for month, network_id, recipients, seen_count in [*settled, *live]:
        before = totals.get((month, network_id), (0, 0))
        totals[(month, network_id)] = (before[0] + recipients, before[1] + seen_count)
    if memo is not None:
        memo[key] = totals
    return totals


def alerts_seen(ids: list[int], period: Period) -> Series:
    counts: dict[str, tuple[int, int]] = {}
    for (month, _network), (recipients, seen) in _seen_counts(ids, period).items():
        before = counts.get(month, (0, 0))
        counts[month] = (before[0] + recipients, before[1] + seen)
    rows = []
    for month in period.months():
        recipients, seen = counts.get(month, (0, 0))
        rows.append((month, _share(seen, recipients), seen, recipients))
    return Series(
        key="alerts_seen",
        title=_("Share of members who saw the alerts"),
        columns=[_("Month"), _("Seen (%)"), _("Seen"), _("Alerts received")],
        rows=rows,
        kind="line",
        note=_("An alert counts as seen when the member opened or acknowledged it."),
    )


def _report_counts(ids: list[int], period: Period, by: str) -> dict:
    start, end = period.bounds
    qs = Report.objects.filter(network_id__in=ids, created_at__gte=start, created_at__lt=end)
    if by == "month":
        qs = qs.annotate(key=_month_of("created_at", period))
    else:
        qs = qs.annotate(key=F("network_id"))
    return {
        (_month(row["key"]) if by == "month" else row["key"]): row
        for row in qs.values("key")
        .annotate(
            received=Count("pk"),
            # Reports not yet answered and not yet due are neither in time nor late.
            with_time=Count(
                "pk",
                filter=Q(due_at__isnull=False)
                & (Q(responded_at__isnull=False) | Q(due_at__lt=timezone.now())),
            ),
            in_time=Count("pk", filter=Q(due_at__isnull=False, responded_at__lte=F("due_at"))),
        )
        .order_by()
    }


def reports_answered(ids: list[int], period: Period) -> Series:
    counts = _report_counts(ids, period, by="month")
    rows = []
    for month in period.months():
        row = counts.get(month, {})
        received, with_time, in_time = (
            row.get("received", 0),
            row.get("with_time", 0),
            row.get("in_time", 0),
        )
        rows.append((month, received, in_time, _share(in_time, with_time)))
    return Series(
        key="reports",
        title=_("Reports received and answered in time"),
        columns=[_("Month"), _("Received"), _("Answered in time"), _("Answered in time (%)")],
        rows=rows,
        kind="bar",
        note=_(
            "A report is answered in time when the police answered it within the response "
            "time of the communication plan; reports without a response time are not counted "
            "in the share."
        ),
    )


def per_network(ids: list[int], period: Period) -> Series:
    """One row per BIN: the key figures side by side."""
    deliveries = _delivery_facts(ids, period).networks
    start, end = period.bounds
    messages = dict(
        MessageNetwork.objects.filter(
            network_id__in=ids,
            message__status=MessageStatus.SENT,
            message__sent_at__gte=start,
            message__sent_at__lt=end,
        )
        .values_list("network_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    seen: dict[int, tuple[int, int]] = {}
    for (_month_label, network_id), (recipients, seen_count) in _seen_counts(ids, period).items():
        before = seen.get(network_id, (0, 0))
        seen[network_id] = (before[0] + recipients, before[1] + seen_count)
    reports = _report_counts(ids, period, by="network")
    rows = []
    for network in Network.objects.filter(pk__in=ids).order_by("name"):
        total, done = deliveries.get(network.pk, (0, 0))
        recipients, seen_n = seen.get(network.pk, (0, 0))
        report = reports.get(network.pk, {})
        rows.append(
            (
                network.name,
                messages.get(network.pk, 0),
                total,
                _share(done, total),
                _share(seen_n, recipients),
                report.get("received", 0),
                _share(report.get("in_time", 0), report.get("with_time", 0)),
            )
        )
    return Series(
        key="networks",
        title=_("Per BIN"),
        columns=[
            _("BIN"),
            _("Messages"),
            _("Deliveries"),
            _("Sent or delivered (%)"),
            _("Alerts seen (%)"),
            _("Reports"),
            _("Answered in time (%)"),
        ],
        rows=rows,
        kind="table",
    )


def governance(ids: list[int]) -> Series:
    """Consultations and consultation actions overdue today (not over the period: what is
    late is late now). The same rules as governance's overview, without its member counts."""
    from buurtnet.governance.models import ConsultationAction
    from buurtnet.governance.services import consultation_due_on, latest_consultations
    from buurtnet.plans.services import effective_plans

    today = timezone.localdate()
    networks = list(Network.objects.filter(pk__in=ids).order_by("name"))
    plans = effective_plans(networks)
    latest = latest_consultations(ids)
    actions = {
        row["network_id"]: row
        for row in ConsultationAction.objects.filter(network_id__in=ids, done_at__isnull=True)
        .values("network_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    }
    rows = []
    for network in networks:
        due = consultation_due_on(
            network, plans[network.pk].consult_every_days, latest.get(network.pk), today
        )
        rows.append(
            (
                network.name,
                due.isoformat() if due else "",
                _("yes") if due is not None and due < today else _("no"),
                actions.get(network.pk, {}).get("open", 0),
                actions.get(network.pk, {}).get("overdue", 0),
            )
        )
    return Series(
        key="governance",
        title=_("Overdue consultations and actions"),
        columns=[
            _("BIN"),
            _("Next consultation due"),
            _("Consultation overdue"),
            _("Open actions"),
            _("Overdue actions"),
        ],
        rows=rows,
        kind="table",
        note=_("As of today."),
    )


def surveys(ids: list[int], period: Period) -> Series:
    """Survey results over time: per survey round that closed in the period, its respondents
    and the mean of its Likert questions (1–5), from the surveys app. A round below the
    anonymity threshold shows no figures at all."""
    try:
        from buurtnet.surveys.services import results_over_time
    except ImportError:  # the surveys app without its services: an empty series
        results_over_time = None
    rows = []
    if results_over_time is not None:
        for result in results_over_time(ids, period.start, period.end):
            means = [q.mean for q in getattr(result, "questions", []) if getattr(q, "mean", None)]
            enough = getattr(result, "enough", False)
            rows.append(
                (
                    result.closes_on.isoformat(),
                    str(result.title),
                    result.respondents if enough else None,
                    round(sum(means) / len(means), 2) if enough and means else None,
                )
            )
    return Series(
        key="surveys",
        title=_("Survey results over time"),
        columns=[_("Round closed on"), _("Survey"), _("Respondents"), _("Mean score (1–5)")],
        rows=rows,
        kind="line",
        note=_(
            "The mean of the answers to the survey's scale questions (1 to 5). A round with "
            "fewer than five respondents shows no figures: not enough answers."
        ),
    )


# Every chart by its key, in display order.
CHARTS = {
    "members": members,
    "messages": messages_by_kind,
    "deliveries": deliveries_by_channel,
    "delivery_times": delivery_times,
    "alerts_seen": alerts_seen,
    "reports": reports_answered,
    "networks": per_network,
    "governance": lambda ids, period: governance(ids),
    "surveys": surveys,
}
