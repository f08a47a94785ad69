"""The plan rule a message's delivery goes by: the copy (snapshot) its message link took when
the message was sent. Messaging writes it as JSON; delivery only reads it, as a Rule."""

from buurtnet.common.rule import Rule

from .models import Delivery


def message_rule(delivery: Delivery) -> Rule:
    """The rule of a message's delivery. Snapshots name their kind; an older one of an
    automatic notice may not, and only then is the message's kind read (a query unless the
    delivery was loaded with it)."""
    snapshot = delivery.recipient.link.rule or {}
    kind = None if snapshot.get("kind") else delivery.message.kind
    return Rule.from_json(snapshot, kind=kind)


class BatchRules:
    """The rule of each message link of one batch, read from its JSON once: a batch holds
    up to thousands of deliveries of a few links, and reading a rule costs more than a
    dictionary lookup."""

    def __init__(self) -> None:
        self._by_link: dict[int, Rule] = {}

    def of(self, delivery: Delivery) -> Rule:
        link_id = delivery.recipient.link_id
        rule = self._by_link.get(link_id)
        if rule is None:
            rule = self._by_link[link_id] = message_rule(delivery)
        return rule
