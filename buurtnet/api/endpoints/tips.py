"""A zone's published prevention tips (public on the site too)."""

from django.http import HttpRequest
from ninja import Field, Query, Router

from buurtnet.common.markdown import to_html
from buurtnet.networks.models import PoliceZone
from buurtnet.prevention import services as prevention
from buurtnet.prevention.models import Tip

from ..auth import require_scope
from ..models import Scope
from ..pagination import paginate
from ..problems import not_found
from ..schemas import Line, TipPage
from .common import PageParams, responses

router = Router(tags=["tips"])


class TipParams(PageParams):
    zone: Line = Field(..., description="The police zone's code, e.g. 5401.", max_length=10)
    q: Line = Field("", max_length=100, description="Words to search for.")
    theme: Line = Field("", max_length=40)


def tip_out(tip: Tip) -> dict:
    return {
        "id": tip.pk,
        "code": tip.code,
        "themes": tip.themes,
        "municipality_id": tip.municipality_id,
        "published_at": tip.published_at,
        "texts": [
            {
                "language": t.language,
                "title": t.title,
                "sms_text": t.sms_text,
                "body": t.body,
                "body_html": str(to_html(t.body)),
            }
            for t in tip.texts.all()
        ],
    }


@router.get("", response=responses({200: TipPage}, 404), summary="Published tips of a zone")
def list_tips(request: HttpRequest, params: Query[TipParams]):
    require_scope(request, Scope.TIPS_READ)
    zone = PoliceZone.objects.filter(code=params.zone).first()
    if zone is None:
        raise not_found()
    rows, next_url = paginate(
        request,
        prevention.public_tips(zone, params.q, params.theme),
        ["-published_at", "-id"],
        cursor=params.cursor,
        limit=params.limit,
        list_key=f"tips:{zone.pk}:{params.q}:{params.theme}",
    )
    return {"items": [tip_out(t) for t in rows], "next": next_url}
