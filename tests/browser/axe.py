"""Run axe-core (Deque's accessibility rules engine) on the page a test has open.

axe-core comes from the npm registry, installed by ``make test`` from
``.ci/node/package-lock.json`` into ``.ci/node/node_modules`` (git-ignored);
nothing is downloaded while the tests run. The browser context must be made
with ``bypass_csp=True``: the portal's Content-Security-Policy rightly refuses
the inline script that ``page.add_script_tag`` injects.

    from tests.browser.axe import assert_no_axe_violations
    assert_no_axe_violations(page, "status page, English")

fails with every critical or serious violation listed: rule, impact, help,
the WCAG criteria, and each offending element with axe's summary of why.
"""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / ".ci/node/node_modules/axe-core/axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe has no rule tagged wcag22a yet).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
BLOCKING_IMPACTS = ("critical", "serious")


def axe_run(page, *, tags: tuple[str, ...] = WCAG_TAGS, disable: tuple[str, ...] = ()) -> dict:
    """Inject axe-core into ``page`` once, run it on the whole document, return its results."""
    if not AXE_JS.exists():
        raise AssertionError(
            f"axe-core is not installed ({AXE_JS}): run `make node-tools` (part of `make test`)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    options = {
        "runOnly": {"type": "tag", "values": list(tags)},
        "rules": {rule: {"enabled": False} for rule in disable},
        "resultTypes": ["violations"],
    }
    return page.evaluate("(options) => axe.run(document, options)", options)


def blocking_violations(results: dict) -> list[dict]:
    """The violations whose impact is critical or serious."""
    return [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """One readable block per violation: what, where, and why (axe's own summary)."""
    lines: list[str] = []
    for violation in violations:
        criteria = ", ".join(t for t in violation["tags"] if t.startswith("wcag") and t[4:5].isdigit())
        lines.append(f"- {violation['id']} ({violation['impact']}; {criteria}): {violation['help']}")
        for node in violation["nodes"][:8]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            lines.append(f"    {target}\n      {node['html'][:160]}\n      {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more elements")
    return "\n".join(lines)


def assert_no_axe_violations(page, where: str = "", *, disable: tuple[str, ...] = ()) -> dict:
    """Fail listing every critical or serious WCAG A/AA violation axe finds on ``page``.

    Return axe's results, so a test can look at the rest (moderate, minor).
    """
    results = axe_run(page, disable=disable)
    found = blocking_violations(results)
    assert not found, (
        f"axe-core {results['testEngine']['version']} found {len(found)} critical or serious "
        f"violation(s) on {where or page.url} ({page.url}):\n{describe(found)}")
    return results
