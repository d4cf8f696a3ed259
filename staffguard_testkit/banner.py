"""Where a notice banner lands in a real browser window: the proxy's and the extension's are
placed by the same shared styles (proxy_addons/templates/staff.json, ``banner``), and the
tests of both paths hold them to the same spot with this one check."""

from __future__ import annotations

from typing import Any

GAP = 12  # px between the bar and the window's left, right and bottom edges (staff.json)

RECT = """(selector) => {
  const element = document.querySelector(selector);
  if (!element) return null;
  const r = element.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height,
          width: window.innerWidth, innerHeight: window.innerHeight,
          position: getComputedStyle(element).position};
}"""


def banner_box(page: Any, selector: str) -> dict[str, float]:
    """The banner's box in the window (getBoundingClientRect), after scrolling to the page's
    end and back: a fixed bar stays where it is."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = page.evaluate(RECT, selector)
    page.evaluate("window.scrollTo(0, 0)")
    assert box is not None, f"no banner ({selector}) in the page"
    assert box == page.evaluate(RECT, selector), "the banner moved when the page scrolled"
    return box


def assert_bottom_bar(page: Any, selector: str) -> dict[str, float]:
    """The banner is a bar fixed to the bottom of the window, GAP px in from its edges, and
    well clear of the top where sites keep their navigation."""
    box = banner_box(page, selector)
    assert box["position"] == "fixed", box
    assert abs(box["left"] - GAP) < 1 and abs(box["right"] - (box["width"] - GAP)) < 1, box
    assert abs(box["bottom"] - (box["innerHeight"] - GAP)) < 1, box
    assert 20 < box["height"] < box["innerHeight"] / 3, box
    return box
