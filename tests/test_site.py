"""The built website, as a reader's browser sees it.

Runs against ``_build/html`` (``make book`` builds it; ``make test`` builds it
first).  The site is served on 127.0.0.1 and opened in Debian's headless
Chromium through Playwright; every request to any other host is recorded and
refused, so a page that needs a CDN fails here as it would offline.
"""
import functools
import http.server
import re
import threading

import nbformat
import pytest

from course import ROOT, chapters

HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"


pytestmark = pytest.mark.browser
CHAPTERS = chapters()
APPENDIX = sorted(p.stem for p in (ROOT / "appendix").glob("*.md"))   # appendix/<name>.html


@pytest.fixture(scope="module")
def site():
    missing = [c.page for c in CHAPTERS if not (HTML / c.page).is_file()]
    if missing:
        pytest.fail(f"{HTML} lacks the pages {missing}: run `make book` first")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_static_html_references_no_other_host():
    """No script, stylesheet, font or image tag in any page points off the site."""
    pattern = re.compile(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="(https?:)?//', re.I)
    offenders = [str(p.relative_to(HTML)) for p in HTML.rglob("*.html") if pattern.search(p.read_text())]
    assert not offenders, f"pages loading from another host: {offenders}"


def has_math(chapter):
    """Whether the chapter's markdown holds TeX: ``$...$`` or ``$$...$$``."""
    text = "".join(c.source for c in nbformat.read(chapter.notebook, as_version=4).cells
                   if c.cell_type == "markdown")
    return re.search(r"\$[^$\s][^$]*\$", text) is not None


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_chapter_formulas_typeset_and_plots_load(site, page, chapter):
    page.goto(f"{site}/{chapter.page}", wait_until="networkidle")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")
    typeset = page.locator("mjx-container").count()
    errors = page.locator("mjx-merror").count()
    if has_math(chapter):
        assert typeset >= 1, f"{chapter.page}: its TeX was not typeset"
        # the MathJax fonts really arrived (chtml draws glyphs from its web fonts)
        assert page.evaluate("() => document.fonts.check('12px MJXZERO')") or page.evaluate(
            "() => [...document.fonts].some(f => f.family.includes('MJX') && f.status === 'loaded')")
    assert errors == 0, f"{chapter.page}: {errors} formulas failed to typeset"
    # the prose, without code and its output (a plotting cell may hold TeX labels on purpose)
    raw = page.evaluate("""() => { const a = document.querySelector('article').cloneNode(true);
        a.querySelectorAll('pre, .cell_input, .cell_output').forEach(e => e.remove()); return a.innerText; }""")
    assert "\\top" not in raw and "$$" not in raw and "\\frac" not in raw, f"raw TeX left on {chapter.page}"

    images = page.evaluate("""() => [...document.querySelectorAll('article img')]
        .map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight, ok: i.complete}))""")
    plots = [i for i in images if i["src"].startswith("../_images/")]
    assert plots, f"{chapter.page}: every chapter has at least one figure; found images {images}"
    for img in plots:
        assert img["ok"] and img["w"] > 300 and img["h"] > 200, f"plot not loaded on {chapter.page}: {img}"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{chapter.stem}_top.png"))
    page.locator("article img").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{chapter.stem}_plot.png"))
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"
    assert page.console_errors == [], page.console_errors


def test_navigation_and_search(site, page):
    first = CHAPTERS[0]
    page.goto(f"{site}/index.html", wait_until="networkidle")
    assert page.title().startswith("Deep Learning Fundamentals")
    nav_title = re.sub(r"^\d+\.\s*", "", first.title)
    page.locator("nav a", has_text=nav_title).first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/{first.page}")
    page.goto(f"{site}/search.html?q=perceptron", wait_until="networkidle")
    page.wait_for_selector("#search-results li", timeout=15000)
    hits = page.locator("#search-results li a").all_inner_texts()
    assert any("neuron" in h.lower() for h in hits), hits
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if c.assignment], ids=lambda c: c.stem)
def test_chapter_links_its_exercise_for_download(site, page, chapter):
    """The chapter page offers the released student notebook: no solution, no hidden test."""
    page.goto(f"{site}/{chapter.page}", wait_until="networkidle")
    name = chapter.assignment
    link = page.locator(f"article a[href$='/{name}.ipynb']").first
    assert link.count(), f"{chapter.page} does not link its exercise {name}.ipynb"
    href = link.get_attribute("href")
    notebook = (HTML / "chapters" / href).resolve()
    assert notebook.is_file() and notebook.is_relative_to(HTML.resolve()), href
    text = notebook.read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "import dlref" not in text, \
        f"{href} is not the released student version"
    assert "raise NotImplementedError()" in text


def test_landing_page_links_the_repository(site, page):
    import yaml
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    page.goto(f"{site}/index.html", wait_until="networkidle")
    assert page.locator(f"article a[href='{url}']").count() >= 1, f"the landing page does not link {url}"
    assert page.locator(f"a[href^='{url}']").count() >= 2, "the header's repository button is missing"


def broken_links(page, html_path):
    """The links of a page's article that lead to no file of the site, or to no anchor in it."""
    hrefs = page.evaluate("() => [...document.querySelectorAll('article a[href]')].map(a => a.getAttribute('href'))")
    broken = []
    for href in hrefs:
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):          # https:, mailto:, ... leave the site
            continue
        path, _, fragment = href.partition("#")
        target = (html_path.parent / path if path else html_path).resolve()
        if not target.is_file() or not target.is_relative_to(HTML.resolve()):
            broken.append(href)
        elif fragment and not re.search(rf'id="{re.escape(fragment)}"', target.read_text()):
            broken.append(href)
    return broken


@pytest.mark.parametrize("name", APPENDIX)
def test_appendix_page_links_resolve_and_formulas_typeset(site, page, name):
    """Glossary, errata, FAQ, notation, references, execution statistics: as the chapters are."""
    path = HTML / "appendix" / f"{name}.html"
    assert path.is_file(), f"{path} is missing: run `make book` (is it in _toc.yml?)"
    page.goto(f"{site}/appendix/{name}.html", wait_until="networkidle")
    if re.search(r"\$[^$\s][^$]*\$", (ROOT / "appendix" / f"{name}.md").read_text()):
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        assert page.locator("mjx-container").count() >= 1, f"{name}: its TeX was not typeset"
    assert page.locator("mjx-merror").count() == 0, f"{name}: formulas failed to typeset"
    # the prose, without code and its output (a plotting cell may hold TeX labels on purpose)
    raw = page.evaluate("""() => { const a = document.querySelector('article').cloneNode(true);
        a.querySelectorAll('pre, .cell_input, .cell_output').forEach(e => e.remove()); return a.innerText; }""")
    assert "\\frac" not in raw and "$$" not in raw and "{term}" not in raw and "{cite" not in raw, \
        f"raw markup left on appendix/{name}.html"
    assert not broken_links(page, path), f"appendix/{name}.html: broken links {broken_links(page, path)}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"appendix_{name}.png"))
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"
    assert page.console_errors == [], page.console_errors


def test_search_finds_the_appendix(site, page):
    for query, target in (("errata", "appendix/errata.html"), ("glossary", "appendix/glossary.html")):
        page.goto(f"{site}/search.html?q={query}", wait_until="networkidle")
        page.wait_for_selector("#search-results li", timeout=15000)
        hrefs = page.locator("#search-results li a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert any(h.split("#")[0].endswith(target) for h in hrefs), (query, hrefs)
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"
