"""Accessibility checks in the browser tests with the vendored axe-core (scripts/vendor-js).

The source goes in with `page.evaluate`, which the page's Content-Security-Policy does not
govern: a <script> tag added to one of our pages would be refused."""

from collections.abc import Sequence
from functools import cache
from pathlib import Path

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
RULE_SETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

RUN_AXE = """async ({exclude, ruleSets}) => {
    const context = exclude.length ? {exclude: exclude.map(selector => [selector])} : document;
    const results = await window.axe.run(context, {runOnly: ruleSets});
    return results.violations.map(violation => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        targets: violation.nodes.map(node => node.target.join(" ")),
    }));
}"""


@cache
def axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page, *, exclude: Sequence[str] = ()) -> list[dict]:
    """What axe-core finds wrong on the page as it is now, leaving out the parts matched by
    the CSS selectors in `exclude`: [{"id", "impact", "help", "targets": [selector, ...]}]."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN_AXE, {"exclude": list(exclude), "ruleSets": RULE_SETS})
