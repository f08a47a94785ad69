from django.urls import include, path

from . import views

app_name = "governance"
urlpatterns: list = [
    path("calendar/", include("buurtnet.governance.calendar_urls")),
    path("", views.index, name="index"),
    path("zones/<str:code>/", views.zone, name="zone"),
    path("request/", views.request_founding, name="request"),
    # A BIN
    path("networks/<int:network_id>/", views.network, name="network"),
    path("networks/<int:network_id>/decline/", views.decline, name="decline"),
    path("networks/<int:network_id>/dissolve/", views.dissolve, name="dissolve"),
    path(
        "networks/<int:network_id>/agreements/new/", views.draft_agreement, name="draft_agreement"
    ),
    path("networks/<int:network_id>/evaluations/new/", views.evaluation, name="evaluation"),
    path("networks/<int:network_id>/screenings/new/", views.screening, name="screening"),
    path("networks/<int:network_id>/handover/", views.handover, name="handover"),
    path("networks/<int:network_id>/cases/new/", views.open_case, name="open_case"),
    path("networks/<int:network_id>/rules/", views.rules, name="rules"),
    path("networks/<int:network_id>/consultations/new/", views.consultation, name="consultation"),
    path("networks/<int:network_id>/meetings/new/", views.meeting_new, name="meeting_new"),
    # The agreement and its registration with the ministry
    path("agreements/<int:pk>/", views.agreement, name="agreement"),
    path("agreements/<int:pk>/sign/", views.sign, name="sign"),
    path("agreements/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("agreements/<int:pk>/registration/", views.produce_registration, name="registration"),
    path("registrations/<int:pk>/file.pdf", views.registration_pdf, name="registration_pdf"),
    path("registrations/<int:pk>/sent/", views.registration_sent, name="registration_sent"),
    path("registrations/<int:pk>/reply/", views.registration_reply, name="registration_reply"),
    # A coordinator's case
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/step/", views.case_step, name="case_step"),
    path("cases/<int:pk>/ministry/", views.case_ministry, name="case_ministry"),
    path("cases/<int:pk>/appeal/", views.case_appeal, name="case_appeal"),
    path(
        "cases/<int:pk>/appeal/decision/", views.case_appeal_decision, name="case_appeal_decision"
    ),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    # Consultations
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    # Meetings
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/meeting.ics", views.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("meetings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("meetings/<int:pk>/proxy/", views.proxy, name="proxy"),
    path("meetings/<int:pk>/minutes/", views.minutes, name="minutes"),
    path("meetings/<int:pk>/minutes/approve/", views.approve_minutes, name="approve_minutes"),
    path("meetings/<int:pk>/cancel/", views.cancel_meeting, name="cancel_meeting"),
    path("meetings/<int:pk>/held/", views.information_held, name="information_held"),
    path("decisions/<int:pk>/open/", views.open_vote, name="open_vote"),
    path("decisions/<int:pk>/vote/", views.vote, name="vote"),
    path("decisions/<int:pk>/close/", views.close_vote, name="close_vote"),
    path("functions/<int:pk>/", views.role_change, name="role_change"),
]
