"""Every URL of the site, as every role, against objects of our BIN and of others.

How it works (issue 8, "Proof"):

- `url_walk.walk()` lists every URL pattern from Django's resolver, namespaces included.
  Only OUTSIDE_OUR_CODE is skipped. A pattern must have a rule in PAGE_RULES (no
  parameters) or OBJECT_RULES (parameters), and a filler in FILLERS for each parameter:
  a URL added later fails `test_every_url_is_classified` until someone says who may reach it.
- The `sites` fixture builds one object of each kind per *site*:
    A   our BIN (world.network); the person-owned objects belong to world.member;
    A2  our BIN again, objects owned by another member of it (a neighbour);
    B   world.other_network: the same zone, another municipality;
    F   world.far_network: another zone.
  Zone-level parameters (zone_id, code) exist for A (our zone) and F (the other zone).
- Each role requests each URL with GET and with an empty POST, once per site, and once per
  mix of sites for URLs naming two objects (our BIN's id with their application's id...):
  a mix must always be denied. The permission check comes before the form is validated, so
  an empty POST is enough: a 400 means the view let the person through.
- The expected outcome is "allow" when the role's relation to that site's object (RELATIONS)
  is one the URL's rule lists, "deny" otherwise. Allow = 2xx, 400/409, or a redirect that is
  not to the log-in page; deny = 401/403/404 or a redirect to the log-in page; 405 (method not
  taken) counts as neither. Any 5xx fails.
- Contents too: every site's objects carry a marker word (CANARY). A page shown to someone
  who has no relation at all with a site must not contain that site's marker, so a list page
  that shows another BIN's report, absence or message fails although it answers 200. A
  neighbour's own things (A2) and the contact data of a neighbour and of an applicant have
  narrower markers (`markers()`): fellow members never see them, wherever they look.
- Each request runs in a savepoint that is rolled back: a POST that approves, cancels or
  leaves changes nothing for the next request.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, replace
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from buurtnet.absences import services as absences
from buurtnet.api import services as api_tokens
from buurtnet.delivery.models import PushSubscription
from buurtnet.delivery.unsubscribe import make_token
from buurtnet.governance.calendar import calendar_key
from buurtnet.governance.tests.sites import governance_objects
from buurtnet.insights.tests.report_sites import yearly_report_objects
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import ForwardStage, MessageNetwork, Recipient
from buurtnet.messaging.rendering import seen_token
from buurtnet.networks.middleware import SESSION_KEY
from buurtnet.networks.models import Membership, MembershipStatus, NetworkKind, Role
from buurtnet.networks.tests.factories import MembershipFactory, ZoneStaffFactory
from buurtnet.people.phones import display_phone
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.plans import services as plans
from buurtnet.prevention import services as prevention
from buurtnet.prevention.models import TipStatus
from buurtnet.reports import services as reports
from buurtnet.surveys.tests.sites import survey_objects
from buurtnet.tests import url_walk
from buurtnet.tests.url_walk import ALLOW, DENY, ERROR, LOGIN, NOT_APPLICABLE, SECOND_FACTOR
from buurtnet.webhooks import services as webhooks

pytestmark = pytest.mark.django_db

# --- What is not ours to test ----------------------------------------------------------------

# Top-level include()s skipped, each for a reason. Nothing else is.
OUTSIDE_OUR_CODE = {
    "admin/": "Django's admin: staff-only by Django itself, logs in through allauth (2FA)",
    "accounts/": "allauth: log-in, sign-up, e-mail and second factor; public by nature",
    "i18n/": "Django's set_language: changes the visitor's own language only",
    "api/v1/": "the REST API authenticates by token, not session: its per-role permission "
    "tests are buurtnet/api/tests/test_endpoints.py and test_auth.py (401/403/404 per role)",
}
# Named URLs of our own that the walk leaves out, each with where its access is tested.
NOT_WALKED = {
    "readyz": "the readiness probe: open to everyone like /healthz, but 503 in a world without "
    "workers or tick; buurtnet/operations/tests/test_readyz.py tests it",
    "metrics": "Prometheus metrics: a token or an allowed network, never a session; "
    "buurtnet/operations/tests/test_metrics.py tests who gets in",
}

# --- Who is who -------------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "member",  # of A
    "steering",  # of A
    "coordinator",  # of A
    "officer",  # of A
    "zone_staff",  # of A's zone (which also holds B)
    "municipal",  # partner of A's municipality
    "officer_b",  # the officer of B: same zone, another BIN
    "officer_far",  # the officer of F: another zone
    "outsider",  # logged in, no role anywhere
    "admin",  # platform administrator (superuser)
    # Edge cases of a membership's status (docs/permissions.md):
    "paused_officer",  # A's officer on hold: acts as a plain member until they resume
    "applicant",  # applied to A, not yet approved: no more than an outsider
]
SITES = ("A", "A2", "B", "F")
BIN_OF = {"A": "A", "A2": "A", "B": "B", "F": "F"}

# What each role is to the objects of each site; no entry means nothing. "owner" is the
# person an object belongs to (their report, absence, inbox item, membership, device).
RELATIONS: dict[str, dict[str, set[str]]] = {
    "anonymous": {},
    "member": {"A": {"member", "owner"}, "A2": {"member"}},
    "steering": {"A": {"steering"}, "A2": {"steering"}},
    "coordinator": {"A": {"coordinator"}, "A2": {"coordinator"}},
    "officer": {"A": {"officer"}, "A2": {"officer"}},
    "zone_staff": {"A": {"zone"}, "A2": {"zone"}, "B": {"zone"}},
    "municipal": {"A": {"municipal"}, "A2": {"municipal"}},
    "officer_b": {"B": {"officer"}},
    "officer_far": {"F": {"officer"}},
    "outsider": {},
    "admin": {site: {"admin"} for site in SITES},
    "paused_officer": {"A": {"member"}, "A2": {"member"}},
    "applicant": {},
}


def relations(role: str, site: str) -> set[str]:
    """The role's relations to one site, plus "anyone" (and "logged_in" when it is)."""
    found = set(RELATIONS[role].get(site, ())) | {"anyone"}
    return found | ({"logged_in"} if role != "anonymous" else set())


# --- The expectations --------------------------------------------------------------------------

EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
BIN_MEMBERS = frozenset(
    {"member", "steering", "coordinator", "officer", "officer_b", "officer_far"}
)
OFFICERS = frozenset({"officer", "officer_b", "officer_far"})

# Pages without parameters: which roles may open them. What they show is the person's own
# (their inbox, their reports), so who may see which *content* is checked with the markers.
PAGE_RULES: dict[str, frozenset[str]] = {
    "home": EVERYONE,  # home_public.html for visitors
    "healthz": EVERYONE,  # the load balancer's probe
    # The demo's outbox shows everyone's mail: 404 unless OUTBOX_PAGE_ENABLED (never in
    # production; the test runs with the production default).
    "outbox": NOBODY,
    # Provider webhooks: 403 without the provider's signature, which no browser has.
    "hooks:sms_simulator_status": NOBODY,
    "hooks:sms_simulator_inbound": NOBODY,
    "hooks:sms_twilio_status": NOBODY,
    "hooks:sms_twilio_inbound": NOBODY,
    "hooks:voice_twilio_status": NOBODY,
    "channels:push": LOGGED_IN,
    "channels:push_subscribe": LOGGED_IN,  # anonymous: 401
    "channels:service_worker": EVERYONE,
    "messaging:list": LOGGED_IN,  # what they sent themselves
    # Anyone with a role in a BIN or a zone may open the form; the plans decide what is sent.
    "messaging:compose": BIN_MEMBERS | {"zone_staff", "admin", "paused_officer"},
    "messaging:inbox": LOGGED_IN,
    "reports:queue": OFFICERS | {"coordinator", "zone_staff"},
    "reports:new": BIN_MEMBERS,  # approved members of some BIN, officers included
    "reports:mine": LOGGED_IN,
    "prevention:manage": frozenset({"zone_staff", "municipal"}),
    "prevention:new_tip": frozenset({"zone_staff", "municipal"}),
    "prevention:new_campaign": frozenset({"zone_staff"}),
    "absences:mine": LOGGED_IN,
    # Residents announce their own absence: members, steering and coordinators of a BIN.
    # An officer's membership, paused or not, says nothing about where they live (zones
    # may open the form to all residents, by the address on the map).
    "absences:new": frozenset({"member", "steering", "coordinator"}),
    "absences:watch": OFFICERS | {"zone_staff"},
    "people:profile": LOGGED_IN,
    "people:phone": LOGGED_IN,
    "people:preferences": LOGGED_IN,
    "api_tokens:list": LOGGED_IN,  # one's own API tokens only
    "networks:join": LOGGED_IN,
    "networks:location": LOGGED_IN,
    # The nearest address of a point on a map: public street names, for any logged-in person.
    "networks:nearest_address": LOGGED_IN,
    # The audit log: zone staff (their zones' entries) and the platform admin (issue 8).
    "audit:search": frozenset({"zone_staff", "admin"}),
    # Data subject rights: each acts on the logged-in person only (the markers check that
    # one's export holds nobody else's data).
    "privacy:my_data": LOGGED_IN,
    "privacy:my_data_json": LOGGED_IN,
    "privacy:erase": LOGGED_IN,
    # governance: everyone's own meetings (and, for the police, the BINs they oversee);
    # anyone may ask for a new BIN
    "governance:index": LOGGED_IN,
    "governance:calendar_link": LOGGED_IN,
    "governance:request": LOGGED_IN,
    # surveys (docs/surveys.md): those who build them (zone staff, municipal partners);
    # the thank-you page says nothing about anyone
    "surveys:list": frozenset({"zone_staff", "municipal", "admin"}),
    "surveys:thanks": LOGGED_IN,
    # The communication-quality dashboard of the BINs one oversees (issue 7): officers and
    # zone staff; a paused officer oversees nothing. Its figures are aggregates per BIN.
    "insights:dashboard": OFFICERS | {"zone_staff", "admin"},
    "insights:csv": OFFICERS | {"zone_staff", "admin"},
}

NETWORK_VIEWERS = {"member", "steering", "coordinator", "officer", "zone", "municipal", "admin"}
MEMBER_LIST_VIEWERS = {"steering", "coordinator", "officer", "zone", "admin"}  # VIEW_MEMBERS
ZONE_STAFF = {"zone", "admin"}  # can_view_zone: the zone's staff and the platform admin


@dataclass(frozen=True)
class ObjectRule:
    allowed: frozenset[str]  # relations (see RELATIONS) that let a role through
    # A capability link (a signed token in the URL): whoever holds it sees its object, so
    # the markers of the token's own site are not checked on that page.
    capability: bool = False


def rule(*allowed: str, capability: bool = False) -> ObjectRule:
    return ObjectRule(frozenset(allowed), capability)


# Governance pages: 404 for who does not see the BIN, 403 for who sees it but may not act.
POLICE = ("officer", "zone", "admin")  # services.can_oversee
CHAIRS = ("coordinator", "officer")  # services.can_run_meetings
GOVERNANCE_RULES: dict[str, ObjectRule] = {
    "governance:zone": rule(*ZONE_STAFF),
    "governance:calendar_feed": rule("anyone", capability=True),
    "governance:network": rule(*NETWORK_VIEWERS),
    "governance:decline": rule("zone", "admin"),
    "governance:network_area": rule(*ZONE_STAFF),  # the zone's staff redraw a BIN's area
    "governance:dissolve": rule(*POLICE),
    "governance:draft_agreement": rule(*POLICE),
    "governance:evaluation": rule(*POLICE),
    "governance:screening": rule(*POLICE),
    "governance:handover": rule("officer"),
    "governance:open_case": rule(*POLICE),
    "governance:rules": rule(*CHAIRS),
    "governance:consultation": rule(*CHAIRS),
    "governance:meeting_new": rule(*CHAIRS, "zone", "admin"),  # the police: info sessions
    "governance:agreement": rule(*POLICE, "coordinator", "municipal"),
    "governance:sign": rule("coordinator", "municipal", "zone"),  # services.may_sign_as
    "governance:agreement_pdf": rule(*POLICE, "coordinator", "municipal"),
    "governance:registration": rule(*POLICE),
    "governance:registration_pdf": rule(*POLICE),
    "governance:registration_sent": rule(*POLICE),
    "governance:registration_reply": rule(*POLICE),
    "governance:case": rule(*POLICE, "municipal"),  # services.can_see_cases
    "governance:case_step": rule(*POLICE, "municipal"),
    "governance:case_ministry": rule("zone", "municipal", "admin"),
    "governance:case_appeal": rule(*POLICE, "municipal"),
    "governance:case_appeal_decision": rule("zone", "municipal", "admin"),
    "governance:case_close": rule(*POLICE),
    "governance:action_done": rule(*CHAIRS),  # and the action's owner (here the coordinator)
    "governance:meeting": rule(*NETWORK_VIEWERS),
    "governance:meeting_ics": rule(*NETWORK_VIEWERS),
    "governance:rsvp": rule("member", "steering", "coordinator", "officer"),
    "governance:attendance": rule(*CHAIRS),
    "governance:proxy": rule(*CHAIRS),
    "governance:minutes": rule(*CHAIRS, "steering"),
    "governance:approve_minutes": rule(*CHAIRS),
    "governance:cancel_meeting": rule(*CHAIRS, "zone", "admin"),
    "governance:information_held": rule(*POLICE),
    "governance:open_vote": rule(*CHAIRS),
    "governance:vote": rule("member", "steering", "coordinator"),  # the officer does not vote
    "governance:close_vote": rule(*CHAIRS),
    # the officer approves or objects to a function a meeting gave (and the zone, in a BIN
    # without an officer)
    "governance:role_change": rule(*POLICE),
}
# Which of the `sites` objects fills each governance URL's pk.
GOVERNANCE_FILLERS = {
    **dict.fromkeys(
        ["governance:agreement", "governance:sign", "governance:agreement_pdf"], "gov_agreement"
    ),
    "governance:registration": "gov_agreement",
    **dict.fromkeys(
        [
            "governance:registration_pdf",
            "governance:registration_sent",
            "governance:registration_reply",
        ],
        "gov_registration",
    ),
    **dict.fromkeys(
        [
            "governance:case",
            "governance:case_step",
            "governance:case_ministry",
            "governance:case_appeal",
            "governance:case_appeal_decision",
            "governance:case_close",
        ],
        "gov_case",
    ),
    "governance:action_done": "gov_action",
    **dict.fromkeys(
        [
            "governance:meeting",
            "governance:meeting_ics",
            "governance:rsvp",
            "governance:attendance",
            "governance:proxy",
            "governance:minutes",
            "governance:approve_minutes",
            "governance:cancel_meeting",
            "governance:information_held",
        ],
        "gov_meeting",
    ),
    **dict.fromkeys(
        ["governance:open_vote", "governance:vote", "governance:close_vote"], "gov_decision"
    ),
    "governance:role_change": "gov_role_change",
}

# Pages about an object: which relations to that object's site let a role through.
OBJECT_RULES: dict[str, ObjectRule] = {
    # networks (docs/permissions.md)
    "networks:apply": rule("logged_in"),  # anyone may apply to a BIN that takes members
    "networks:detail": rule(*NETWORK_VIEWERS),
    "networks:members": rule(*MEMBER_LIST_VIEWERS),
    "networks:applications": rule(*MEMBER_LIST_VIEWERS),  # VIEW_APPLICATIONS
    "networks:decide": rule("coordinator", "admin"),
    "networks:membership_action": rule("owner"),  # pause, resume, leave: one's own only
    "networks:zone_map": rule(*ZONE_STAFF),
    "networks:zone_areas": rule("anyone"),  # public BIN areas (GeoJSON) for municipal maps
    # communication plans: read by whoever sees the member list; written and approved by
    # the coordinator and the officer of that BIN only
    "plans:plan": rule(*MEMBER_LIST_VIEWERS),
    "plans:version": rule(*MEMBER_LIST_VIEWERS),
    "plans:edit": rule("coordinator", "officer"),
    "plans:approve": rule("coordinator", "officer"),
    "plans:zone_template": rule(*ZONE_STAFF),
    # messages: the sender (A's officer) and the police of the message's BINs follow it up
    "messaging:detail": rule("officer", "zone", "admin"),
    "messaging:progress": rule("officer", "zone", "admin"),
    "messaging:cancel": rule("officer", "zone", "admin"),
    "messaging:decide": rule("officer"),  # a coordinator's relay waits for the officer
    "messaging:forward": rule("coordinator"),  # level 2: the coordinator forwards
    "messaging:inbox_item": rule("owner"),
    "messaging:acknowledge": rule("owner"),
    "messaging:seen": rule("anyone", capability=True),  # the e-mail's one-click link
    # Opens only with the token that link left in the session: none here, so no one.
    "messaging:seen_message": rule(),
    # whoever reads the message: those it reached (not a paused membership), its police
    "messaging:attachment": rule("owner", "steering", "coordinator", "officer", "zone", "admin"),
    "channels:push_remove": rule("owner"),
    "channels:unsubscribe": rule("anyone", capability=True),  # RFC 8058 one-click
    # reports: the reporter, the BIN's coordinator (without place or name unless the plan
    # shares them) and the police; the admin is not the police
    "reports:detail": rule("owner", "coordinator", "officer", "zone"),
    "reports:status": rule("officer"),
    "reports:feedback": rule("officer"),
    "reports:publish": rule("officer"),
    "reports:relay": rule("coordinator"),
    "reports:photo": rule("owner", "officer", "zone"),
    "reports:from_reply": rule("officer"),
    "reports:zone_categories": rule(*ZONE_STAFF),
    # prevention: tips are written by the zone's staff and by a municipality's prevention
    # service for its own municipality; campaigns are the zone's
    "prevention:public": rule("anyone"),
    "prevention:tip": rule("anyone"),  # a published tip
    "prevention:feed": rule("anyone"),
    # a BIN's public notices (only police notices marked public; none carry a marker)
    "messaging:public_notices": rule("anyone"),
    "messaging:notices_feed": rule("anyone"),
    # outgoing webhooks: the zone's staff register their systems' URLs (issue 9)
    "webhooks:zone": rule(*ZONE_STAFF),
    "api_tokens:revoke": rule("owner"),  # one's own API token only
    "webhooks:endpoint": rule(*ZONE_STAFF),
    "webhooks:rotate": rule(*ZONE_STAFF),
    "webhooks:test": rule(*ZONE_STAFF),
    "webhooks:delete": rule(*ZONE_STAFF),
    "prevention:edit_tip": rule("zone", "municipal"),
    "prevention:tip_status": rule("zone", "municipal"),
    "prevention:tip_image": rule("zone", "municipal"),  # the image of a tip not yet published
    "prevention:campaign": rule("zone"),
    "prevention:stop_campaign": rule("zone"),
    # absences: the resident's own; the officer of the BIN and the zone's staff pass by
    "absences:cancel": rule("owner"),
    "absences:record_pass": rule("officer", "zone"),
    "absences:zone_settings": rule(*ZONE_STAFF),
    # how long each kind of data lives, per zone (issue 8, point 3)
    "retention:zone_policy": rule(*ZONE_STAFF),
    # the zone's CAP settings, feeds and import log (issue 9)
    "cap:zone": rule(*ZONE_STAFF),
    # one's own consent to a purpose (the parameter names the purpose, not a person)
    "privacy:withdraw": rule("logged_in"),
    "privacy:give": rule("logged_in"),
    # governance (docs/governance.md): services.can_* decide; see governance/views.py
    **GOVERNANCE_RULES,
    # surveys: built and read by the zone's staff, and by a municipality's prevention
    # service for surveys to its own BINs only; answered by the citizens of the BIN (not its
    # officer; a paused officer counts as a member)
    "surveys:new": rule("zone", "municipal", "admin"),
    "surveys:survey": rule("zone", "municipal", "admin"),
    "surveys:add_question": rule("zone", "municipal", "admin"),
    "surveys:question": rule("zone", "municipal", "admin"),
    "surveys:send": rule("zone", "municipal", "admin"),
    "surveys:close": rule("zone", "municipal", "admin"),
    "surveys:results": rule("zone", "municipal", "admin"),
    "surveys:answer": rule("member", "steering", "coordinator"),
    # yearly reports (insights/report_services.py): a BIN's for its officer and the zone's
    # staff, its coordinator reads finished ones; a municipality's for the zone's staff and
    # its partners. The walk's report objects are finished BIN reports.
    "insights:network_reports": rule("officer", "zone", "admin", "coordinator"),
    "insights:request_network_report": rule("officer", "zone", "admin"),
    "insights:municipality_reports": rule("zone", "municipal", "admin"),
    "insights:request_municipality_report": rule("zone", "municipal", "admin"),
    "insights:report": rule("officer", "zone", "admin", "coordinator"),
    "insights:report_progress": rule("officer", "zone", "admin", "coordinator"),
    "insights:report_download": rule("officer", "zone", "admin", "coordinator"),
    # the dashboard of one BIN (governance.services.can_oversee) or of a zone (can_view_zone)
    "insights:network": rule(*POLICE),
    "insights:network_csv": rule(*POLICE),
    "insights:zone": rule(*ZONE_STAFF),
    "insights:zone_csv": rule(*ZONE_STAFF),
}


# --- Filling the parameters --------------------------------------------------------------------


@dataclass(frozen=True)
class Filler:
    kind: str  # which of the `sites` fixture's objects
    attr: str | None = "pk"  # which attribute of it goes in the URL (None: the value itself)
    # A parameter that only makes sense with the object before it (a plan's version
    # number, an action name) follows that object's site and is never mixed.
    follows: bool = False

    def values(self, objects: dict) -> dict[str, object]:
        found = objects[self.kind]
        return {s: v if self.attr is None else getattr(v, self.attr) for s, v in found.items()}


# (URL name, parameter), or (None, parameter) for a parameter that means the same everywhere.
FILLERS: dict[tuple[str | None, str], Filler] = {
    (None, "network_id"): Filler("network"),
    (None, "zone_id"): Filler("zone"),
    (None, "code"): Filler("zone", "code"),
    ("networks:decide", "membership_id"): Filler("application"),
    ("networks:membership_action", "membership_id"): Filler("membership"),
    ("networks:membership_action", "action"): Filler("pause", None, follows=True),
    ("plans:version", "version"): Filler("plan", "version", follows=True),
    ("plans:approve", "version"): Filler("plan", "version", follows=True),
    ("messaging:detail", "pk"): Filler("message"),
    ("messaging:progress", "pk"): Filler("message"),
    ("messaging:cancel", "pk"): Filler("message"),
    ("messaging:decide", "pk"): Filler("relay"),
    ("messaging:attachment", "pk"): Filler("attached_message"),
    ("messaging:forward", "pk"): Filler("forward_link"),
    ("messaging:inbox_item", "pk"): Filler("recipient"),
    ("messaging:acknowledge", "pk"): Filler("recipient"),
    ("messaging:seen", "token"): Filler("seen_token", None),
    ("messaging:seen_message", "pk"): Filler("recipient"),
    ("channels:push_remove", "pk"): Filler("device"),
    ("channels:unsubscribe", "token"): Filler("unsubscribe_token", None),
    ("reports:detail", "pk"): Filler("report"),
    ("reports:status", "pk"): Filler("report"),
    ("reports:feedback", "pk"): Filler("report"),
    ("reports:publish", "pk"): Filler("report"),
    ("reports:relay", "pk"): Filler("report"),
    ("reports:photo", "pk"): Filler("report"),
    ("reports:photo", "photo_pk"): Filler("photo"),
    ("reports:from_reply", "reply_pk"): Filler("reply"),
    ("prevention:tip", "pk"): Filler("published_tip"),
    ("prevention:edit_tip", "pk"): Filler("draft_tip"),
    ("prevention:tip_status", "pk"): Filler("draft_tip"),
    ("prevention:tip_image", "pk"): Filler("draft_tip"),
    ("prevention:campaign", "pk"): Filler("campaign"),
    ("prevention:stop_campaign", "pk"): Filler("campaign"),
    ("absences:cancel", "pk"): Filler("absence"),
    ("absences:record_pass", "pk"): Filler("absence"),
    ("webhooks:endpoint", "pk"): Filler("webhook"),
    ("webhooks:rotate", "pk"): Filler("webhook"),
    ("webhooks:test", "pk"): Filler("webhook"),
    ("webhooks:delete", "pk"): Filler("webhook"),
    ("privacy:withdraw", "kind"): Filler("consent_kind", None),
    ("privacy:give", "kind"): Filler("consent_kind", None),
    **{(name, "pk"): Filler(kind) for name, kind in GOVERNANCE_FILLERS.items()},
    ("governance:calendar_feed", "secret"): Filler("calendar_secret", None),
    ("api_tokens:revoke", "token_id"): Filler("api_token"),
    **{
        (f"surveys:{name}", "pk"): Filler("survey")
        for name in ("survey", "add_question", "send", "close")
    },
    ("surveys:question", "pk"): Filler("survey_question"),
    ("surveys:results", "pk"): Filler("survey_round"),
    ("surveys:answer", "pk"): Filler("survey_round"),
    (None, "municipality_id"): Filler("network", "municipality_id"),  # each BIN's municipality
    ("insights:report", "pk"): Filler("yearly_report"),
    ("insights:report_progress", "pk"): Filler("yearly_report"),
    ("insights:report_download", "pk"): Filler("yearly_report"),
}


def filler_for(name: str, kwarg: str) -> Filler | None:
    return FILLERS.get((name, kwarg)) or FILLERS.get((None, kwarg))


# Every site's objects carry its marker word in their free text (descriptions, titles,
# notes, an applicant's name). A page shown to someone with no relation to the site must
# not contain it.
CANARY = {"A": "Qalpha", "A2": "Qanna", "B": "Qbravo", "F": "Qfoxtrot"}


@dataclass(frozen=True)
class Marker:
    text: str
    site: str
    what: str
    # The relations to the site that may see it; None: any relation at all.
    seen_by: frozenset[str] | None = None


def markers(neighbour, applicant) -> list[Marker]:
    police = {"officer", "zone", "admin"}
    found = [Marker(CANARY[site], site, "marker") for site in ("A", "B", "F")]
    # A2's marker is in a neighbour's own report, absence and reply: the coordinator sees
    # the report, the police all three; fellow members, the steering group and the
    # municipality's partner none of them.
    found.append(Marker(CANARY["A2"], "A2", "marker", frozenset(police | {"coordinator"})))
    # "Members never see one another's contact data; a coordinator only as far as the plan
    # allows" (issue 8; the default plan shares nothing with the coordinator).
    contact = frozenset(police | {"owner"})
    found += [
        Marker(neighbour.email, "A2", "the neighbour's e-mail address", contact),
        Marker(neighbour.phone, "A2", "the neighbour's phone number", contact),
        Marker(display_phone(neighbour.phone), "A2", "the neighbour's phone number", contact),
    ]
    # An applicant's contact data: the BIN's officer (VIEW_MEMBER_CONTACT) and the admin;
    # those who decide or advise see the name and street only (docs/permissions.md).
    contact = frozenset({"officer", "admin"})
    found += [
        Marker(applicant.email, "A", "the applicant's e-mail address", contact),
        Marker(applicant.phone, "A", "the applicant's phone number", contact),
        Marker(display_phone(applicant.phone), "A", "the applicant's phone number", contact),
    ]
    return found


INSIDE = {"A": (3.265, 50.825), "B": (3.305, 50.825), "F": (3.705, 51.055)}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 80, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def notice(network, canary: str, kind: str = "notice") -> messaging.Draft:
    return messaging.Draft(
        kind=kind,
        language="en",
        texts={
            "en": {
                "title": f"Street party {canary}",
                "body": f"Road closed on Sunday {canary}.",
                "sms_text": "",
            }
        },
        target={"type": "networks", "networks": [network.pk]},
    )


def tip_input(title: str, **fields) -> prevention.TipInput:
    text = {
        "title": title,
        "sms_text": "Sluit deuren en ramen, ook als u thuis bent.",
        "body": "Een open raam is een uitnodiging.",
    }
    return prevention.TipInput(texts={"nl": text}, themes=["burglary"], **fields)


@pytest.fixture
def sites(world, settings):
    """One object of each kind per site (see the module's docstring), keyed kind -> site."""
    settings.OUTBOX_PAGE_ENABLED = False
    w = world
    now, today = timezone.now(), timezone.localdate()

    def person(name, at=None):
        return PersonFactory(full_name=name, at=at)

    def member_of(network, name, at, role=Role.MEMBER):
        someone = person(name, at)
        MembershipFactory(network=network, person=someone, role=role)
        return someone

    w.people["officer_b"] = member_of(w.other_network, "Officer Bee", None, Role.OFFICER)
    w.people["officer_far"] = member_of(w.far_network, "Officer Far", None, Role.OFFICER)
    w.people["paused_officer"] = paused = member_of(w.network, "Paul Paused", None, Role.OFFICER)
    Membership.objects.filter(person=paused).update(status=MembershipStatus.PAUSED)
    w.people["applicant"] = person("Ann Applying", INSIDE["A"])
    MembershipFactory(
        network=w.network,
        person=w.applicant,
        status=MembershipStatus.APPLIED,
        decided_at=None,
    )
    far_staff = ZoneStaffFactory(zone=w.other_zone).person
    neighbour = member_of(w.network, "Nina Neighbour", INSIDE["A"])
    assert neighbour.email and neighbour.phone
    far_member = member_of(w.far_network, "Far Member", INSIDE["F"])
    far_coordinator = member_of(w.far_network, "Far Coordinator", INSIDE["F"], Role.COORDINATOR)

    network = {"A": w.network, "B": w.other_network, "F": w.far_network}
    officer = {"A": w.officer, "B": w.officer_b, "F": w.officer_far}
    coordinator = {"A": w.coordinator, "B": w.their_coordinator, "F": far_coordinator}
    owner = {"A": w.member, "A2": neighbour, "B": w.their_member, "F": far_member}
    zone = {"A": w.zone, "F": w.other_zone}
    staff = {"A": w.zone_staff, "F": far_staff}

    objects: dict[str, dict[str, object]] = {
        "network": network,
        "zone": zone,
        "membership": {
            s: Membership.objects.get(network=network[BIN_OF[s]], person=p)
            for s, p in owner.items()
        },
        "pause": dict.fromkeys(owner, "pause"),
        "consent_kind": {"A": "sms"},  # a purpose (privacy.models.ConsentKind), same for all
        "application": {
            s: MembershipFactory(
                network=n,
                person=person(f"Applicant {CANARY[s]}"),
                status=MembershipStatus.APPLIED,
                decided_at=None,
            )
            for s, n in network.items()
        },
        "plan": {
            s: plans.write_draft(
                n,
                officer[s],
                plans.plan_content(plans.effective_plan(n)),
                note=f"Draft {CANARY[s]}",
            )
            for s, n in network.items()
        },
        "message": {
            s: messaging.submit(officer[s], notice(n, CANARY[s])) for s, n in network.items()
        },
        "relay": {
            s: messaging.submit(coordinator[s], notice(n, CANARY[s], kind="relay"))
            for s, n in network.items()
        },
    }
    forwarded = {s: messaging.submit(officer[s], notice(n, CANARY[s])) for s, n in network.items()}
    for message in forwarded.values():
        MessageNetwork.objects.filter(message=message).update(stage=ForwardStage.COORDINATOR)
    objects["forward_link"] = {s: m.networks.get() for s, m in forwarded.items()}
    objects["attached_message"] = {
        s: messaging.submit(
            officer[s],
            replace(
                notice(n, CANARY[s]),
                attachment=SimpleUploadedFile("leaflet.txt", f"Lock up {CANARY[s]}".encode()),
            ),
        )
        for s, n in network.items()
    }
    objects["recipient"] = {
        s: Recipient.objects.get(message=objects["message"][BIN_OF[s]], person=p)
        for s, p in owner.items()
    }
    objects["reply"] = {
        s: messaging.reply(r, f"I saw a van {CANARY[s]}") for s, r in objects["recipient"].items()
    }
    objects["seen_token"] = {
        s: seen_token(r.pk, r.person_id) for s, r in objects["recipient"].items()
    }
    objects["unsubscribe_token"] = {
        s: make_token(r.person_id, "email", r.pk) for s, r in objects["recipient"].items()
    }
    objects["calendar_secret"] = {s: calendar_key(p).secret for s, p in owner.items()}
    objects["device"] = {
        s: PushSubscription.objects.create(
            person=p, endpoint=f"https://push.example.net/{s}", p256dh="k", auth="a"
        )
        for s, p in owner.items()
    }
    objects["report"] = {
        s: reports.file_report(
            p,
            reports.ReportInput(
                network_id=network[BIN_OF[s]].pk,
                category_id=reports.categories_for(network[BIN_OF[s]].municipality.zone).first().pk,
                occurred_at=now - timedelta(minutes=20),
                longitude=INSIDE[BIN_OF[s]][0],
                latitude=INSIDE[BIN_OF[s]][1],
                description=f"A grey van drove past twice {CANARY[s]}.",
                photos=[jpeg()],
            ),
        )
        for s, p in owner.items()
    }
    objects["photo"] = {s: r.photos.get() for s, r in objects["report"].items()}
    objects["absence"] = {
        s: absences.announce(
            p,
            absences.AbsenceInput(
                starts_on=today + timedelta(days=1),
                ends_on=today + timedelta(days=8),
                contact_name="Mieke Buur",
                contact_phone="0470 12 34 56",
                remarks=f"The neighbour has a key {CANARY[s]}.",
            ),
        )
        for s, p in owner.items()
    }
    # Tips not yet published (with an image), per municipality: A's by A's prevention
    # service, B's for B's municipality (same zone), F's in the other zone.
    objects["draft_tip"] = {
        "A": prevention.save_tip(
            w.municipal,
            w.zone,
            tip_input(f"Tip {CANARY['A']}", image=jpeg(), municipality_id=w.municipality.pk),
        ),
        "B": prevention.save_tip(
            w.zone_staff,
            w.zone,
            tip_input(f"Tip {CANARY['B']}", image=jpeg(), municipality_id=w.other_municipality.pk),
        ),
        "F": prevention.save_tip(
            far_staff,
            w.other_zone,
            tip_input(f"Tip {CANARY['F']}", image=jpeg(), municipality_id=w.far_municipality.pk),
        ),
    }
    # Published tips are public: no marker in them.
    objects["published_tip"] = {
        s: prevention.set_status(
            prevention.save_tip(staff[s], zone[s], tip_input("Sluit altijd af")),
            staff[s],
            TipStatus.PUBLISHED,
        )
        for s in zone
    }
    objects["campaign"] = {
        s: prevention.create_campaign(
            staff[s],
            zone[s],
            prevention.CampaignInput(
                name=f"Dark months {CANARY[s]}",
                tip_ids=[objects["published_tip"][s].pk],
                network_kinds=[NetworkKind.RESIDENTS],
                starts_at=now + timedelta(hours=1),
            ),
        )
        for s in zone
    }
    objects["webhook"] = {
        s: webhooks.create_endpoint(
            staff[s],
            zone[s],
            webhooks.EndpointInput(
                url=f"https://dispatch{s}.example/hook",
                events=["message.sent"],
                description=f"Dispatch {CANARY[s]}",
            ),
        )
        for s in zone
    }
    objects["api_token"] = {
        s: api_tokens.create_token(
            p, name=f"Token {CANARY[s]}", scopes=["networks:read"], expires_at=now + timedelta(30)
        )[0]
        for s, p in owner.items()
    }
    candidate = {"A": w.member, "B": w.their_member, "F": far_member}
    for s, n in network.items():
        found = governance_objects(
            n,
            officer=officer[s],
            coordinator=coordinator[s],
            candidate=candidate[s],
            marker=CANARY[s],
        )
        for kind, obj in found.items():
            objects.setdefault(kind, {})[s] = obj
    objects.update(yearly_report_objects(network))
    # A's survey is the municipality's prevention service's, B's the zone staff's.
    survey_author = {"A": w.municipal, "B": w.zone_staff, "F": far_staff}
    for s, n in network.items():
        zone_of = w.other_zone if s == "F" else w.zone
        found = survey_objects(zone_of, n, author=survey_author[s], marker=CANARY[s])
        for kind, obj in found.items():
            objects.setdefault(kind, {})[s] = obj
    return SimpleNamespace(
        world=w, objects=objects, markers=markers(neighbour, objects["application"]["A"].person)
    )


# --- Walking ------------------------------------------------------------------------------------


def our_routes() -> list[url_walk.Route]:
    return [
        r
        for r in url_walk.walk()
        if r.top not in OUTSIDE_OUR_CODE and not (r.top == "" and r.name in NOT_WALKED)
    ]


def test_every_url_is_classified():
    """A new URL fails here until it has a rule (and fillers), so none is walked unchecked."""
    problems = []
    routes = our_routes()
    for route in routes:
        if route.name is None:
            problems.append(f"{route.label}: give the pattern a name")
            continue
        if not route.kwargs and route.name not in PAGE_RULES:
            problems.append(f"{route.label}: classify it in PAGE_RULES (who may open it)")
        if route.kwargs and route.name not in OBJECT_RULES:
            problems.append(f"{route.label}: classify it in OBJECT_RULES (who may reach it)")
        for kwarg in route.kwargs:
            if filler_for(route.name, kwarg) is None:
                problems.append(f"add a filler for {route.name} {kwarg} (FILLERS)")
    names = {r.name for r in routes}
    problems += [f"{n}: in PAGE_RULES but no such URL" for n in PAGE_RULES if n not in names]
    problems += [f"{n}: in OBJECT_RULES but no such URL" for n in OBJECT_RULES if n not in names]
    problems += [f"{n} {k}: in FILLERS but no such URL" for n, k in FILLERS if n and n not in names]
    own_names = {r.name for r in url_walk.walk() if not r.top}
    problems += [f"{n}: in NOT_WALKED but no such URL" for n in NOT_WALKED if n not in own_names]
    tops = {r.top for r in url_walk.walk()}
    problems += [
        f"{t}: in OUTSIDE_OUR_CODE but not mounted" for t in OUTSIDE_OUR_CODE if t not in tops
    ]
    assert not problems, "\n".join(problems)


@dataclass(frozen=True)
class Case:
    route: url_walk.Route
    url: str
    sites: tuple[str, ...]  # the site of each parameter's object ((): a page without any)
    expected: str  # ALLOW or DENY
    kwargs: tuple[tuple[str, object], ...] = ()

    def missing_urls(self) -> list[str]:
        """The same URL with one object id at a time replaced by an id that exists nowhere.
        BINs and zones are public (their areas are a public map), so their ids are kept:
        the rule (docs/permissions.md) is about the objects inside them."""
        found = []
        for name, value in self.kwargs:
            if name in PUBLIC_IDS or not isinstance(value, int):
                continue
            changed = {k: (MISSING_ID if k == name else v) for k, v in self.kwargs}
            found.append(reverse(self.route.name, kwargs=changed))
        return found


# An id no object has (within PostgreSQL's integer range).
MISSING_ID = 2_000_000_000
PUBLIC_IDS = frozenset({"network_id", "zone_id", "code", "municipality_id"})


def cases(role: str, objects: dict) -> list[Case]:
    found = []
    for route in our_routes():
        if not route.kwargs:
            expected = ALLOW if role in PAGE_RULES.get(route.name, ()) else DENY
            found.append(Case(route, reverse(route.name), (), expected))
            continue
        fillers = [filler_for(route.name, k) for k in route.kwargs]
        missing = [k for k, f in zip(route.kwargs, fillers, strict=True) if f is None]
        if missing:
            pytest.fail(f"add a filler for {route.name} {missing[0]} (FILLERS)")
        values = [f.values(objects) for f in fillers]
        free = [i for i, f in enumerate(fillers) if not f.follows]
        for chosen in itertools.product(SITES, repeat=len(free)):
            per_kwarg = {}
            for position, i in enumerate(free):
                per_kwarg[i] = chosen[position]
            for i, f in enumerate(fillers):
                if f.follows:
                    # The nearest free parameter before it gives the site.
                    per_kwarg[i] = per_kwarg[max(j for j in free if j < i)]
            site_of = tuple(per_kwarg[i] for i in range(len(fillers)))
            if any(site not in values[i] for i, site in enumerate(site_of)):
                continue
            kwargs = {k: values[i][site_of[i]] for i, k in enumerate(route.kwargs)}
            if len(set(site_of)) > 1:
                # A mix of two sites' objects (our BIN's id, their application's id):
                # nobody may reach it, the admin included. Skip mixes that name the same
                # objects as an unmixed case.
                if any(
                    all(values[i].get(s) == kwargs[k] for i, k in enumerate(route.kwargs))
                    for s in SITES
                ):
                    continue
                expected = DENY
            else:
                allowed = OBJECT_RULES[route.name].allowed
                expected = ALLOW if allowed & relations(role, site_of[0]) else DENY
            found.append(
                Case(
                    route,
                    reverse(route.name, kwargs=kwargs),
                    site_of,
                    expected,
                    tuple(kwargs.items()),
                )
            )
    return found


def log_in(client, person):
    """As networks/tests/test_views.log_in: staff count as having passed their second factor."""
    client.force_login(person)
    session = client.session
    session[SESSION_KEY] = True
    session.save()


def leaked_markers(role: str, case: Case, body: str, markers: list[Marker]) -> list[str]:
    if not body:
        return []
    rule_ = OBJECT_RULES.get(case.route.name)
    granted = set()
    if rule_ and rule_.capability:
        # The link's own objects, and what they belong to (A2's inbox item is BIN A's message).
        granted = {BIN_OF[site] for site in case.sites} | set(case.sites)
    found = []
    for marker in markers:
        mine = RELATIONS[role].get(marker.site, set())
        may = bool(mine) if marker.seen_by is None else bool(mine & marker.seen_by)
        if not may and marker.site not in granted and marker.text in body:
            found.append(f"{marker.what} {marker.text!r} (site {marker.site})")
    return found


@pytest.fixture
def quiet_request_log(caplog):
    """Thousands of 403s and 404s are the point here, not news: keep them out of the report."""
    caplog.set_level("CRITICAL", logger="django.request")
    caplog.set_level("CRITICAL", logger="buurtnet.delivery.hooks")


def walk_as(role: str, client, sites) -> list[str]:
    """Request every case as `role`; the problems found, one line each."""
    if role != "anonymous":
        log_in(client, sites.world.people[role])
    problems, reached, missing = [], {}, {}
    for case in cases(role, sites.objects):
        for method in ("GET", "POST"):
            got = url_walk.fetch(client, method, case.url)
            where = f"{method} {case.url} [{case.route.name} {'/'.join(case.sites) or '-'}]"
            stranger = not any(RELATIONS[role].get(site) for site in case.sites)
            if stranger and case.expected == DENY and got.outcome in (DENY, LOGIN):
                problems += existence_told_apart(client, method, case, got, missing, where)
            if got.outcome != NOT_APPLICABLE:
                reached[case.route.name] = True
            if got.outcome == ERROR:
                problems.append(f"{where}: {got.status} {got.problem}".rstrip())
            elif got.outcome == NOT_APPLICABLE:
                continue
            elif got.outcome == SECOND_FACTOR:
                problems.append(f"{where}: sent to set up a second factor: fix log_in()")
            elif got.outcome not in (ALLOW, DENY, LOGIN):
                problems.append(f"{where}: {got.outcome} (a response the table cannot judge)")
            elif case.expected == ALLOW and got.outcome != ALLOW:
                problems.append(f"{where}: expected allow, got {got.outcome} ({got.status})")
            elif case.expected == DENY and got.outcome == ALLOW:
                problems.append(f"{where}: LEAK: expected deny, got {got.status}")
            for marker in leaked_markers(role, case, got.body, sites.markers):
                problems.append(f"{where}: LEAK: the page shows {marker}")
    problems += [
        f"{route.label}: answers 405 to both GET and POST"
        for route in our_routes()
        if route.name not in reached
    ]
    return problems


def existence_told_apart(client, method, case, got, missing: dict, where: str) -> list[str]:
    """A stranger's request for another site's object must be answered as for an object
    that does not exist (docs/permissions.md), or the status tells which ids exist.
    (Who sees the BIN may learn that an object exists: 403 where they may not act.)"""
    problems = []
    for url in case.missing_urls():
        if (method, url) not in missing:
            missing[method, url] = url_walk.fetch(client, method, url).status
        if missing[method, url] != got.status:
            problems.append(
                f"{where}: EXISTENCE: {got.status} for another site's object, "
                f"{missing[method, url]} for a missing one ({url})"
            )
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_url_as(role, client, sites, quiet_request_log):
    problems = walk_as(role, client, sites)
    if problems:
        pytest.fail(f"{len(problems)} problem(s) as {role}:\n" + "\n".join(problems), pytrace=False)
