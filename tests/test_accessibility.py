"""Every page of the built site, checked for accessibility in headless Chromium.

axe-core (from the npm registry, ``make node``; pinned by package-lock.json) is injected into
each page of ``_build/html``: the landing page, every chapter and every appendix page.  A page
passes with no violation of impact "serious" or "critical", apart from the theme's own listed
in ``ALLOWED`` with their reasons; every image has a non-empty ``alt``; and a keyboard alone
reaches the link to the next page (it is in the tab order) and follows it.
"""
import json
import re

import pytest

from course import ROOT
from test_site import HTML, site  # noqa: F401  (the fixture that serves _build/html)

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "_build" / "accessibility.json"

ALLOWED = {
    # rule id: (the elements it may concern, why).  Each is the theme's own markup
    # (pydata-sphinx-theme under sphinx-book-theme), which no option of _config.yml changes.
    "label-content-name-mismatch": (
        (".search-button", ".theme-switch-button", ".nav-link"),
        "the search button is labelled 'Search' but also shows its shortcut 'Ctrl+K'; the colour-mode "
        "button's label names the mode, not its icon; the theme's navigation links carry a title that "
        "differs from their text; the names still start with what a speech-input user would say"),
}


def _classes(html):
    """The classes of the element whose opening tag starts ``html``, as selectors ('.nav-link')."""
    m = re.match(r'<[^>]*?\bclass="([^"]*)"', html or "")
    return {"." + c for c in m.group(1).split()} if m else set()


def allowed(violation):
    selectors, _why = ALLOWED.get(violation["id"], ((), ""))
    # axe names a node by its shortest unique selector, which depends on the page (the theme
    # switch is '.nav-link' on a page without an outline), so the node's own classes count too
    markup = violation.get("html") or [""] * len(violation["nodes"])
    return bool(selectors) and all(any(s in node or s in _classes(html) for s in selectors)
                                   for node, html in zip(violation["nodes"], markup))


def pages():
    """Every content page of the site, in reading order (from the built pages themselves)."""
    if not HTML.is_dir():
        return []
    found = ["index.html"]
    found += sorted(str(p.relative_to(HTML)) for p in (HTML / "chapters").glob("*.html"))
    found += sorted(str(p.relative_to(HTML)) for p in (HTML / "appendix").glob("*.html"))
    return found


PAGES = pages()


def typeset(page):
    """Wait (at most 30 s) until MathJax, where the page loads it, has typeset the page."""
    page.evaluate("""() => Promise.race([
        (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve(),
        new Promise(resolve => setTimeout(resolve, 30000))])""")


def run_axe(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('axe ran over 120 s')), 120000));
        const r = await Promise.race([axe.run(document, {resultTypes: ['violations']}), timeout]);
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')), html: v.nodes.map(n => n.html)}));
    }""")


@pytest.fixture(scope="module")
def report():
    results = {}
    yield results
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(results, indent=1, ensure_ascii=False))


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_serious_accessibility_violation(site, page, report, path):  # noqa: F811
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make node` (npm ci)")
    page.goto(f"{site}/{path}", wait_until="networkidle")
    typeset(page)
    violations = run_axe(page)
    report[path] = violations
    serious = [v for v in violations if v["impact"] in ("serious", "critical") and not allowed(v)]
    assert not serious, f"{path}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
                                                for v in serious)
    # Sphinx writes the file name as alt when a figure has none: that is no description either
    no_alt = page.evaluate("""() => [...document.querySelectorAll('img')].filter(i => {
        const alt = (i.getAttribute('alt') || '').trim();
        return !alt || alt === i.getAttribute('src') || /\\.(png|jpe?g|svg|gif)$/i.test(alt);
    }).map(i => i.getAttribute('src'))""")
    assert not no_alt, f"{path}: images without a description in alt: {no_alt[:5]}"


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("chapters/")][:-1] or ["(no chapters)"])
def test_keyboard_reaches_the_next_chapter(site, page, path):  # noqa: F811
    page.set_default_timeout(30000)
    page.goto(f"{site}/{path}", wait_until="networkidle")
    target = page.locator("a.right-next").first
    href = target.get_attribute("href")
    assert href, f"{path} has no link to the next page"
    # A long chapter has hundreds of links (glossary terms, copy buttons) before the link to the
    # next page, which sits at the end of the article: start from the page's last focusable
    # element and go back with Shift+Tab, as a keyboard user at the end of a chapter would.
    page.evaluate("""() => {
        const all = [...document.querySelectorAll('a[href], button, input, [tabindex]')]
            .filter(e => e.tabIndex >= 0 && !e.disabled && e.offsetParent !== null);
        all[all.length - 1].focus();
    }""")
    for _ in range(60):
        if page.evaluate("() => document.activeElement && document.activeElement.classList.contains('right-next')"):
            break
        page.keyboard.press("Shift+Tab")
    else:
        pytest.fail(f"{path}: 60 presses of Shift+Tab from the end of the page never reached the link to the next page")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.sub(r"[#?].*$", "", page.url).endswith(re.sub(r"^(\.\./)+|^\./", "", href).split("#")[0]), \
        (page.url, href)
