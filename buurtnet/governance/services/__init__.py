"""Business rules of a BIN's governance: founding, the agreement, the coordinator's standing,
meetings and votes, role changes and the officer–coordinator consultation.

Every function checks who may do it against the network (never a global role), raises
PermissionDenied or a translated ValidationError, and changes nothing when it refuses.

One module per section, lower ones first (a module imports only those above it):
`access` (who may do what) and `common`; `lifecycle` (status moves, evaluation, dormancy,
dissolution); `area` (the BINs around a place, overlap, changing a BIN's area); `roles`
(role changes and the officer's review); `cases` (screening, the case ladder, appeals,
hand-over); `agreement`; `meetings` (scheduling, invitations, attendance,
rules); `votes`; `minutes`; `founding` (request, refusal, information session);
`consultation`; `overview`. Other apps use this package as one module:
`from buurtnet.governance import services` and `services.dissolve(...)`.
"""

from .access import (
    can_act_as_zone_staff,
    can_oversee,
    can_run_meetings,
    can_see_agreement,
    can_see_cases,
    can_see_consultations,
    can_see_meetings,
    is_coordinator,
    is_municipal_partner,
    is_officer,
)
from .agreement import (
    draft_agreement,
    may_sign_as,
    produce_registration,
    record_registration_reply,
    record_registration_sent,
    sign_agreement,
)
from .cases import (
    StepInput,
    close_case,
    decide_appeal,
    hand_over,
    is_screened,
    lodge_appeal,
    may_record_step,
    open_case,
    record_ministry_notice,
    record_screening,
    record_step,
)
from .common import coordinators_of, officers_of
from .consultation import (
    ActionInput,
    ConsultationInput,
    complete_action,
    consultation_due_on,
    latest_consultations,
    record_consultation,
    remind_overdue,
)
from .founding import (
    FoundingInput,
    decline_request,
    mark_information_session_held,
    request_founding,
)
from .lifecycle import (
    dissolve,
    evaluation_due,
    record_evaluation,
    sync_all_dormancy,
    sync_dormancy,
)
from .meetings import (
    DecisionInput,
    MeetingInput,
    cancel_meeting,
    may_rsvp,
    may_schedule,
    meetings_of,
    record_attendance,
    rsvp,
    rules_for,
    save_rules,
    schedule_meeting,
)
from .minutes import approve_minutes, write_minutes
from .overview import NetworkOverview, overseen_networks, overview
from .roles import (
    _change_role,
    apply_due_role_changes,
    approve_role_change,
    object_to_role_change,
    role_history,
)
from .votes import (
    Tally,
    cast_vote,
    close_vote,
    open_vote,
    quorum_for,
    record_proxy,
    tally,
)

__all__ = [
    # Who may do what
    "can_oversee",
    "can_run_meetings",
    "can_see_agreement",
    "can_see_cases",
    "can_see_consultations",
    "can_see_meetings",
    "coordinators_of",
    "is_coordinator",
    "is_municipal_partner",
    "is_officer",
    "can_act_as_zone_staff",
    "officers_of",
    # The life of a BIN
    "FoundingInput",
    "decline_request",
    "dissolve",
    "draft_agreement",
    "evaluation_due",
    "mark_information_session_held",
    "may_sign_as",
    "produce_registration",
    "record_evaluation",
    "record_registration_reply",
    "record_registration_sent",
    "request_founding",
    "sign_agreement",
    "sync_all_dormancy",
    "sync_dormancy",
    # The coordinator's standing
    "StepInput",
    "close_case",
    "decide_appeal",
    "hand_over",
    "is_screened",
    "lodge_appeal",
    "may_record_step",
    "open_case",
    "record_ministry_notice",
    "record_screening",
    "record_step",
    # Role changes (`_change_role`: the one path of an immediate change, which tests drive)
    "_change_role",
    "apply_due_role_changes",
    "approve_role_change",
    "object_to_role_change",
    "role_history",
    # Meetings, votes and minutes
    "DecisionInput",
    "MeetingInput",
    "Tally",
    "approve_minutes",
    "cancel_meeting",
    "cast_vote",
    "close_vote",
    "may_rsvp",
    "may_schedule",
    "meetings_of",
    "open_vote",
    "quorum_for",
    "record_attendance",
    "record_proxy",
    "rsvp",
    "rules_for",
    "save_rules",
    "schedule_meeting",
    "tally",
    "write_minutes",
    # Consultation
    "ActionInput",
    "ConsultationInput",
    "latest_consultations",
    "complete_action",
    "consultation_due_on",
    "record_consultation",
    "remind_overdue",
    # Overview
    "NetworkOverview",
    "overseen_networks",
    "overview",
]
