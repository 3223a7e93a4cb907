"""axe-core (Deque's accessibility engine, from npm: tests/interop/node) over a page that
Playwright has open in Chromium: ``assert_accessible(page, "login", sizes=SIZES)`` fails on
any serious or critical violation of WCAG 2.x A/AA at each size and writes axe's whole result
to ``test-artifacts/a11y/<name>-<size>.json``; and on what axe does not check: a field whose
border is too faint to see (1.4.11), a page that scrolls sideways at 320 px (1.4.10), a
control the Tab key does not reach or that hides its focus (2.1.1, 2.4.7).

axe's source goes in through ``page.evaluate`` (DevTools' Runtime.evaluate), which the page's
Content-Security-Policy does not govern: the page is checked with its real policy in force
(nonce'd style and script only), as people get it, and needs no ``bypass_csp`` context that
could hide a style the policy blocks. Any test with a Playwright page can call it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.integration.conftest import ARTIFACTS, ROOT

AXE = ROOT / "tests/interop/node/node_modules/axe-core/axe.min.js"
RESULTS = ARTIFACTS / "a11y"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: what the issue asks every page to pass.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = {"critical", "serious"}
REFLOW = {"width": 320, "height": 256}
# The only frames our pages hold are the relying parties' hidden front-channel logout
# frames: their pages are not ours to check, and axe would wait for an axe inside them.
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "iframes": False, "resultTypes": ["violations", "incomplete"]}


def _source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: install the test's npm packages (make integration does)")
    return AXE.read_text()


def audit(page: Any, name: str) -> dict:
    """axe's result for ``page`` as it is now, also written to test-artifacts/a11y/<name>.json."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source() + "\n;true")  # a script, not a function: evaluated as is
    result = page.evaluate("(options) => axe.run(document, options)", OPTIONS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1))
    return result


def counts(result: dict) -> Counter:
    """Violations by impact, each rule once per element it fails on."""
    return Counter({impact: 0 for impact in IMPACTS}) + Counter(
        violation["impact"] for violation in result["violations"] for _node in violation["nodes"]
    )


def blocking(result: dict) -> list[str]:
    """The serious and critical violations, one readable line per element, critical first."""
    found = sorted(result["violations"], key=lambda violation: (IMPACTS.index(violation["impact"]), violation["id"]))
    return [
        f"{violation['impact']} {violation['id']}: {violation['help']} at {' '.join(map(str, node['target']))}"
        f" ({_first_reason(node)})"
        for violation in found
        if violation["impact"] in BLOCKING
        for node in violation["nodes"]
    ]


def _first_reason(node: dict) -> str:
    """axe's first reason for a node (its summary opens with "Fix any of the following:")."""
    reasons = node["failureSummary"].splitlines()[1:]
    return reasons[0].strip() if reasons else node["failureSummary"]


# WCAG 1.4.11 (non-text contrast), which axe does not check: the border that shows where a text
# field, list box or text area is must stand 3:1 against the field and against what is around it.
FIELD_BOUNDARIES = """() => {
  const rgb = (color) => color.match(/[\\d.]+/g).map(Number);
  const luminance = (color) => {
    const [r, g, b] = rgb(color).slice(0, 3).map((c) => c / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const opaque = (color) => rgb(color)[3] !== 0;
  const behind = (element) => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const color = getComputedStyle(node).backgroundColor;
      if (opaque(color)) return color;
    }
    return "rgb(255, 255, 255)";
  };
  const fields = document.querySelectorAll(
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]), select, textarea");
  return [...fields].filter((field) => field.checkVisibility()).flatMap((field) => {
    const style = getComputedStyle(field);
    const inside = opaque(style.backgroundColor) ? style.backgroundColor : behind(field);
    const worst = Math.min(ratio(style.borderTopColor, inside), ratio(style.borderTopColor, behind(field)));
    return worst < 3 ? [`${field.id || field.name}: border ${style.borderTopColor} at ${worst.toFixed(2)}:1`] : [];
  });
}"""


def weak_field_boundaries(page: Any) -> list[str]:
    """Fields whose border is too faint to show where they are (WCAG 1.4.11), one line each."""
    return page.evaluate(FIELD_BOUNDARIES)


# What the Tab key should reach: each visible, enabled control and focusable region, numbered.
TABBABLE = """() => {
  const all = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])");
  const reachable = [...all].filter((e) => !e.disabled && e.checkVisibility({visibilityProperty: true}));
  reachable.forEach((e, i) => { e.dataset.tabStop = String(i); });
  return reachable.length;
}"""
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || !e.dataset || e.dataset.tabStop === undefined) return null;
  const style = getComputedStyle(e);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
  const value = e.tagName === "BUTTON" && e.value ? `[value=${e.value}]` : "";
  const name = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + value + " " + e.textContent.trim().slice(0, 40);
  return {stop: Number(e.dataset.tabStop), name, ring};
}"""


def keyboard_problems(page: Any) -> list[str]:
    """Tab through the page: every control is reached, in turn, and shows where the focus is
    (WCAG 2.1.1, 2.1.2, 2.4.7). One line per problem."""
    stops = page.evaluate(TABBABLE)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.evaluate("() => window.scrollTo(0, 0)")
    reached: dict[int, dict] = {}
    for _press in range(stops + 2):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is not None:
            reached.setdefault(focused["stop"], focused)
    problems = [f"{focused['name']}: no visible focus" for focused in reached.values() if not focused["ring"]]
    missed = stops - len(reached)
    return problems + ([f"{missed} of {stops} controls not reached with Tab"] if missed else [])


def examine(page: Any, name: str, sizes: dict[str, dict] | None = None) -> tuple[dict[str, dict], list[str]]:
    """axe's results for ``page`` by name, and every problem found, one line each: serious and
    critical axe violations and faint field borders at each of ``sizes`` ({"phone": {"width":
    390, "height": 844}, ...}; named ``<name>-<size>``) or at its own size; a page wider than
    320 px; then, back at its own size, controls the Tab key does not reach or that hide their
    focus (this moves the focus)."""
    own = page.viewport_size
    results: dict[str, dict] = {}
    problems: list[str] = []
    for size, viewport in (sizes or {"": own}).items():
        page.set_viewport_size(viewport)
        key = f"{name}-{size}" if size else name
        results[key] = audit(page, key)
        problems += [f"{key}: {problem}" for problem in blocking(results[key]) + weak_field_boundaries(page)]
    # WCAG 1.4.10: at 320 CSS px (1280 px zoomed to 400 %) nothing scrolls sideways but tables.
    page.set_viewport_size(REFLOW)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    problems += [f"{name}: {overflow} px wider than {REFLOW['width']} px"] if overflow > 0 else []
    page.set_viewport_size(own)
    return results, problems + [f"{name}: {problem}" for problem in keyboard_problems(page)]


def assert_accessible(page: Any, name: str, sizes: dict[str, dict] | None = None) -> dict[str, dict]:
    """``examine`` finds no problem on ``page``; returns axe's results by name."""
    results, problems = examine(page, name, sizes)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
    return results


def write_summary(results: dict[str, dict], path: Path = RESULTS / "summary.md") -> Path:
    """A markdown table of violations by impact per page, and the rules behind them."""
    lines = [
        f"# axe-core {_version(results)} ({', '.join(TAGS)})",
        "",
        "| page | critical | serious | moderate | minor | needs review | rules |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, result in results.items():
        found = counts(result)
        rules = ", ".join(sorted({f"{v['id']} ({v['impact']})" for v in result["violations"]})) or "none"
        cells = [name, *(str(found[impact]) for impact in IMPACTS), str(len(result["incomplete"])), rules]
        lines.append(f"| {' | '.join(cells)} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _version(results: dict[str, dict]) -> str:
    return next((result["testEngine"]["version"] for result in results.values()), "")
