"""Bar widths as classes (w-0 … w-100 in steps of 5): the CSP forbids inline styles."""

from django import template

register = template.Library()


@register.filter
def bar_class(share: float | None) -> str:
    """A share from 0 to 1 as the class of the nearest 5 % width."""
    try:
        percent = max(0.0, min(1.0, float(share or 0))) * 100
    except (TypeError, ValueError):
        percent = 0.0
    return f"w-{int(round(percent / 5) * 5)}"


@register.filter
def share_of(count: int, total: int) -> float:
    return count / total if total else 0.0


@register.filter
def percent(share: float | None) -> str:
    return f"{round((share or 0) * 100)} %"
