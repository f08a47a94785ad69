"""The base map under every map: which tile server, with which attribution.

An installation picks one with the MAP_TILES setting (a preset name or a tile URL template);
a police zone may pick its own (PoliceZone.map_tiles). By default the federal topographic
base map of NGI/IGN (CartoWeb.be), free for public use. The browser loads the tiles itself,
so the tile server's origin is added to the page's Content-Security-Policy (img-src) by the
`{% map %}` tag and buurtnet.security.SecurityHeadersMiddleware.

Templates: an XYZ template with {z} {x} {y} (and optionally {s} for sub-domains), or a WMTS
REST template with {TileMatrix} {TileRow} {TileCol}, which is turned into {z} {y} {x}.
"""

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import PoliceZone

logger = logging.getLogger(__name__)
# Leaflet's default: beyond a tile server's native zoom the last tiles are scaled up.
DEFAULT_MAX_NATIVE_ZOOM = 19
MAX_ZOOM = 22
LOCAL_HOSTS = ("127.0.0.1", "localhost")
WMTS_PLACEHOLDERS = {"tilematrix": "{z}", "tilerow": "{y}", "tilecol": "{x}"}
WMTS_PLACEHOLDER = re.compile(r"\{(TileMatrix|TileRow|TileCol)\}", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
ALLOWED_PLACEHOLDERS = {"z", "x", "y", "s"}
# Quotes, angle brackets, back-slashes, white space and control characters have no place in
# a tile URL and could break out of the attribute or the CSP header it is written into.
FORBIDDEN_CHARACTERS = re.compile(r"[\"'<>\\`\s\x00-\x1f\x7f;,]")


@dataclass(frozen=True)
class BaseMap:
    """A tile layer: url is an XYZ template ("" for no base map at all)."""

    url: str
    attribution: str = ""
    attribution_url: str = ""
    max_native_zoom: int = DEFAULT_MAX_NATIVE_ZOOM

    @property
    def origin(self) -> str:
        """The tile server's origin for the CSP img-src ("https://host[:port]"), or "".

        A {s} sub-domain placeholder becomes the CSP wildcard: https://*.tile.example.org."""
        if not self.url:
            return ""
        parts = urlsplit(self.url)
        host = parts.netloc.replace("{s}.", "*.", 1)
        return f"{parts.scheme}://{host}"


PRESETS: dict[str, BaseMap] = {
    # NGI/IGN's CartoWeb.be topographic map in Web Mercator, WMTS REST (row before column).
    "cartoweb": BaseMap(
        url="https://cartoweb.wmts.ngi.be/1.0.0/topo/default/3857/{z}/{y}/{x}.png",
        attribution="© NGI/IGN",
        attribution_url="https://www.ngi.be/website/gebruiksvoorwaarden-cartoweb-be",
        max_native_zoom=17,
    ),
    "osm": BaseMap(
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution="© OpenStreetMap contributors",
        attribution_url="https://www.openstreetmap.org/copyright",
        max_native_zoom=19,
    ),
    # No base map: the areas and markers on a plain background (air-gapped installations).
    "none": BaseMap(url="", max_native_zoom=DEFAULT_MAX_NATIVE_ZOOM),
}


def normalise_template(value: str) -> str:
    """A WMTS REST template's {TileMatrix}/{TileRow}/{TileCol} as {z}/{y}/{x}; trimmed."""
    return WMTS_PLACEHOLDER.sub(lambda m: WMTS_PLACEHOLDERS[m.group(1).lower()], value.strip())


def validate_template(value: str) -> str:
    """Check a tile URL template (after normalising); return it normalised.

    Raises ValidationError with a message the person configuring it can act on."""
    template = normalise_template(value)
    if FORBIDDEN_CHARACTERS.search(template):
        raise ValidationError(
            _("The tile address may not contain spaces, quotes, commas or semicolons."),
            code="tiles_characters",
        )
    parts = urlsplit(template)
    host = parts.hostname or ""
    local_http = parts.scheme == "http" and host in LOCAL_HOSTS
    if parts.scheme != "https" and not local_http:
        raise ValidationError(
            _("The tile address must start with https:// (http:// only for this computer)."),
            code="tiles_scheme",
        )
    if not host or parts.username or parts.password:
        raise ValidationError(
            _("The tile address needs a host name, without a user name or password."),
            code="tiles_host",
        )
    netloc = parts.netloc.removeprefix("{s}.")
    if "{" in netloc or "}" in netloc:
        raise ValidationError(
            _("In the host name of the tile address only {s}. at the start is allowed."),
            code="tiles_host_placeholder",
        )
    found = PLACEHOLDER.findall(template)
    if not {"z", "x", "y"} <= set(found):
        raise ValidationError(
            _(
                "The tile address must contain {z}, {x} and {y} "
                "(or WMTS's {TileMatrix}, {TileRow} and {TileCol})."
            ),
            code="tiles_placeholders",
        )
    unknown = sorted(set(found) - ALLOWED_PLACEHOLDERS)
    if unknown:
        raise ValidationError(
            _("The tile address contains an unknown placeholder: %(names)s."),
            code="tiles_unknown_placeholder",
            params={"names": ", ".join("{" + name + "}" for name in unknown)},
        )
    return template


def validate_attribution(text: str) -> str:
    """Plain text shown under the map; no control characters."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationError(
            _("The attribution may not contain line breaks or control characters."),
            code="attribution_characters",
        )
    return text.strip()


def validate_attribution_url(url: str) -> str:
    """The page the attribution links to: empty, or an http(s) address that cannot break out
    of the attribute it is written into; returned as given."""
    if not url:
        return ""
    if FORBIDDEN_CHARACTERS.search(url) or urlsplit(url).scheme not in ("http", "https"):
        raise ValidationError(
            _("The attribution link must be an http(s):// address without spaces or quotes."),
            code="attribution_url",
        )
    return url


def parse_max_zoom(value: object, default: int) -> int:
    """The native max zoom from a setting (int, or a string from the environment)."""
    if value in (None, ""):
        return default
    try:
        zoom = int(str(value).strip())
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= MAX_ZOOM:
        raise ValidationError(
            _("The highest zoom level of the tiles must be a whole number from 0 to %(max)s."),
            code="max_zoom",
            params={"max": MAX_ZOOM},
        )
    return zoom


def build(
    tiles: str, attribution: str = "", attribution_url: str = "", max_zoom: object = None
) -> BaseMap:
    """A BaseMap from a preset name or a template with its attribution; raises ValidationError.

    The attribution text, link and zoom given each override the preset's own; what is not
    given stays the preset's (a reworded attribution still links to the preset's terms, as
    the tiles are the same). A template of your own needs an attribution."""
    tiles = (tiles or "").strip()
    attribution = validate_attribution(attribution or "")
    attribution_url = validate_attribution_url((attribution_url or "").strip())
    preset = PRESETS.get(tiles.lower())
    if preset is not None:
        return BaseMap(
            url=preset.url,
            attribution=attribution or preset.attribution,
            attribution_url=attribution_url or preset.attribution_url,
            max_native_zoom=parse_max_zoom(max_zoom, preset.max_native_zoom),
        )
    url = validate_template(tiles)
    if not attribution:
        raise ValidationError(
            _("A tile address of your own needs an attribution (the tiles' source and licence)."),
            code="attribution_required",
        )
    return BaseMap(
        url=url,
        attribution=attribution,
        attribution_url=attribution_url,
        max_native_zoom=parse_max_zoom(max_zoom, DEFAULT_MAX_NATIVE_ZOOM),
    )


def installation() -> BaseMap:
    """The installation's base map from the settings (checked at start-up)."""
    return build(
        settings.MAP_TILES,
        settings.MAP_TILES_ATTRIBUTION,
        settings.MAP_TILES_ATTRIBUTION_URL,
        settings.MAP_TILES_MAX_ZOOM,
    )


def for_zone(zone: "PoliceZone | None" = None) -> BaseMap:
    """The zone's own base map when it has one, else the installation's.

    A zone sets only the tile address and the attribution text: the link and the native zoom
    are the preset's when it names one, else none and Leaflet's default.

    A zone's choice is checked when it is saved through a form (PoliceZone.clean); one that
    is stored wrong all the same is logged and passed over rather than breaking every page."""
    if zone is not None and (zone.map_tiles or "").strip():
        try:
            return build(zone.map_tiles, zone.map_tiles_attribution)
        except ValidationError as exc:
            reason = "; ".join(exc.messages)
            logger.warning("Police zone %s: unusable base map: %s", zone.pk, reason)
    return installation()


def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: the MAP_TILES settings make a base map."""
    try:
        installation()
    except ValidationError as exc:
        return [
            checks.Error(
                f"MAP_TILES: {message}",
                hint="See docs/maps.md: MAP_TILES, MAP_TILES_ATTRIBUTION, MAP_TILES_MAX_ZOOM.",
                id="buurtnet.E301",
            )
            for message in exc.messages
        ]
    return []
