"""The plan a new BIN starts from when its zone has not written its own template.

Police alerts reach members on every channel they chose, day and night; everything else
waits for the member's quiet hours. A coordinator's relay of what members saw needs the
officer's approval, as the Belgian BIN framework expects.
"""

from buurtnet.common.rule import Rule

EVERY_CHANNEL = ["email", "sms", "push", "voice", "inapp"]

DEFAULT_PLAN: dict = {
    "police_route": "direct",
    "forward_within_minutes": 30,
    "sms_segment_limit": 3,
    "consult_every_days": 90,
    "rules": [
        {
            "kind": "alert",
            "senders": ["officer", "zone_staff"],
            "approval_needed_for": [],
            "approver": "officer",
            "channels": EVERY_CHANNEL,
            "quiet_hours_apply": False,
            "send_from": None,
            "send_until": None,
            "response_minutes": 15,
            "fallback": True,
            "plates_allowed": True,
        },
        {
            "kind": "notice",
            "senders": ["officer", "zone_staff", "coordinator"],
            "approval_needed_for": [],
            "approver": "officer",
            "channels": ["email", "sms", "push", "inapp"],
            "quiet_hours_apply": True,
            "send_from": None,
            "send_until": None,
            "response_minutes": None,
            "fallback": True,
            "plates_allowed": False,
        },
        {
            "kind": "tip",
            "senders": ["officer", "zone_staff", "coordinator"],
            "approval_needed_for": [],
            "approver": "officer",
            "channels": ["email", "push", "inapp"],
            "quiet_hours_apply": True,
            "send_from": "08:00:00",
            "send_until": "21:00:00",
            "response_minutes": None,
            "fallback": False,
            "plates_allowed": False,
        },
        {
            "kind": "relay",
            "senders": ["coordinator", "steering"],
            "approval_needed_for": ["coordinator", "steering"],
            "approver": "officer",
            "channels": ["email", "sms", "push", "inapp"],
            "quiet_hours_apply": True,
            "send_from": None,
            "send_until": None,
            "response_minutes": 60,
            "fallback": True,
            "plates_allowed": False,
        },
        {
            "kind": "feedback",
            "senders": ["officer", "zone_staff"],
            "approval_needed_for": [],
            "approver": "officer",
            "channels": ["email", "sms", "inapp"],
            "quiet_hours_apply": True,
            "send_from": None,
            "send_until": None,
            "response_minutes": None,
            "fallback": True,
            "plates_allowed": False,
        },
        {
            "kind": "report",
            "senders": ["member", "coordinator", "steering"],
            "approval_needed_for": [],
            "approver": "officer",
            "channels": ["email", "inapp"],
            "quiet_hours_apply": True,
            "send_from": None,
            "send_until": None,
            "response_minutes": 1440,
            "fallback": True,
            "plates_allowed": False,
            "report_to": ["officer"],
            "reporter_contact_shared": False,
        },
    ],
}


def default_rule(kind: str) -> Rule:
    """The default plan's rule for one kind: what applies where a plan (written before that
    kind existed) has none."""
    return next(Rule.from_json(r) for r in DEFAULT_PLAN["rules"] if r["kind"] == kind)
