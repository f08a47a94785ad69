"""The Atom feed of a zone's published tips, so prevention reaches beyond the members
(a municipal website, a feed reader, a local newspaper's desk)."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from buurtnet.common import markdown
from buurtnet.networks.models import PoliceZone

from .models import Tip, TipStatus

LANGUAGES = ("nl", "fr", "en")


class ZoneTipsFeed(Feed):
    """Holds the request's language and zone on the instance: build one per request
    (see `zone_feed`), never share one between threads."""

    feed_type = Atom1Feed

    def get_object(self, request, code: str):
        self.language = request.GET.get("lang", "nl")
        if self.language not in LANGUAGES:
            self.language = "nl"
        self.zone = get_object_or_404(PoliceZone, code=code)
        return self.zone

    def title(self, zone: PoliceZone) -> str:
        with translation.override(self.language):
            return _("Prevention tips of %(zone)s") % {"zone": zone.name}

    def subtitle(self, zone: PoliceZone) -> str:
        with translation.override(self.language):
            return _("Advice from the police and the municipalities to prevent crime.")

    def link(self, zone: PoliceZone) -> str:
        return reverse("prevention:public", args=[zone.code])

    def feed_guid(self, zone: PoliceZone) -> str:
        return f"tag:buurtnet,2026:prevention:{zone.code}"

    def author_name(self, zone: PoliceZone) -> str:
        return zone.name

    def items(self, zone: PoliceZone):
        return (
            Tip.objects.filter(zone=zone, status=TipStatus.PUBLISHED)
            .prefetch_related("texts")
            .order_by("-published_at", "-id")[:50]
        )

    # Texts are cleaned of control characters when saved; the feed checks again, because
    # a single one would make the whole feed unreadable XML.
    def item_title(self, tip: Tip) -> str:
        return markdown.without_controls(tip.text_in(self.language).title)

    def item_description(self, tip: Tip) -> str:
        return markdown.without_controls(markdown.to_html(tip.text_in(self.language).body))

    def item_link(self, tip: Tip) -> str:
        return reverse("prevention:tip", args=[self.zone.code, tip.pk]) + f"?lang={self.language}"

    def item_guid(self, tip: Tip) -> str:
        return f"tag:buurtnet,2026:tip:{tip.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, tip: Tip):
        return tip.published_at

    def item_updateddate(self, tip: Tip):
        return max(tip.updated_at, tip.published_at)

    def item_categories(self, tip: Tip) -> list[str]:
        return tip.themes


def zone_feed(request, code: str):
    return ZoneTipsFeed()(request, code=code)
