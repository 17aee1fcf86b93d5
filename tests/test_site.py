"""The built website, as a reader's browser sees it.

Runs against ``_build/html`` (``make book`` builds it; ``make test`` builds it
first).  The site is served on 127.0.0.1 and opened in Debian's headless
Chromium through Playwright; every request to any other host is recorded and
refused, so a page that needs a CDN fails here as it would offline.
"""
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _require_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the Python package playwright (pip install -r requirements.txt)"
    else:
        missing = None if CHROMIUM else "Debian's chromium (apt-get install chromium)"
    if missing:
        if IN_CI:
            pytest.fail(f"the browser test must run in CI, but {missing} is not installed")
        pytest.skip(f"browser test needs {missing}")


@pytest.fixture(scope="module")
def site():
    if not (HTML / "chapters" / "01_neuron.html").is_file():
        pytest.fail(f"{HTML} has no built chapter 1: run `make book` first")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.foreign = []
    pg.console_errors = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if host in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            pg.foreign.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    # pydata-sphinx-theme logs "invalid theme mode" once when localStorage is empty
    pg.on("console", lambda m: m.type == "error" and "theme mode" not in m.text
          and pg.console_errors.append(m.text))
    yield pg
    context.close()


def test_static_html_references_no_other_host():
    """No script, stylesheet, font or image tag in any page points off the site."""
    pattern = re.compile(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="(https?:)?//', re.I)
    offenders = [str(p.relative_to(HTML)) for p in HTML.rglob("*.html") if pattern.search(p.read_text())]
    assert not offenders, f"pages loading from another host: {offenders}"


def test_chapter_1_formulas_typeset_and_plots_load(site, page):
    page.goto(f"{site}/chapters/01_neuron.html", wait_until="networkidle")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")
    typeset = page.locator("mjx-container").count()
    display = page.locator("mjx-container[display='true']").count()
    errors = page.locator("mjx-merror").count()
    assert typeset >= 20 and display >= 3, f"only {typeset} formulas ({display} displayed) typeset"
    assert errors == 0, f"{errors} formulas failed to typeset"
    # the MathJax fonts really arrived (chtml draws glyphs from its web fonts)
    assert page.evaluate("() => document.fonts.check('12px MJXZERO')") or \
        page.evaluate("() => [...document.fonts].some(f => f.family.includes('MJX') && f.status === 'loaded')")
    raw = page.locator("article").inner_text()
    assert "\\top" not in raw and "$$" not in raw, "raw TeX left on the page"

    images = page.evaluate("""() => [...document.querySelectorAll('article img')]
        .map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight, ok: i.complete}))""")
    plots = [i for i in images if i["src"].startswith("../_images/")]
    assert len(plots) >= 2, f"expected the chapter's plots, found images {images}"
    for img in plots:
        assert img["ok"] and img["w"] > 300 and img["h"] > 200, f"plot not loaded: {img}"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "ch01_top.png"))
    page.locator("article img").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "ch01_plot.png"))
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"
    assert page.console_errors == [], page.console_errors


def test_navigation_and_search(site, page):
    page.goto(f"{site}/index.html", wait_until="networkidle")
    assert page.title().startswith("Deep Learning Fundamentals")
    page.locator("nav a", has_text="The neuron").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/chapters/01_neuron.html")
    page.goto(f"{site}/search.html?q=perceptron", wait_until="networkidle")
    page.wait_for_selector("#search-results li", timeout=15000)
    hits = page.locator("#search-results li a").all_inner_texts()
    assert any("neuron" in h.lower() for h in hits), hits
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"
