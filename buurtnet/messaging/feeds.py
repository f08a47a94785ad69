"""The public notices of a BIN: an HTML page and an Atom feed, readable without an account
(a municipal website, a local newspaper, a feed reader).

Messages are for the members; only a police notice marked public when it was composed is
shown here, once sent, never an exercise, and without the sender's name. The Atom feed
is built like the tips feed (buurtnet.prevention.feeds).
"""

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from buurtnet.common.markdown import without_controls
from buurtnet.networks.models import JOINABLE_STATUSES, Network
from buurtnet.people.models import Language
from buurtnet.plans.models import MessageKind

from .models import Message, MessageStatus, MessageText

PUBLIC_NETWORK_STATUSES = JOINABLE_STATUSES  # founding, active, dormant
FEED_LENGTH = 50
# Readers and municipal sites poll; a notice may wait a few minutes to show up there.
CACHE_SECONDS = 300
# The languages a reader may ask for (?lang=): those a member may choose.
LANGUAGES = tuple(Language.values)


def public_network(network_id: int) -> Network:
    """A BIN whose notices may be public: not a proposal, not dissolved."""
    return get_object_or_404(
        Network.objects.select_related("municipality__zone"),
        pk=network_id,
        status__in=PUBLIC_NETWORK_STATUSES,
    )


def public_notices(network: Network):
    return (
        Message.objects.filter(
            networks__network=network,
            kind=MessageKind.NOTICE,
            status=MessageStatus.SENT,
            public=True,
            is_exercise=False,
        )
        .prefetch_related("texts")
        .order_by("-sent_at", "-id")
    )


def text_in(message: Message, language: str) -> MessageText | None:
    """The notice in the reader's language, or else in its main language."""
    for text in message.texts.all():
        if text.language == language:
            return text
    return message.main_text


def _language(request: HttpRequest) -> str:
    language = request.GET.get("lang") or translation.get_language() or "nl"
    return language if language in LANGUAGES else "nl"


class NetworkNoticesFeed(Feed):
    """Holds the request's language and network on the instance: build one per request
    (see `notices_feed`), never share one between threads."""

    feed_type = Atom1Feed

    def get_object(self, request, network_id: int):
        self.language = _language(request)
        self.network = public_network(network_id)
        return self.network

    def title(self, network: Network) -> str:
        with translation.override(self.language):
            return _("Notices of %(network)s") % {"network": network.name}

    def subtitle(self, network: Network) -> str:
        with translation.override(self.language):
            return _("Public notices of the police to the neighbourhood information network.")

    def link(self, network: Network) -> str:
        return reverse("messaging:public_notices", args=[network.pk])

    def feed_guid(self, network: Network) -> str:
        return f"tag:buurtnet,2026:notices:{network.pk}"

    def author_name(self, network: Network) -> str:
        # The police zone speaks, never a named officer.
        return network.municipality.zone.name

    def items(self, network: Network):
        return public_notices(network)[:FEED_LENGTH]

    def item_title(self, message: Message) -> str:
        text = text_in(message, self.language)
        return without_controls(text.title if text else "")

    def item_description(self, message: Message) -> str:
        text = text_in(message, self.language)
        return without_controls(linebreaks(escape(text.body if text else "")))

    def item_link(self, message: Message) -> str:
        page = reverse("messaging:public_notices", args=[self.network.pk])
        return f"{page}?lang={self.language}#notice-{message.pk}"

    def item_guid(self, message: Message) -> str:
        return f"tag:buurtnet,2026:notice:{message.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, message: Message):
        return message.sent_at

    def item_updateddate(self, message: Message):
        return message.sent_at


@cache_control(public=True, max_age=CACHE_SECONDS)
def notices_feed(request: HttpRequest, network_id: int) -> HttpResponse:
    return NetworkNoticesFeed()(request, network_id=network_id)


def notices_page(request: HttpRequest, network_id: int) -> HttpResponse:
    network = public_network(network_id)
    language = _language(request)
    notices = [(m, text_in(m, language)) for m in public_notices(network)[:FEED_LENGTH]]
    response = render(
        request,
        "messaging/public_notices.html",
        {"network": network, "notices": notices, "language": language},
    )
    # The page carries the reader's own menu and form token when they are logged in: a
    # shared cache may keep only what everyone sees.
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_store=True)
    else:
        patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response
