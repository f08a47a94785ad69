"""Meetings: scheduling, the meeting's page and calendar file, answers, attendance, proxies,
minutes, cancellation, and the BIN's rules for votes."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.common.markdown import to_html
from buurtnet.networks.models import NetworkStatus, Role
from buurtnet.networks.permissions import Standing

from .. import calendar, services
from ..forms import AttendanceForm, MeetingForm, MinutesForm, ProxyForm, RsvpForm, RulesForm
from ..models import Answer, Meeting, MeetingKind, MeetingStatus, Proxy, Rsvp, Vote
from .base import (
    allow,
    calendar_link,
    form_action,
    form_page,
    get_meeting,
    get_network,
    meeting_url,
    members_of,
    network_url,
    person_in,
)


@login_required
def meeting_new(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    kinds = [
        kind for kind in MeetingKind.values if services.may_schedule(request.user, found, kind)
    ]
    allow(bool(kinds))
    initial = {"kind": MeetingKind.INFORMATION if found.status == NetworkStatus.PROPOSED else None}
    form = MeetingForm(
        request.POST or None,
        candidates=members_of(found, voting=True),
        kinds=kinds,
        initial={k: v for k, v in initial.items() if v and v in kinds},
    )

    def call() -> Meeting:
        data = form.cleaned_data
        return services.schedule_meeting(
            found,
            request.user,
            services.MeetingInput(
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                video_url=data["video_url"],
                agenda=data["agenda"],
                decisions=[
                    services.DecisionInput(function=f, candidate_id=c, takes_effect_on=d)
                    for f, c, d in form.decisions()
                ],
            ),
        )

    return form_action(
        request,
        call,
        form=form,
        success=_("The meeting is scheduled. The members are invited."),
        to=meeting_url,
    ) or form_page(
        request,
        form,
        title=_("Schedule a meeting"),
        network=found,
        submit=_("Schedule and invite"),
        template="governance/meeting_form.html",
    )


@login_required
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    network = found.network
    person = request.user
    role = Standing.of(person).role_in(network)
    chair = services.can_run_meetings(person, network)
    now = timezone.now()
    answers = dict(found.rsvps.values_list("answer").annotate(n=Count("pk")).order_by())
    mine = Rsvp.objects.filter(meeting=found, person=person).first()
    present_ids = set(found.attendances.values_list("person_id", flat=True))
    proxies = list(found.proxies.select_related("giver", "holder"))
    held_for = [p.giver for p in proxies if p.holder_id == person.pk]
    may_vote = role in (Role.MEMBER, Role.STEERING, Role.COORDINATOR) and person.pk in present_ids
    decisions = []
    for decision in found.decisions.select_related("candidate"):
        votes = {
            v.voter_id: v.choice
            for v in Vote.objects.filter(
                decision=decision, voter_id__in=[person.pk] + [g.pk for g in held_for]
            )
        }
        decisions.append(
            {
                "decision": decision,
                "my_vote": votes.get(person.pk),
                "proxies": [(g, votes.get(g.pk)) for g in held_for],
                "votes_cast": decision.votes.count() if chair else None,
            }
        )
    steering = role == Role.STEERING
    context = {
        "meeting": found,
        "network": network,
        "agenda": mark_safe(to_html(found.agenda)),  # noqa: S308 - sanitised by to_html
        "minutes": mark_safe(to_html(found.minutes)) if found.minutes else "",  # noqa: S308
        "show_minutes": bool(found.minutes) and (found.minutes_approved or chair or steering),
        "chair": chair,
        "may_write_minutes": (chair or steering)
        and not found.minutes_approved
        and found.starts_at <= now
        and found.status != MeetingStatus.CANCELLED,
        "may_cancel": found.status == MeetingStatus.SCHEDULED
        and (chair or services.can_oversee(person, network)),
        "may_mark_held": found.kind == MeetingKind.INFORMATION
        and network.status == NetworkStatus.PROPOSED
        and found.status != MeetingStatus.CANCELLED
        and found.starts_at <= now
        and services.can_oversee(person, network),
        "answers": [(value, label, answers.get(value, 0)) for value, label in Answer.choices],
        "mine": mine,
        "may_rsvp": services.may_rsvp(found, person)
        and found.status == MeetingStatus.SCHEDULED
        and found.ends_at > now,
        "rsvps": found.rsvps.select_related("person").order_by("answer", "person__full_name")
        if chair
        else None,
        "started": found.starts_at <= now,
        "present": [p for p in members_of(network, voting=True) if p.pk in present_ids]
        if chair
        else None,
        "present_count": len(present_ids),
        "proxies": proxies if chair else None,
        "proxies_allowed": services.rules_for(network).proxies_allowed,
        "may_vote": may_vote,
        "decisions": decisions,
        "calendar_link": calendar_link(),
    }
    return render(request, "governance/meeting.html", context)


@login_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    method = "CANCEL" if found.status == MeetingStatus.CANCELLED else "PUBLISH"
    response = HttpResponse(
        calendar.invitation_ics(found, method=method), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{found.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    allow(services.may_rsvp(found, request.user))
    form = RsvpForm(request.POST)

    def call() -> Rsvp:
        if not form.is_valid():
            raise ValidationError(_("Choose an answer."))
        return services.rsvp(found, request.user, form.cleaned_data["answer"])

    return form_action(
        request, call, success=_("Thank you, your answer is saved."), to=meeting_url(found)
    )


@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    allow(services.can_run_meetings(request.user, found.network))
    people = members_of(found.network, voting=True)
    recorded = list(found.attendances.values_list("person_id", flat=True))
    if not recorded:
        recorded = list(found.rsvps.filter(answer=Answer.YES).values_list("person_id", flat=True))
    form = AttendanceForm(request.POST or None, people=people, initial={"present": recorded})
    return form_action(
        request,
        lambda: services.record_attendance(found, request.user, form.cleaned_data["present"]),
        form=form,
        success=lambda count: _("Attendance is saved: %(n)s present.") % {"n": count},
        to=meeting_url(found),
    ) or form_page(
        request,
        form,
        title=_("Who is present"),
        network=found.network,
        submit=_("Save attendance"),
        intro=_("Tick every member who is here. Members who said they would come are ticked."),
        back=meeting_url(found),
        meeting=found,
    )


@login_required
def proxy(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    allow(services.can_run_meetings(request.user, found.network))
    form = ProxyForm(request.POST or None, people=members_of(found.network, voting=True))

    def call() -> Proxy:
        giver = person_in(found.network, form.cleaned_data["giver"])
        holder = person_in(found.network, form.cleaned_data["holder"])
        if giver is None or holder is None:
            raise ValidationError(_("A proxy is given by one member to another member."))
        return services.record_proxy(found, request.user, giver, holder)

    return form_action(
        request, call, form=form, success=_("The proxy is recorded."), to=meeting_url(found)
    ) or form_page(
        request,
        form,
        title=_("Record a proxy"),
        network=found.network,
        submit=_("Save"),
        back=meeting_url(found),
    )


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    network = found.network
    allow(
        services.can_run_meetings(request.user, network)
        or Standing.of(request.user).role_in(network) == Role.STEERING
    )
    form = MinutesForm(request.POST or None, initial={"minutes": found.minutes})
    return form_action(
        request,
        lambda: services.write_minutes(found, request.user, form.cleaned_data["minutes"]),
        form=form,
        success=_("The minutes are saved."),
        to=meeting_url(found),
    ) or form_page(
        request,
        form,
        title=_("Minutes"),
        network=network,
        submit=_("Save the minutes"),
        back=meeting_url(found),
    )


@login_required
@require_POST
def approve_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    allow(services.can_run_meetings(request.user, found.network))
    return form_action(
        request,
        lambda: services.approve_minutes(found, request.user),
        success=_("The minutes are approved; the members are told."),
        to=meeting_url(found),
    )


@login_required
def cancel_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_meeting(request, pk)
    network = found.network
    allow(
        services.can_run_meetings(request.user, network)
        or services.can_oversee(request.user, network)
    )
    if request.method == "POST":
        return form_action(
            request,
            lambda: services.cancel_meeting(found, request.user),
            success=_("The meeting is cancelled. The members are told."),
            to=meeting_url(found),
        )
    return render(request, "governance/cancel.html", {"meeting": found, "network": network})


@login_required
def rules(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.can_run_meetings(request.user, found))
    current = services.rules_for(found)
    form = RulesForm(
        request.POST or None,
        initial={
            "quorum_percent": current.quorum_percent,
            "quorum_minimum": current.quorum_minimum,
            "notice_days": current.notice_days,
            "proxies_allowed": current.proxies_allowed,
        },
    )
    return form_action(
        request,
        lambda: services.save_rules(found, request.user, **form.cleaned_data),
        form=form,
        success=_("The meeting rules are saved."),
        to=network_url(found),
    ) or form_page(request, form, title=_("Rules for votes"), network=found, submit=_("Save"))
