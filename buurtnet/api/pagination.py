"""Cursor pagination: an opaque, signed cursor naming where the next page starts.

The cursor holds the sort values of the last row served (keyset pagination), so rows
added or removed meanwhile neither repeat nor skip others. It is signed with
django.core.signing: a cursor that was altered, or one from another list, is a 400 problem.
"""

from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import create_model

from .problems import Problem

SALT = "buurtnet.api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of items: {"items": [...], "next": url-or-null}."""
    return create_model(
        name,
        __base__=Schema,
        items=(list[item], ...),
        next=(str | None, None),
    )


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        parsed = parse_datetime(str(value["dt"]))
        if parsed is None:
            raise ValueError("bad datetime")
        return parsed
    return value


def _value(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def bad_cursor() -> Problem:
    return Problem(
        400,
        _("Invalid cursor"),
        _("The cursor is not one this list gave out. Start again without it."),
        type="invalid-cursor",
        errors={"cursor": [_("Invalid cursor.")]},
    )


def paginate(
    request: HttpRequest,
    queryset: QuerySet,
    ordering: list[str],
    *,
    cursor: str | None,
    limit: int | None,
    list_key: str,
) -> tuple[list, str | None]:
    """One page of queryset, in `ordering` (field names, "-" for descending; the last
    must be unique, e.g. "-id"), and the URL of the next page or None."""
    limit = min(max(limit or DEFAULT_LIMIT, 1), MAX_LIMIT)
    fields = [(f.lstrip("-"), f.startswith("-")) for f in ordering]
    queryset = queryset.order_by(*ordering)
    if cursor:
        try:
            data = signing.loads(cursor, salt=SALT)
            if data.get("l") != list_key or len(data.get("v", [])) != len(fields):
                raise ValueError("another list")
            values = [_decode(v) for v in data["v"]]
        except (signing.BadSignature, ValueError, TypeError, AttributeError) as exc:
            raise bad_cursor() from exc
        queryset = queryset.filter(_after(fields, values))
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if has_more and rows:
        last = rows[-1]
        token = signing.dumps(
            {"l": list_key, "v": [_encode(_value(last, name)) for name, _desc in fields]},
            salt=SALT,
            compress=True,
        )
        params = request.GET.copy()
        params["cursor"] = token
        params["limit"] = str(limit)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return rows, next_url


def _after(fields: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows that sort after the given values: (a > x) or (a = x and b > y) or …"""
    condition = Q(pk__in=[])
    for i, (name, descending) in enumerate(fields):
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
        for prior, _desc in fields[:i]:
            step &= Q(**{prior: values[fields.index((prior, _desc))]})
        condition |= step
    return condition
