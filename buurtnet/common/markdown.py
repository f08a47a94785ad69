"""Tip texts are Markdown written by staff; on any page they go through a sanitiser, so no
script, style, frame or event attribute ever reaches a reader's browser."""

import html
import re

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# The plain-text patterns run in linear time on any text: a scan stops where the next match
# could start (a "[" for links, an opening "*" or "_" for emphasis) instead of reading to the
# end of the text again from every start.
LINK = re.compile(r"\[([^\]\[]++)\]\(([^)\s\[]++)\)")
BOLD = re.compile(r"(\*\*|__)(.+?)\1")
# Inside emphasis, "*" and "_" only within a word (snake_case); any other one ends the scan.
EMPHASIS = re.compile(r"(?<!\w)[*_](\S(?:[^\n*_]|(?<=\w)[*_](?=\w))*+)[*_](?!\w)")


def to_html(text: str) -> str:
    """Markdown to HTML that is safe to show as it is."""
    html = markdown_lib.markdown(text or "", extensions=[], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def to_text(text: str) -> str:
    """The plain-text version for e-mail and SMS: emphasis marks dropped, links spelled out."""
    text = LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text or "")
    text = BOLD.sub(r"\2", text)
    text = EMPHASIS.sub(r"\1", text)
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)
    # Raw HTML in the Markdown is dropped, not shown as tags in an e-mail or SMS.
    return html.unescape(nh3.clean(text, tags=set())).strip()


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(text: str) -> str:
    """Control characters (a line break pasted from a word processor is \\x0b) have no
    place in a tip, and XML, so the Atom feed, cannot carry them at all."""
    return CONTROL.sub(" ", text or "")
