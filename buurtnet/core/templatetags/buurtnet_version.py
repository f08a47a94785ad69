"""`{% buurtnet_version as version %}` for templates that show which code is running."""

from django import template

from buurtnet import __version__

register = template.Library()


@register.simple_tag
def buurtnet_version() -> str:
    return __version__
