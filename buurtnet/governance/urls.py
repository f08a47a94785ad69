from django.urls import include, path

from .views import agreements, area, cases, consultations, founding, meetings, overview, votes

app_name = "governance"
urlpatterns: list = [
    path("calendar/", include("buurtnet.governance.calendar_urls")),
    path("", overview.index, name="index"),
    path("zones/<str:code>/", overview.zone, name="zone"),
    path("request/", founding.request_founding, name="request"),
    # A BIN
    path("networks/<int:network_id>/", overview.network, name="network"),
    path("networks/<int:network_id>/decline/", founding.decline, name="decline"),
    path("networks/<int:network_id>/dissolve/", founding.dissolve, name="dissolve"),
    path("networks/<int:network_id>/area/", area.network_area, name="network_area"),
    path(
        "networks/<int:network_id>/agreements/new/",
        agreements.draft_agreement,
        name="draft_agreement",
    ),
    path("networks/<int:network_id>/evaluations/new/", agreements.evaluation, name="evaluation"),
    path("networks/<int:network_id>/screenings/new/", cases.screening, name="screening"),
    path("networks/<int:network_id>/handover/", cases.handover, name="handover"),
    path("networks/<int:network_id>/cases/new/", cases.open_case, name="open_case"),
    path("networks/<int:network_id>/rules/", meetings.rules, name="rules"),
    path(
        "networks/<int:network_id>/consultations/new/",
        consultations.consultation,
        name="consultation",
    ),
    path("networks/<int:network_id>/meetings/new/", meetings.meeting_new, name="meeting_new"),
    # The agreement and its registration with the ministry
    path("agreements/<int:pk>/", agreements.agreement, name="agreement"),
    path("agreements/<int:pk>/sign/", agreements.sign, name="sign"),
    path("agreements/<int:pk>/agreement.pdf", agreements.agreement_pdf, name="agreement_pdf"),
    path("agreements/<int:pk>/registration/", agreements.produce_registration, name="registration"),
    path("registrations/<int:pk>/file.pdf", agreements.registration_pdf, name="registration_pdf"),
    path("registrations/<int:pk>/sent/", agreements.registration_sent, name="registration_sent"),
    path("registrations/<int:pk>/reply/", agreements.registration_reply, name="registration_reply"),
    # A coordinator's case
    path("cases/<int:pk>/", cases.case, name="case"),
    path("cases/<int:pk>/step/", cases.case_step, name="case_step"),
    path("cases/<int:pk>/ministry/", cases.case_ministry, name="case_ministry"),
    path("cases/<int:pk>/appeal/", cases.case_appeal, name="case_appeal"),
    path(
        "cases/<int:pk>/appeal/decision/", cases.case_appeal_decision, name="case_appeal_decision"
    ),
    path("cases/<int:pk>/close/", cases.case_close, name="case_close"),
    # Consultations
    path("actions/<int:pk>/done/", consultations.action_done, name="action_done"),
    # Meetings
    path("meetings/<int:pk>/", meetings.meeting, name="meeting"),
    path("meetings/<int:pk>/meeting.ics", meetings.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/rsvp/", meetings.rsvp, name="rsvp"),
    path("meetings/<int:pk>/attendance/", meetings.attendance, name="attendance"),
    path("meetings/<int:pk>/proxy/", meetings.proxy, name="proxy"),
    path("meetings/<int:pk>/minutes/", meetings.minutes, name="minutes"),
    path("meetings/<int:pk>/minutes/approve/", meetings.approve_minutes, name="approve_minutes"),
    path("meetings/<int:pk>/cancel/", meetings.cancel_meeting, name="cancel_meeting"),
    path("meetings/<int:pk>/held/", founding.information_held, name="information_held"),
    path("decisions/<int:pk>/open/", votes.open_vote, name="open_vote"),
    path("decisions/<int:pk>/vote/", votes.vote, name="vote"),
    path("decisions/<int:pk>/close/", votes.close_vote, name="close_vote"),
    path("functions/<int:pk>/", votes.role_change, name="role_change"),
]
