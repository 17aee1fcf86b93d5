"""The whole book as one PDF (``make pdf``; ``make test`` builds it before the tests run).

Read back with pypdf: one bookmark per chapter in order, every chapter's title and a formula in
the extracted text, the Chinese terms with it, every font embedded, and a plausible length.
"""
import re
from pathlib import Path

import pytest
import yaml

from course import ROOT, chapters

pytestmark = pytest.mark.browser          # printed by Chromium
import os
PDF = Path(os.environ.get("COURSE_PDF", ROOT / "_build" / "pdf" / "book.pdf"))
CHAPTERS = chapters()


@pytest.fixture(scope="module")
def book():
    if not PDF.is_file():
        pytest.fail(f"{PDF} is missing: run `make pdf`")
    import pypdf
    reader = pypdf.PdfReader(PDF)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def flatten(outline):
    for item in outline:
        if isinstance(item, list):
            yield from flatten(item)
        else:
            yield item.title


def test_every_chapter_is_in_the_book_in_order(book):
    reader, text = book
    assert len(reader.pages) >= 5 * len(CHAPTERS), f"only {len(reader.pages)} pages for {len(CHAPTERS)} chapters"
    positions = [text.find(c.title) for c in CHAPTERS]
    assert all(p >= 0 for p in positions), [c.title for c, p in zip(CHAPTERS, positions) if p < 0]
    # each title first appears in the table of contents, in order; then again as its chapter's heading
    bodies = [text.find(c.title, text.find(CHAPTERS[-1].title) + 1) for c in CHAPTERS]
    assert all(b > 0 for b in bodies) and bodies == sorted(bodies), "the chapters are not all in order"
    # Chromium drops the space where a heading wraps onto a second line, so spaces are not compared
    marks = [re.sub(r"\s+", "", m) for m in flatten(reader.outline)]
    missing = [c.title for c in CHAPTERS if not any(re.sub(r"\s+", "", c.title) == m for m in marks)]
    assert not missing, f"no bookmark for {missing} among {marks}"


def test_formulas_and_chinese_terms_are_text(book):
    _, text = book
    assert "w⊤x" in text.replace(" ", ""), "chapter 1's y = f(w⊤x + b) is not in the text"
    assert "深度学习" in text and "神经元" in text, "the Chinese terms were not rendered as text"


def test_every_font_is_embedded(book):
    reader, _ = book
    fonts, missing = 0, []
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            fonts += 1
            if font.get("/Subtype") == "/Type3":
                continue                          # glyphs drawn by the PDF itself
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont")))
    assert fonts > 0 and not missing, f"fonts not embedded: {sorted(set(missing))}"


def test_the_site_offers_the_pdf():
    html = ROOT / "_build" / "html"
    root = yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]     # index.html only redirects to it
    assert 'href="book.pdf"' in (html / f"{root}.html").read_text(), "the landing page does not link book.pdf"
    assert (html / "book.pdf").is_file() and (html / "book.pdf").read_bytes() == PDF.read_bytes(), \
        "_build/html/book.pdf is not the PDF that `make pdf` printed"
