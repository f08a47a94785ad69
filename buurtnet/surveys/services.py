"""Surveys: building, sending (once or yearly), answering anonymously, and results.

Anonymity (docs/surveys.md): opening a round's answer page records a Participation and
issues a one-time token whose hash is a Ticket; submitting consumes the ticket and stores a
Response with no person, no time and a random key. Results are shown only for groups of at
least SURVEY_MIN_GROUP respondents, and never in a way that lets a smaller group be worked
out by subtraction.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buurtnet.delivery.queues import BULK, sending_on
from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    Network,
    NetworkStatus,
    PoliceZone,
    Role,
)
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from .models import (
    CHOICE_KINDS,
    LANGUAGES,
    Answer,
    Option,
    Participation,
    Question,
    QuestionKind,
    Recurrence,
    Response,
    Round,
    Scope,
    Survey,
    SurveyStatus,
    Ticket,
)

# Citizens answer; the officer supervises the BIN and is not asked how safe they feel in it.
ANSWERING_ROLES = (Role.MEMBER, Role.STEERING, Role.COORDINATOR)
LIVING = (NetworkStatus.FOUNDING, NetworkStatus.ACTIVE, NetworkStatus.DORMANT)
MAX_TEXT = 2000


def min_group() -> int:
    return getattr(settings, "SURVEY_MIN_GROUP", 5)


# --- Who may do what ------------------------------------------------------------------------


def manageable_zones(person: Person) -> list[PoliceZone]:
    """Zones where the person may build surveys: as zone staff, or as the prevention
    service of one of its municipalities."""
    standing = Standing.of(person)
    if standing.is_superuser:
        return list(PoliceZone.objects.order_by("name"))
    return list(
        PoliceZone.objects.filter(
            Q(pk__in=standing.zone_ids)
            | Q(municipalities__pk__in=standing.partner_municipality_ids)
        )
        .distinct()
        .order_by("name")
    )


def targetable_networks(person: Person, zone: PoliceZone):
    """The BINs this person may send a survey to: any of the zone for its staff, those of
    their own municipality for a municipal partner."""
    networks = Network.objects.filter(municipality__zone=zone, status__in=LIVING)
    if Standing.of(person).can_view_zone(zone.pk):
        return networks.order_by("name")
    partner = Standing.of(person).partner_municipality_ids
    return networks.filter(municipality_id__in=partner).order_by("name")


def can_manage(person: Person, survey: Survey) -> bool:
    """Zone staff manage every survey of their zone; a municipal partner those that go only
    to BINs of their own municipality (never a whole-zone survey)."""
    if not person.is_authenticated:
        return False
    if Standing.of(person).can_view_zone(survey.zone_id):
        return True
    partner = Standing.of(person).partner_municipality_ids
    if not partner or survey.scope != Scope.NETWORKS:
        return False
    municipalities = set(survey.networks.values_list("municipality_id", flat=True))
    if not municipalities:
        return survey.author_id == person.pk
    return municipalities <= partner


def require_manage(person: Person, survey: Survey) -> None:
    if not can_manage(person, survey):
        raise PermissionDenied


def answering_network(person: Person, round_: Round) -> Network | None:
    """The BIN through which this person answers the round, or None if they may not. A
    member of two of the round's BINs counts for the first."""
    if not person.is_authenticated:
        return None
    standing = Standing.of(person)
    for network in round_.networks.order_by("pk"):
        if standing.role_in(network) in ANSWERING_ROLES:
            return network
    return None


def is_open(round_: Round, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return round_.survey.status == SurveyStatus.OPEN and round_.opened_on <= today <= (
        round_.closes_on
    )


# --- Building ---------------------------------------------------------------------------------


@dataclass
class SurveyInput:
    texts: dict[str, dict]  # {"nl": {"title": ..., "intro": ...}}
    language: str
    scope: str = Scope.NETWORKS
    network_ids: list[int] = field(default_factory=list)
    recurrence: str = Recurrence.ONCE
    starts_on: date | None = None
    ends_on: date | None = None
    open_days: int = 21


@dataclass
class QuestionInput:
    kind: str
    texts: dict[str, str]  # {"nl": "...", "fr": "..."}
    options: list[dict[str, str]] = field(default_factory=list)  # each {"nl": ..., "fr": ...}


def _clean_texts(texts: dict, keys: tuple[str, ...]) -> dict:
    cleaned = {}
    for language in LANGUAGES:
        entry = texts.get(language) or {}
        if isinstance(entry, str):
            entry = {keys[0]: entry}
        values = {k: str(entry.get(k) or "").strip() for k in keys}
        if any(values.values()):
            cleaned[language] = values
    return cleaned


def _survey_errors(by: Person, zone: PoliceZone, data: SurveyInput) -> tuple[dict, list]:
    errors: dict[str, list[str]] = {}
    if data.language not in LANGUAGES:
        errors["language"] = [_("Choose the survey's main language.")]
    texts = _clean_texts(data.texts, ("title", "intro"))
    title = texts.get(data.language, {}).get("title", "")
    if data.language in LANGUAGES and not title:
        errors["title"] = [_("Give the survey a title in its main language.")]
    if any(len(t["title"]) > 200 or len(t["intro"]) > MAX_TEXT for t in texts.values()):
        errors["title"] = [_("A title has at most 200 characters, an introduction 2000.")]
    networks: list[Network] = []
    if data.scope == Scope.ZONE:
        if not Standing.of(by).can_view_zone(zone.pk):
            errors["scope"] = [_("Only the zone's staff can send a survey to the whole zone.")]
    elif data.scope == Scope.NETWORKS:
        wanted = set(data.network_ids)
        networks = list(targetable_networks(by, zone).filter(pk__in=wanted))
        if not wanted:
            errors["network_ids"] = [_("Choose at least one BIN.")]
        elif len(networks) != len(wanted):
            errors["network_ids"] = [_("You can only send a survey to BINs of this zone.")]
    else:
        errors["scope"] = [_("Choose who receives the survey.")]
    if data.recurrence not in Recurrence.values:
        errors["recurrence"] = [_("Choose how often the survey is sent.")]
    elif data.recurrence == Recurrence.YEARLY:
        if data.starts_on is None:
            errors["starts_on"] = [_("A yearly survey needs the date of its first sending.")]
        if data.ends_on is None:
            errors["ends_on"] = [_("A yearly survey needs the date it stops.")]
        elif data.starts_on and data.ends_on < data.starts_on:
            errors["ends_on"] = [_("The period cannot end before it starts.")]
    if not isinstance(data.open_days, int) or not 1 <= data.open_days <= 90:
        errors["open_days"] = [_("A round stays open between 1 and 90 days.")]
    return errors, networks


def _question_errors(language: str, item: QuestionInput) -> list[str]:
    errors = []
    if item.kind not in QuestionKind.values:
        return [_("Choose the kind of question.")]
    texts = {k: str(v or "").strip() for k, v in (item.texts or {}).items() if k in LANGUAGES}
    if not texts.get(language):
        errors.append(_("Every question needs its text in the survey's main language."))
    if any(len(t) > 500 for t in texts.values()):
        errors.append(_("A question has at most 500 characters."))
    if item.kind in CHOICE_KINDS:
        options = [o for o in item.options if str(o.get(language) or "").strip()]
        if len(options) < 2 or len(options) != len(item.options):
            errors.append(
                _("A choice question needs at least two options, each in the main language.")
            )
        if len(item.options) > 20:
            errors.append(_("A question has at most 20 options."))
        if any(len(str(t or "")) > 200 for o in item.options for t in o.values()):
            errors.append(_("An option has at most 200 characters."))
    return errors


def _save_question(survey: Survey, item: QuestionInput, position: int) -> Question:
    question = Question.objects.create(
        survey=survey,
        position=position,
        kind=item.kind,
        texts={k: str(v).strip() for k, v in item.texts.items() if k in LANGUAGES and v},
    )
    if item.kind in CHOICE_KINDS:
        Option.objects.bulk_create(
            Option(
                question=question,
                position=i,
                texts={k: str(v).strip() for k, v in o.items() if k in LANGUAGES and v},
            )
            for i, o in enumerate(item.options)
        )
    return question


def _apply(survey: Survey, data: SurveyInput, networks: list[Network]) -> None:
    survey.texts = _clean_texts(data.texts, ("title", "intro"))
    survey.language = data.language
    survey.scope = data.scope
    survey.recurrence = data.recurrence
    survey.starts_on = data.starts_on
    survey.ends_on = data.ends_on if data.recurrence == Recurrence.YEARLY else None
    survey.open_days = data.open_days


def create_survey(
    by: Person, zone: PoliceZone, data: SurveyInput, questions: list[QuestionInput]
) -> Survey:
    """A draft survey with its first questions. Refused, nothing stored, without a question."""
    if zone not in manageable_zones(by):
        raise PermissionDenied
    errors, networks = _survey_errors(by, zone, data)
    if not questions:
        errors["questions"] = [_("A survey needs at least one question.")]
    problems = [m for q in questions for m in _question_errors(data.language, q)]
    if problems:
        errors["questions"] = list(dict.fromkeys(problems))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        survey = Survey(zone=zone, author=by)
        _apply(survey, data, networks)
        survey.save()
        survey.networks.set(networks if data.scope == Scope.NETWORKS else [])
        for position, item in enumerate(questions):
            _save_question(survey, item, position)
    return survey


def _require_draft(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationError(
            _("A survey that was sent cannot be changed; its results must stay comparable."),
            code="not_draft",
        )


def update_survey(survey: Survey, by: Person, data: SurveyInput) -> Survey:
    require_manage(by, survey)
    _require_draft(survey)
    errors, networks = _survey_errors(by, survey.zone, data)
    if errors:
        raise ValidationError(errors)
    if data.language != survey.language:
        missing = [q for q in survey.questions.all() if not q.texts.get(data.language)]
        if missing:
            raise ValidationError(
                {"language": [_("Every question needs its text in the survey's main language.")]}
            )
    with transaction.atomic():
        _apply(survey, data, networks)
        survey.save()
        survey.networks.set(networks if data.scope == Scope.NETWORKS else [])
    return survey


def add_question(survey: Survey, by: Person, item: QuestionInput) -> Question:
    require_manage(by, survey)
    _require_draft(survey)
    errors = _question_errors(survey.language, item)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        last = survey.questions.order_by("-position").values_list("position", flat=True).first()
        return _save_question(survey, item, (last if last is not None else -1) + 1)


def update_question(question: Question, by: Person, item: QuestionInput) -> Question:
    survey = question.survey
    require_manage(by, survey)
    _require_draft(survey)
    errors = _question_errors(survey.language, item)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        position = question.position
        question.delete()
        return _save_question(survey, item, position)


def move_question(question: Question, by: Person, step: int) -> None:
    """Swap the question with its neighbour above (step -1) or below (step +1)."""
    survey = question.survey
    require_manage(by, survey)
    _require_draft(survey)
    with transaction.atomic():
        ordered = list(survey.questions.select_for_update().order_by("position", "pk"))
        i = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
        j = i + (1 if step > 0 else -1)
        if 0 <= j < len(ordered):
            ordered[i], ordered[j] = ordered[j], ordered[i]
        for position, q in enumerate(ordered):
            if q.position != position:
                Question.objects.filter(pk=q.pk).update(position=position)


def remove_question(question: Question, by: Person) -> None:
    survey = question.survey
    require_manage(by, survey)
    _require_draft(survey)
    if survey.questions.count() <= 1:
        raise ValidationError(_("A survey needs at least one question."), code="last_question")
    question.delete()


def close_survey(survey: Survey, by: Person) -> Survey:
    """No more answers, no more yearly rounds."""
    require_manage(by, survey)
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.CLOSED)
    survey.status = SurveyStatus.CLOSED
    return survey


# --- Sending ------------------------------------------------------------------------------------


def _sendable_errors(survey: Survey) -> list[str]:
    questions = list(survey.questions.prefetch_related("options"))
    if not questions:
        return [_("A survey needs at least one question.")]
    problems = []
    for question in questions:
        item = QuestionInput(
            question.kind, question.texts, [o.texts for o in question.options.all()]
        )
        problems += _question_errors(survey.language, item)
    if not survey.texts.get(survey.language, {}).get("title"):
        problems.append(_("Give the survey a title in its main language."))
    foreign = survey.networks.exclude(municipality__zone_id=survey.zone_id).exists()
    if foreign:
        problems.append(_("You can only send a survey to BINs of this zone."))
    if survey.scope == Scope.NETWORKS and not survey.networks.exists():
        problems.append(_("Choose at least one BIN."))
    return list(dict.fromkeys(problems))


def _target_networks(survey: Survey) -> list[Network]:
    if survey.scope == Scope.ZONE:
        found = Network.objects.filter(municipality__zone_id=survey.zone_id, status__in=LIVING)
    else:
        found = survey.networks.filter(municipality__zone_id=survey.zone_id, status__in=LIVING)
    return list(found.select_related("municipality").order_by("pk"))


def moment_in(survey: Survey, year: int) -> date:
    """The day of `year` on which a yearly survey is sent (29 February becomes the 28th)."""
    start = survey.starts_on
    try:
        return start.replace(year=year)
    except ValueError:
        return start.replace(year=year, day=28)


def send(survey: Survey, by: Person, today: date | None = None) -> Round | None:
    """Open the survey. Its first round goes out now, unless its first sending is in the
    future: then `send_due` sends it when the day comes. Returns the round sent, if any."""
    require_manage(by, survey)
    today = today or timezone.localdate()
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationError(_("This survey was already sent."), code="sent")
    problems = _sendable_errors(survey)
    if survey.scope == Scope.ZONE and not Standing.of(by).can_view_zone(survey.zone_id):
        problems.append(_("Only the zone's staff can send a survey to the whole zone."))
    if survey.recurrence == Recurrence.YEARLY and survey.ends_on and survey.ends_on < today:
        problems.append(_("The period of this yearly survey is over."))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        claimed = Survey.objects.filter(pk=survey.pk, status=SurveyStatus.DRAFT).update(
            status=SurveyStatus.OPEN, starts_on=survey.starts_on or today
        )
        if not claimed:
            raise ValidationError(_("This survey was already sent."), code="sent")
        survey.refresh_from_db()
        if survey.starts_on > today:
            return None
        return _open_round(survey, today.year, today, by)


def _open_round(survey: Survey, year: int, today: date, by: Person | None) -> Round | None:
    """Claim (survey, year) and send the notices, in one transaction: a second caller's
    insert fails on the unique constraint and sends nothing."""
    networks = _target_networks(survey)
    try:
        with transaction.atomic():
            round_ = Round.objects.create(
                survey=survey,
                year=year,
                opened_on=today,
                closes_on=today + timedelta(days=survey.open_days - 1),
                sent_by=by,
            )
            round_.networks.set(networks)
            _notify(round_, networks, by or survey.author)
    except IntegrityError:
        return None
    return round_


def recipients(round_: Round) -> dict[int, list[Person]]:
    """Per BIN of the round, the members who get its notice (each person once)."""
    people: dict[int, list[Person]] = {}
    seen: set[int] = set()
    rows = (
        Membership.objects.filter(
            network__in=round_.networks.all(),
            status=MembershipStatus.APPROVED,
            role__in=ANSWERING_ROLES,
            person__is_active=True,
        )
        .select_related("person")
        .order_by("network_id", "person_id")
    )
    for membership in rows:
        if membership.person_id in seen:
            continue
        seen.add(membership.person_id)
        people.setdefault(membership.network_id, []).append(membership.person)
    return people


@sending_on(BULK)  # a notice to every member: a mass mailing, after alerts and notices
def _notify(round_: Round, networks: list[Network], sender: Person) -> None:
    from buurtnet.messaging.services import send_direct
    from buurtnet.plans.services import effective_plans

    survey = round_.survey
    by_network = recipients(round_)
    plans = effective_plans(networks)
    url = settings.SITE_URL.rstrip("/") + reverse("surveys:answer", args=[round_.pk])
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            text = survey.text_in(language)
            title = _("Survey: %(title)s") % {"title": text["title"]}
            lines = [text["intro"]] if text["intro"] else []
            lines.append(
                _("Your answers are anonymous. You can answer until %(date)s: %(url)s")
                % {"date": round_.closes_on.strftime("%d/%m/%Y"), "url": url}
            )
            texts[language] = {
                "title": title,
                "body": "\n\n".join(lines),
                "sms_text": f"{title} {url}",
            }
    role = "zone_staff" if Standing.of(sender).can_view_zone(survey.zone_id) else "municipal"
    for network in networks:
        people = by_network.get(network.pk)
        if not people:
            continue
        plan = plans[network.pk]
        send_direct(
            sender=sender,
            sender_role=role,
            network=network,
            people=people,
            kind="notice",
            texts=texts,
            language=network.language if network.language in LANGUAGES else survey.language,
            rule=plan.notice_rule(("email", "inapp", "push"), fallback=True),
            plan_version=plan.version,
        )


def send_due(now: datetime | None = None) -> int:
    """For `tick`: open the rounds whose day came (a scheduled first sending, a yearly
    survey's next year). Safe from two machines at once: the (survey, year) row is the claim.
    Returns how many rounds were opened."""
    today = timezone.localdate(now) if now else timezone.localdate()
    opened = 0
    # Only surveys without this year's round (a one-off: without any round), so a survey
    # sent long ago costs nothing at every tick.
    candidates = (
        Survey.objects.filter(status=SurveyStatus.OPEN, starts_on__lte=today)
        .exclude(
            Q(recurrence=Recurrence.ONCE) & Exists(Round.objects.filter(survey=OuterRef("pk")))
        )
        .exclude(
            ~Q(recurrence=Recurrence.ONCE)
            & Exists(Round.objects.filter(survey=OuterRef("pk"), year=today.year))
        )
        .select_related("author")
    )
    for survey in candidates:
        if survey.recurrence == Recurrence.ONCE:
            if survey.rounds.exists():
                continue
            year = survey.starts_on.year
        else:
            if survey.ends_on and today > survey.ends_on:
                continue
            if moment_in(survey, today.year) > today:
                continue
            if survey.rounds.filter(year=today.year).exists():
                continue
            year = today.year
        if _open_round(survey, year, today, None):
            opened += 1
    return opened


# --- Answering ----------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _big_enough(network) -> bool:
    return (
        Membership.objects.filter(
            network=network, status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED]
        )
        .exclude(role=Role.OFFICER)
        .count()
        >= min_group()
    )


def already_answered_error() -> ValidationError:
    return ValidationError(_("You have already taken part in this survey."), code="answered")


def open_answer_page(round_: Round, person: Person) -> str:
    """Record that the person takes part and give them the token their form carries. The
    token is stored only as a hash, in a ticket that names nobody."""
    if answering_network(person, round_) is None:
        raise PermissionDenied
    if not is_open(round_):
        raise ValidationError(_("This survey is closed."), code="closed")
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            Participation.objects.create(round=round_, person=person)
            Ticket.objects.create(round=round_, hash=_hash(token))
    except IntegrityError as exc:
        raise already_answered_error() from exc
    return token


def ticket_is_open(round_: Round, token: str) -> bool:
    """Whether this token's ticket is still unused: a member who reloads the page keeps
    the token they were given (in their own session) and can still answer."""
    return bool(token) and Ticket.objects.filter(round=round_, hash=_hash(token)).exists()


def has_taken_part(round_: Round, person: Person) -> bool:
    return Participation.objects.filter(round=round_, person=person).exists()


def parse_answers(round_: Round, data) -> tuple[dict[int, object], dict[str, list[str]]]:
    """Read a submitted form (`q<id>` fields) into {question id: value}; the errors per
    field. Likert and one-choice questions must be answered; the rest may stay empty."""
    answers: dict[int, object] = {}
    errors: dict[str, list[str]] = {}
    for question in round_.survey.questions.prefetch_related("options"):
        name = f"q{question.pk}"
        if question.kind == QuestionKind.TEXT:
            text = str(data.get(name, "") or "").replace("\x00", "").strip()
            if len(text) > MAX_TEXT:
                errors[name] = [_("Keep your answer under 2000 characters.")]
            elif text:
                answers[question.pk] = text
            continue
        if question.kind == QuestionKind.MULTIPLE:
            raw = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
            valid = {str(o.pk): o.pk for o in question.options.all()}
            if any(str(v) not in valid for v in raw):
                errors[name] = [_("Choose among the options given.")]
            else:
                answers[question.pk] = sorted({valid[str(v)] for v in raw})
            continue
        raw = str(data.get(name, "") or "")
        if question.kind == QuestionKind.LIKERT:
            valid = {str(n): n for n in range(1, 6)}
        else:
            valid = {str(o.pk): o.pk for o in question.options.all()}
        if raw not in valid:
            errors[name] = [_("Please answer this question.")]
        else:
            answers[question.pk] = valid[raw]
    return answers, errors


def submit_answers(round_: Round, person: Person, token: str, data) -> Response:
    """Consume the ticket and store the answers with no trace of who gave them. Refused,
    nothing stored: a token that is forged, stolen from another round or already used."""
    network = answering_network(person, round_)
    if network is None:
        raise PermissionDenied
    if not is_open(round_):
        raise ValidationError(_("This survey is closed."), code="closed")
    answers, errors = parse_answers(round_, data)
    if errors:
        raise ValidationError(errors)
    kinds = dict(round_.survey.questions.values_list("pk", "kind"))
    several = round_.networks.count() > 1
    with transaction.atomic():
        # Only someone who opened this round's page can hold one of its tickets.
        if not has_taken_part(round_, person):
            raise _invalid_token()
        used, _kinds = Ticket.objects.filter(round=round_, hash=_hash(str(token or ""))).delete()
        if not used:
            raise _invalid_token()
        response = Response.objects.create(
            round=round_,
            # A BIN too small to show is not written down: one of its few members would
            # otherwise be recognisable from the response alone.
            network=network if several and _big_enough(network) else None,
            answered_on=timezone.localdate(),
        )
        rows = []
        for question_id, value in answers.items():
            kind = kinds[question_id]
            if kind == QuestionKind.LIKERT:
                rows.append(Answer(response=response, question_id=question_id, value=value))
            elif kind == QuestionKind.TEXT:
                rows.append(Answer(response=response, question_id=question_id, text=value))
            elif kind == QuestionKind.SINGLE:
                rows.append(Answer(response=response, question_id=question_id, option_id=value))
            else:
                rows += [
                    Answer(response=response, question_id=question_id, option_id=option)
                    for option in value
                ]
        Answer.objects.bulk_create(rows)
    return response


def _invalid_token() -> ValidationError:
    return ValidationError(
        _("This answer form is not valid (already used, or not yours). You can answer only once."),
        code="token",
    )


# --- Results ------------------------------------------------------------------------------------


@dataclass
class OptionShare:
    option_id: int
    label: str
    count: int
    share: float  # of the respondents, 0–1 (a multiple-choice question's shares add up to more)


@dataclass
class QuestionResult:
    """The figures of one question for one group; none at all when `enough` is False."""

    question_id: int
    kind: str
    text: str
    enough: bool
    answered: int | None = None  # respondents who answered this question
    mean: float | None = None  # Likert only
    distribution: list[int] = field(default_factory=list)  # Likert: counts of 1, 2, 3, 4, 5
    shares: list[OptionShare] = field(default_factory=list)  # choice questions
    texts: list[str] = field(default_factory=list)  # free text: whole target only, sorted


@dataclass
class RoundResults:
    """The results of one round for one group of respondents (the round's whole target, or
    the part of it in `network_ids`). When `enough` is False there are no figures at all,
    not even the number of respondents; `note` says why, translated."""

    round_id: int
    survey_id: int
    title: str
    year: int
    opened_on: date
    closes_on: date
    network_ids: list[int]  # the BINs of the group (those of the round asked about)
    whole: bool  # the group is the round's whole target
    enough: bool
    respondents: int | None = None
    questions: list[QuestionResult] = field(default_factory=list)
    note: str = ""


def _counts_per_network(round_: Round, round_networks: list[int]) -> dict[int, int]:
    """Respondents per BIN of the round, in one GROUP BY (a single-BIN round stores none)."""
    rows = round_.responses.values("network_id").annotate(n=Count("pk")).order_by()
    counts = dict.fromkeys(round_networks, 0)
    for row in rows:
        network_id = row["network_id"]
        if network_id is None and len(round_networks) == 1:
            network_id = round_networks[0]
        if network_id not in counts:
            # Answers that name no BIN of the round (a small BIN, or one since removed)
            # count as one more small group, so no subtraction reveals them.
            network_id = None
            counts.setdefault(None, 0)
        counts[network_id] += row["n"]
    return counts


def breakdown_allowed(counts: dict[int, int]) -> bool:
    """Per-BIN figures may be shown only if the BINs too small to show (1 to 4 respondents)
    together hold none or at least the minimum: else the whole minus the shown BINs would
    give a small group's figures by subtraction."""
    small = sum(n for key, n in counts.items() if key is None or 0 < n < min_group())
    return small == 0 or small >= min_group()


def results(
    round_: Round, network_ids: list[int] | None = None, *, language: str | None = None
) -> RoundResults:
    """The round's results for its whole target (network_ids None, or naming all its BINs)
    or for the part of it in `network_ids`. A group is shown when it has at least
    SURVEY_MIN_GROUP respondents; a part of the target only when each of its BINs has none
    or at least that many, and `breakdown_allowed`. Free texts only for the whole target."""
    language = language or translation.get_language() or round_.survey.language
    language = language[:2]
    survey = round_.survey
    round_networks = sorted(round_.networks.values_list("pk", flat=True))
    counts = _counts_per_network(round_, round_networks)
    group = (
        round_networks
        if network_ids is None
        else sorted(set(network_ids) & {n for n in counts if n is not None})
    )
    whole = set(group) == set(round_networks)
    found = RoundResults(
        round_id=round_.pk,
        survey_id=survey.pk,
        title=survey.title(language),
        year=round_.year,
        opened_on=round_.opened_on,
        closes_on=round_.closes_on,
        network_ids=group,
        whole=whole,
        enough=False,
    )
    if is_open(round_):
        # Two looks while answers still come in would give the newest answer by
        # difference: results exist only once the round is closed.
        found.note = _("Results are shown once the survey has closed.")
        return found
    respondents = round_.responses.count() if whole else sum(counts[n] for n in group)
    enough = respondents >= min_group() and bool(group)
    if enough and not whole:
        enough = breakdown_allowed(counts) and all(
            counts[n] == 0 or counts[n] >= min_group() for n in group
        )
    if not enough:
        found.note = _("Not enough answers to show results (fewer than %(n)d).") % {
            "n": min_group()
        }
        return found
    found.enough = True
    found.respondents = respondents
    responses = round_.responses.all()
    if not whole:
        # Only a round to several BINs gets here: those store the BIN on each response.
        responses = responses.filter(network_id__in=group)
    answers = Answer.objects.filter(response__in=responses)
    questions = list(survey.questions.prefetch_related("options"))
    likert = {
        row["question_id"]: row
        for row in answers.filter(value__isnull=False)
        .values("question_id")
        .annotate(mean=Avg("value"), n=Count("response_id", distinct=True))
        .order_by()
    }
    spread: dict[tuple[int, int], int] = {
        (row["question_id"], row["value"]): row["n"]
        for row in answers.filter(value__isnull=False)
        .values("question_id", "value")
        .annotate(n=Count("pk"))
        .order_by()
    }
    chosen: dict[int, int] = {
        row["option_id"]: row["n"]
        for row in answers.filter(option__isnull=False)
        .values("option_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    answered: dict[int, int] = {
        row["question_id"]: row["n"]
        for row in answers.values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    }
    for question in questions:
        item = QuestionResult(
            question_id=question.pk,
            kind=question.kind,
            text=question.text_in(language),
            enough=True,
            answered=answered.get(question.pk, 0),
        )
        if question.kind == QuestionKind.LIKERT:
            row = likert.get(question.pk)
            item.mean = round(float(row["mean"]), 2) if row else None
            item.distribution = [spread.get((question.pk, v), 0) for v in range(1, 6)]
        elif question.kind in CHOICE_KINDS:
            item.shares = [
                OptionShare(
                    option.pk,
                    option.text_in(language),
                    chosen.get(option.pk, 0),
                    chosen.get(option.pk, 0) / respondents,
                )
                for option in question.options.all()
            ]
        elif whole:
            item.texts = sorted(
                answers.filter(question=question).exclude(text="").values_list("text", flat=True)
            )
        else:
            item.enough = False  # free texts are never broken down per BIN
        found.questions.append(item)
    return found


def results_over_time(
    network_ids: list[int], start: date, end: date, *, language: str | None = None
) -> list[RoundResults]:
    """Per round that ends in the period and went to any of these BINs, oldest first, the
    results for those BINs (see `results`)."""
    rounds = (
        Round.objects.filter(
            closes_on__gte=start,
            closes_on__lte=end,
            closes_on__lt=timezone.localdate(),  # a round still open has no results yet
            networks__pk__in=network_ids,
        )
        .distinct()
        .select_related("survey")
        .order_by("closes_on", "pk")
    )
    return [results(r, network_ids, language=language) for r in rounds]


def rounds_for(person: Person):
    """Open rounds the person may answer and has not opened yet (for their overview)."""
    today = timezone.localdate()
    standing = Standing.of(person)
    mine = [n for n, role in standing.network_roles.items() if role in ANSWERING_ROLES]
    return (
        Round.objects.filter(
            networks__pk__in=mine,
            survey__status=SurveyStatus.OPEN,
            opened_on__lte=today,
            closes_on__gte=today,
        )
        .exclude(participations__person=person)
        .distinct()
        .select_related("survey")
    )


# --- The ready survey ----------------------------------------------------------------------------

STARTER = Path(__file__).resolve().parent / "fixtures" / "safety_feeling.json"


def install_starter(zone: PoliceZone, author: Person) -> Survey:
    """The "safety feeling" survey that ships with the project, as a draft to the whole
    zone: staff review it, choose BINs or keep the zone, and send it."""
    content = json.loads(STARTER.read_text(encoding="utf-8"))
    data = SurveyInput(texts=content["texts"], language=content["language"], scope=Scope.ZONE)
    questions = [
        QuestionInput(q["kind"], q["texts"], q.get("options", [])) for q in content["questions"]
    ]
    problems = [m for q in questions for m in _question_errors(data.language, q)]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        survey = Survey(zone=zone, author=author)
        _apply(survey, data, [])
        survey.save()
        for position, item in enumerate(questions):
            _save_question(survey, item, position)
    return survey
