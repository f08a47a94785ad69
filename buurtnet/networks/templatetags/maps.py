"""`{% map data label=_("…") zone=zone mode="view" map_id="map" %}`: one map on a page.

Renders networks/_map.html (the markup static/js/map/*.js reads) and notes the base map's
origin on the request, so that SecurityHeadersMiddleware allows its tiles (img-src) on
this response only. The page loads the scripts with networks/_map_assets.html.
"""

from django import template
from django.utils.translation import gettext as _

from buurtnet.networks import basemap
from buurtnet.networks.models import PoliceZone

register = template.Library()

MODES = ("view", "pick", "draw")
SHAPES = ("polygon", "circle")
TOUCHING = ("", "count", "overlap")


@register.inclusion_tag("networks/_map.html", takes_context=True, name="map")
def map_tag(
    context: template.Context,
    data: dict,
    *,
    label: str = "",
    zone: PoliceZone | None = None,
    mode: str = "view",
    map_id: str = "map",
    lon: str = "",
    lat: str = "",
    field: str = "",
    shapes: str = "polygon",
    touching: str = "",
) -> dict:
    """The context of networks/_map.html for one map of `data` (mapping.map_data) over the
    zone's base map. mode "pick" writes into the inputs with ids lon and lat, mode "draw" into
    the field with id field, drawing the shapes listed and saying which areas it touches
    ("count") or overlaps ("overlap"). A wrong mode, shape or touching is a template error."""
    if mode not in MODES:
        raise template.TemplateSyntaxError(f"map: mode must be one of {MODES}, not {mode!r}")
    shape_list = shapes.split()
    if not shape_list or set(shape_list) - set(SHAPES):
        raise template.TemplateSyntaxError(f"map: shapes must be from {SHAPES}, not {shapes!r}")
    if touching not in TOUCHING:
        raise template.TemplateSyntaxError(f"map: touching must be one of {TOUCHING}")
    base = basemap.for_zone(zone)
    request = context.get("request")
    if request is not None and base.origin:
        origins = getattr(request, "map_tile_origins", None)
        if origins is None:
            origins = request.map_tile_origins = set()
        origins.add(base.origin)
    return {
        "data": data,
        "data_id": f"{map_id}-data",
        "label": label or _("Map of the BIN areas"),
        "base": base,
        "mode": mode,
        "map_id": map_id,
        "lon": lon,
        "lat": lat,
        "field": field,
        "shapes": " ".join(shape_list),
        "circle": "circle" in shape_list,
        "touching": touching,
    }
