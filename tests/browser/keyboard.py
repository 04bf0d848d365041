"""Drive a page with the keyboard alone, checking each focus stop on the way.

``tab_to(page, selector)`` presses Tab until the focused element matches
``selector``, and at every stop asserts what a keyboard user needs (WCAG 2.2):

- the focus is visible (2.4.7): a non-``none`` outline or a box-shadow;
- the focused element is on screen and not hidden under something else
  (2.4.11, e.g. a sticky header);
- the order follows the page (2.4.3): each stop comes after the previous one
  in the document (nothing jumps back up).
"""

from __future__ import annotations

FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  const previous = window.__lastFocus;
  window.__lastFocus = el;
  return {
    html: el.outerHTML.slice(0, 140),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
      ? `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}` : null,
    shadow: style.boxShadow !== 'none' ? style.boxShadow : null,
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight
      && box.right > 0 && box.left < innerWidth,
    uncovered: !!top && (top === el || el.contains(top) || top.contains(el)
      || (el.labels && [...el.labels].some((label) => label.contains(top)))),
    afterPrevious: !previous || !document.contains(previous) || previous === el
      || !!(previous.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
  };
}"""


def focus_state(page) -> dict | None:
    """What the focused element looks like (None: nothing is focused)."""
    return page.evaluate(FOCUS_STATE)


def assert_focus_usable(state: dict | None, where: str) -> None:
    """The focused element is visible, on screen, uncovered and after the previous stop."""
    assert state is not None, f"{where}: nothing has the focus"
    assert state["outline"] or state["shadow"], f"{where}: focus not visible on {state['html']}"
    assert state["onScreen"], f"{where}: the focused element is off screen: {state['html']}"
    assert state["uncovered"], f"{where}: the focused element is covered: {state['html']}"
    assert state["afterPrevious"], (
        f"{where}: the focus went back up the page, to {state['html']}")


def tab_to(page, selector: str, *, where: str = "", max_presses: int = 40) -> dict:
    """Press Tab until ``selector`` has the focus (at once if it has it), checking every
    stop; return the state of the last."""
    page.evaluate("() => { window.__lastFocus = document.activeElement; }")
    if page.evaluate("(s) => document.activeElement.matches(s)", selector):  # autofocus
        state = focus_state(page)
        assert_focus_usable(state, where or page.url)
        return state
    for _press in range(max_presses):
        page.keyboard.press("Tab")
        state = focus_state(page)
        assert_focus_usable(state, where or page.url)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return state
    raise AssertionError(f"{where or page.url}: {selector} not reached in {max_presses} Tabs")
