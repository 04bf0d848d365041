"""WCAG 2.2 AA on every owner page (390×844, Chinese and English) and every staff page
the journeys visit (1440×900), checked by axe-core; and reflow: no horizontal
scrolling and no clipped heading at 320 CSS px and at 200 % text size.

The pages and their data come from ``tests/browser/scene.py``. Each test
visits all its pages and fails once, listing every page's problems.
"""

from __future__ import annotations

import pytest

from accounts.models import Account
from tests.browser.axe import assert_no_axe_violations
from tests.browser.scene import (
    OWNER_LANGUAGES,
    PHONE,
    STAFF_DESKTOP,
    Page,
    build_scene,
    owner_pages,
    sign_in_owner,
    sign_in_staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open(chromium, language: str, options: dict):
    """A browser context speaking ``language`` that lets axe be injected (CSP bypassed).

    The hand-off page's script presses "Continue" at once (and so uses the
    link); it is held back so the page itself can be checked, as a browser
    without JavaScript shows it.
    """
    context = chromium.new_context(locale=OWNER_LANGUAGES[language], bypass_csp=True, **options)
    context.set_default_timeout(15_000)
    context.route("**/static/js/continue.js", lambda route: route.abort())
    return context


def visit_all(chromium, base_url: str, pages: list[Page], language: str, options: dict,
              check, sign_in) -> list[str]:
    """Visit ``pages`` (one browser context per user), run ``check`` on each; return failures."""
    failures: list[str] = []
    users = list(dict.fromkeys(page.user for page in pages))
    for user in users:
        context = _open(chromium, language, options)
        try:
            tab = context.new_page()
            if user is not None:
                sign_in(tab, base_url, user)
            for spec in (p for p in pages if p.user == user):
                tab.goto(base_url + spec.path)
                tab.wait_for_load_state("load")
                if spec.prepare:
                    spec.prepare(tab, base_url)
                    tab.wait_for_load_state("load")  # its stylesheets too, after a form post
                where = f"{spec.name} [{language}]"
                try:
                    assert tab.locator("html").get_attribute("lang") == language, (
                        f"html lang is {tab.locator('html').get_attribute('lang')!r}, "
                        f"not {language!r}")
                    check(tab, where)
                except AssertionError as error:
                    failures.append(f"{where}: {error}")
        finally:
            context.close()
    return failures


@pytest.fixture
def scene(private_dir, settings):
    # Every run asks for a reset link: the per-hour limits (counted in Redis) stay out of it.
    settings.PORTAL_PASSWORD_RESET_RATE_PER_ADDRESS = "1000/minute"
    settings.PORTAL_PASSWORD_RESET_RATE_PER_EMAIL = "1000/minute"
    return build_scene()


@pytest.mark.parametrize("language", sorted(OWNER_LANGUAGES))
def test_every_owner_page_passes_axe_wcag_22_aa_on_a_phone(
        live_server, chromium, scene, language):
    from accounts import services

    # The hand-off page speaks its owner's language: make it this run's.
    services.account_set_language(account=Account.objects.get(username="demo-realname"),
                                  language=language, chosen=False)
    pages = owner_pages(scene)
    failures = visit_all(chromium, live_server.url, pages, language, PHONE,
                         assert_no_axe_violations, sign_in_owner)
    assert not failures, "\n\n".join(failures)
    assert len(pages) >= 30


@pytest.mark.parametrize("language", sorted(OWNER_LANGUAGES))
def test_every_staff_page_the_journeys_visit_passes_axe_on_a_desktop(
        live_server, chromium, scene, language):
    from tests.browser.scene import staff_pages

    failures = visit_all(chromium, live_server.url, staff_pages(scene), language,
                         STAFF_DESKTOP, assert_no_axe_violations, sign_in_staff)
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------------------
# Reflow (WCAG 1.4.10) and text resize (1.4.4)
# ---------------------------------------------------------------------------
# Two conditions, each on its own:
# - 320 CSS px wide at normal text size: what WCAG 1.4.10 names (a 1280 px
#   window at 400 % zoom);
# - a 390 px phone with the text at 200 %: the root font size doubled
#   (``html { font-size: 200% }``), which is what a browser's text size setting
#   does (Chromium's "font size", Android's font scale): every rem and em grows,
#   pixel sizes stay. Page zoom would instead shrink the viewport, which the
#   320 px case already covers.
REFLOW = {
    "320 px": ({"viewport": {"width": 320, "height": 720}, "device_scale_factor": 2,
                "is_mobile": True, "has_touch": True}, None),
    "200 % text": (PHONE, "200%"),
    "320 px, 200 % text": ({"viewport": {"width": 320, "height": 720}, "device_scale_factor": 2,
                            "is_mobile": True, "has_touch": True}, "200%"),
}

LAYOUT_PROBLEMS = """(rootFontSize) => {
  if (rootFontSize) { document.documentElement.style.fontSize = rootFontSize; }
  const root = document.documentElement;
  const width = root.clientWidth;
  const problems = [];
  if (root.scrollWidth > width) {
    // Name the elements that stick out, outermost first, skipping what scrolls by design.
    const out = [...document.body.querySelectorAll('*')].filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width && box.right > width + 1 && !el.closest('.table-responsive');
    }).slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`
      + ` (right edge ${Math.round(el.getBoundingClientRect().right)})`);
    problems.push(`scrolls sideways: ${root.scrollWidth} px wide in ${width} px: ${out.join(', ')}`);
  }
  const fontSize = (el) => parseFloat(getComputedStyle(el).fontSize);
  for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6, .navbar-brand')) {
    if (!heading.getClientRects().length) { continue; }  // not shown (closed <details>)
    const box = heading.getBoundingClientRect();
    const text = heading.textContent.trim().slice(0, 40);
    if (heading.scrollWidth > heading.clientWidth + 1) {
      problems.push(`heading clipped: "${text}" (${heading.scrollWidth} px of text in ${heading.clientWidth} px)`);
    }
    if (box.width < 2 * fontSize(heading) || box.height < 0.8 * fontSize(heading)) {
      problems.push(`heading collapsed: "${text}" (${Math.round(box.width)}×${Math.round(box.height)} px)`);
    }
    if (box.left < -1 || box.right > width + 1) {
      problems.push(`heading outside the page: "${text}" (${Math.round(box.left)}–${Math.round(box.right)} px)`);
    }
  }
  return problems;
}"""


def reflow_pages(scene) -> list[Page]:
    """The status page of every situation, every wizard step, the appeal pages."""
    return [page for page in owner_pages(scene)
            if page.name.startswith(("status ", "wizard ", "verification ", "appeal ",
                                     "support conversation", "my appeals"))]


def layout_check(root_font_size: str | None):
    def check(page, where: str) -> None:
        problems = page.evaluate(LAYOUT_PROBLEMS, root_font_size)
        if root_font_size:
            size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
            assert size == "32px", f"the text did not grow: root font size {size}"
        assert not problems, "\n  ".join(problems)
    return check


@pytest.mark.parametrize("condition", sorted(REFLOW))
@pytest.mark.parametrize("language", sorted(OWNER_LANGUAGES))
def test_pages_reflow_without_sideways_scrolling_or_clipped_headings(
        live_server, chromium, scene, language, condition):
    options, root_font_size = REFLOW[condition]
    pages = reflow_pages(scene)
    failures = visit_all(chromium, live_server.url, pages, language, options,
                         layout_check(root_font_size), sign_in_owner)
    assert not failures, f"{condition}:\n" + "\n\n".join(failures)
    assert len(pages) >= 15


# ---------------------------------------------------------------------------
# What axe cannot see
# ---------------------------------------------------------------------------
def test_the_progress_page_announces_a_new_state_without_a_reload(
        live_server, chromium, private_dir):
    """A status message (4.1.3): the new state comes in place and is read out politely."""
    from django.utils import translation

    from accounts.demo import demo_load
    from tests.support import verification as wizard
    from verification import services as vr
    from verification.models import VerificationRequest

    demo_load()
    owner = Account.objects.get(username="demo-realname")
    request = wizard.complete(owner, seed=51, name="王小明", submit=True)

    context = _open(chromium, "en", PHONE)
    try:
        page = context.new_page()
        sign_in_owner(page, live_server.url, owner.username)
        page.goto(f"{live_server.url}/verification/{request.pk}/")
        region = page.locator("#progress-announce")
        assert region.get_attribute("aria-live") == "polite"
        assert region.inner_text() == ""
        page.evaluate("() => { window.__notReloaded = true; }")

        vr.verification_run_checks(request_id=request.pk)  # as the worker would
        with translation.override("en"):
            state = str(VerificationRequest.objects.get(pk=request.pk).get_state_display())
        # The checks pass through "checking" on their way (a poll may announce
        # it first); the region must end on the final state, without a reload.
        page.wait_for_function(
            "state => document.getElementById('progress-announce').textContent"
            ".trim().startsWith(state)", arg=state, timeout=20_000)
        assert region.inner_text().startswith(state), region.inner_text()
        assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
        assert_no_axe_violations(page, "progress page after the change")
    finally:
        context.close()


STAFF_DETAILS = """() => {
  const style = (el) => getComputedStyle(el);
  const crumbs = [...document.querySelectorAll('div.breadcrumbs a')];
  const filters = [...document.querySelectorAll('#changelist-filter li a')];
  const timeline = document.querySelector('.vr-timeline');
  return {
    h1: [...document.querySelectorAll('h1')].map((h) => h.textContent.trim()),
    crumbsUnderlined: crumbs.length ? crumbs.every(
      (a) => style(a).textDecorationLine.includes('underline')) : null,
    shortestFilter: filters.length ? Math.min(
      ...filters.map((a) => a.getBoundingClientRect().height)) : null,
    timeline: timeline && {
      tabindex: timeline.getAttribute('tabindex'),
      name: document.getElementById(timeline.getAttribute('aria-labelledby'))?.textContent,
      scrolls: style(timeline).overflowY,
    },
  };
}"""


def test_staff_pages_underline_breadcrumbs_size_filters_and_reach_the_timeline(
        live_server, chromium, scene):
    from tests.browser.scene import staff_pages

    pages = {page.name: page for page in staff_pages(scene)}
    seen = {}

    def look(page, where: str) -> None:
        seen[where.split(" [")[0]] = page.evaluate(STAFF_DETAILS)

    visit_all(chromium, live_server.url, list(pages.values()), "en", STAFF_DESKTOP, look,
              sign_in_staff)
    assert seen["admin sign-in"]["h1"], "the admin sign-in has no level-one heading"
    for name in ("verification queue", "appeal queue", "verification case", "account page"):
        assert seen[name]["crumbsUnderlined"] is True, name
    for name in ("verification queue", "appeal queue"):
        assert seen[name]["shortestFilter"] >= 24, (name, seen[name]["shortestFilter"])
    timeline = seen["verification case"]["timeline"]
    assert timeline == {"tabindex": "0", "name": "Timeline", "scrolls": "auto"}, timeline
