"""Print the whole book to one PDF with the system's Chromium (``make pdf``).

Sphinx's single-page HTML (``jupyter-book build . --builder singlehtml``) holds every chapter
in the order of ``_toc.yml``, figures included, after the landing page's table of contents.
Playwright opens it in Debian's Chromium (``/usr/bin/chromium``; no browser is downloaded),
waits until MathJax has typeset every formula, hides the site's navigation, and prints A4 pages
with PDF bookmarks for the headings.  Chromium embeds the fonts it used, the CJK ones
(Debian's fonts-noto-cjk) included.  Jupyter Book's own ``pdfhtml`` builder would download a
browser, and its LaTeX route needs a TeX installation, so neither is used.

Usage: ``python tools/print_book.py [SINGLEHTML_DIR] [PDF]`` (defaults: ``_build/singlehtml``
and ``_build/pdf/book.pdf``).
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"

PRINT_CSS = """
.bd-header, .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
.bd-footer-article, .prev-next-area, .header-article, #pst-back-to-top, .bd-search,
.headerlink, .toggle-secondary-sidebar, .skip-link { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
.bd-page-width { max-width: 100% !important; }
/* every chapter (each document of the single page) starts on a new page */
span[id^="document-"] + section { break-before: page; }
figure, img, .cell_output, mjx-container[display="true"] { break-inside: avoid; }
html { font-size: 11pt; }
pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }   /* long code lines wrap, not clip */
/* headings small enough to stay on one line: Chromium's bookmark drops the space at a line break */
h1 { font-size: 1.8rem !important; } h2 { font-size: 1.4rem !important; } h3, h4 { font-size: 1.2rem !important; }
"""


def print_book(html_dir=ROOT / "_build" / "singlehtml", pdf=ROOT / "_build" / "pdf" / "book.pdf"):
    html_dir, pdf = Path(html_dir).resolve(), Path(pdf).resolve()
    index = html_dir / "index.html"
    if not index.is_file():
        raise SystemExit(f"{index} is missing: build it with "
                         "`jupyter-book build . --builder singlehtml` (make pdf does)")
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    from playwright.sync_api import sync_playwright
    pdf.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        foreign = []

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                foreign.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(index.as_uri(), wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=60000)
        page.evaluate("() => MathJax.startup.promise")
        page.add_style_tag(content=PRINT_CSS)
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4", print_background=True, outline=True, tagged=True,
                 margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                 display_header_footer=True, header_template="<span></span>",
                 footer_template='<div style="font-size:8pt;width:100%;text-align:center">'
                                 '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
        browser.close()
    if foreign:
        raise SystemExit(f"the book asked other hosts for {foreign[:5]}")
    print(f"wrote {pdf} ({pdf.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    print_book(*sys.argv[1:3])
