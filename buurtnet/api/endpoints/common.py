"""Small helpers the endpoints share."""

from typing import Annotated

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as _Field
from ninja import Path, Query

from ..problems import AUTH_PROBLEMS, Problem, ProblemOut, not_found
from ..schemas import MAX_ID, In, Line

# An object's id in a path: a positive number every database column can hold.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PageParams(In):
    cursor: Line | None = _Field(
        None, max_length=2000, description="The `next` link's cursor; omit for page 1."
    )
    limit: int = _Field(50, ge=1, le=100, description="Items per page (at most 100).")


PageQuery = Query[PageParams]


def responses(ok: dict, *extra: int) -> dict:
    """ok ({200: Schema}) plus the problem answers an authenticated endpoint can give."""
    answers = {**ok, **AUTH_PROBLEMS}
    for status in (400, *extra):
        answers[status] = ProblemOut
    return answers


def get_or_404(queryset: QuerySet, pk: int) -> Model:
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise not_found()
    return obj


IDEMPOTENCY_KEY_MAX = 255


def idempotency_key(request: HttpRequest) -> str:
    """The request's `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): a
    structured-field string, `"…"`; a bare value is taken too. Empty when there is none.
    A key that is empty, too long or not printable ASCII is a 400 problem."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return ""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not (key.isascii() and key.isprintable()):
        raise Problem(
            400,
            _("Invalid Idempotency-Key"),
            _("Send a unique value of at most %(n)d printable characters, e.g. a UUID.")
            % {"n": IDEMPOTENCY_KEY_MAX},
            type="invalid-idempotency-key",
        )
    return key
