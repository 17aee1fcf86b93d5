"""The appendix: glossary, errata, FAQ, notation, references and execution statistics.

Fast tier (no marker): these read the Markdown and the notebooks' JSON and run nothing.

* Every chapter glosses a glossary term with the glossary's Chinese term or a listed variant, and
  links (``{term}``) only terms that the glossary defines; the checker is shown to fail on a
  wrong term.
* The errata list items 1-24, each with its five parts; every "Erratum N" note of a chapter has
  an entry that names the chapter.
* The FAQ has the articles' twelve questions, each answered and pointing to chapters.
* Every ``{cite}`` key of the book is in ``references.bib``.
* Every figure of every chapter carries alt text and a caption in its cell metadata (myst-nb's
  ``mystnb.image.alt`` and ``mystnb.figure``), so that the site can describe it to a screen reader.
"""
import re
from pathlib import Path

import nbformat
import pytest
import yaml

import reference_pages as rp
from course import ROOT, chapters

APPENDIX = ROOT / "appendix"
SEEDS = ROOT.parent / "shared" / "seeds"       # the source articles, beside a working copy
CHAPTERS = chapters()
PAGES = ("glossary", "errata", "faq", "notation", "references", "execution")


@pytest.fixture(scope="module")
def glossary():
    return rp.parse_glossary((APPENDIX / "glossary.md").read_text())


def book_markdown():
    """(name, markdown) of every page of the book: landing page, chapters, appendix."""
    yield "intro.md", (ROOT / "intro.md").read_text()
    for chapter in CHAPTERS:
        yield chapter.notebook.name, rp.markdown_of(chapter.notebook)
    for page in sorted(APPENDIX.glob("*.md")):
        yield f"appendix/{page.name}", page.read_text()


# ---- glossary ---------------------------------------------------------------------------------

def test_glossary_defines_every_term_once_with_its_chinese(glossary):
    entries = {id(e): e for e in glossary.values()}.values()
    assert len(entries) >= 150, f"only {len(entries)} glossary entries"
    for entry in entries:
        assert entry.zh and entry.definition.strip(), entry.terms
        assert entry.zh not in entry.variants, entry.terms
    # The variants the design names: 感知机/感知器, 池化/汇聚.
    assert glossary["perceptron"].forms == ["感知机", "感知器"]
    assert glossary["pooling"].forms == ["池化", "汇聚"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_chapter_uses_the_glossary_terms(glossary, chapter):
    problems = rp.check_notebook(chapter.notebook, glossary)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("text, expected", [
    ("the **{term}`perceptron`** (感知机) rule", []),
    ("the **perceptron** (感知器; 邱锡鹏's spelling)", []),                       # a listed variant
    ("five passes over the data (**epochs**, 轮次)", []),
    ("the **{term}`perceptron`** (感知器件) rule", ["'perceptron' is glossed '感知器件'"]),
    ("the **neuron** (神经细胞)", ["'neuron' is glossed '神经细胞'"]),
    ("over the data (**epochs**, 时期)", ["'epochs' is glossed '时期'"]),
    ("**Key terms.** neuron 神经元 · pooling 汇合 · hidden layer 隐藏层",
     ["'pooling' is glossed '汇合'"]),
    ("## Key terms\n\n{term}`neuron` 神经元 · {term}`hidden layer` 隐含层次\n",
     ["'hidden layer' is glossed '隐含层次'"]),
    ("a {term}`quantum perceptron` (量子感知机)", ["links 'quantum perceptron'"]),
    ("a {term}`nets <neural net>`", ["links 'neural net'"]),
])
def test_the_glossary_check_catches_a_wrong_term(glossary, text, expected):
    problems = rp.check_text(text, glossary, where="synthetic")
    assert len(problems) == len(expected), problems
    for problem, part in zip(problems, expected):
        assert part in problem, problems


def test_the_glossary_check_reads_a_notebook(glossary, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99. Test\n\nA **{term}`neuron`** (神经元)."),
                nbformat.v4.new_code_cell("print('**neuron** (神经细胞)')"),     # code is not checked
                nbformat.v4.new_markdown_cell("The **multilayer perceptron** (多层感知器件, MLP).")]
    path = tmp_path / "99_test.ipynb"
    nbformat.write(nb, path)
    problems = rp.check_notebook(path, glossary)
    assert len(problems) == 1 and "'多层感知器件'" in problems[0], problems


def test_every_term_link_of_the_book_is_defined(glossary):
    for name, text in book_markdown():
        for m in rp.TERM_ROLE.finditer(text):
            target = rp.role_target(m.group("body"))
            assert target.lower() in glossary, f"{name} links {target!r}, not in the glossary"


# ---- errata and FAQ ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def errata():
    return rp.sections((APPENDIX / "errata.md").read_text(), "erratum")


def test_errata_list_the_24_items_each_with_five_parts(errata):
    assert list(errata) == [str(n) for n in range(1, 25)], list(errata)
    for number, body in errata.items():
        assert re.match(rf"\s*## Erratum {number}: \S", body), f"erratum {number}: heading"
        parts = rp.erratum_parts(body)
        assert list(parts) == list(rp.ERRATUM_PARTS), f"erratum {number} has parts {list(parts)}"
        for name, text in parts.items():
            assert text, f"erratum {number}: empty part {name!r}"
        assert re.search(r"Articles? 00[0-4]", parts["Source"]), f"erratum {number}: which article?"
        assert rp.quotations(parts["Original"]), f"erratum {number}: no quotation “…” of the original"
        assert "{cite" in parts["Correction"], f"erratum {number}: the correction cites no reference"
        assert re.search(r"Chapter \d+", parts["Taught in"]), f"erratum {number}: no chapter named"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the source articles are not at {SEEDS}")
def test_errata_quote_the_articles_verbatim(errata):
    seeds = " ".join(re.sub(r"\s+", " ", p.read_text()) for p in SEEDS.glob("*.txt"))
    for number, body in errata.items():
        for quote in rp.quotations(rp.erratum_parts(body)["Original"]):
            assert re.sub(r"\s+", " ", quote) in seeds, f"erratum {number}: {quote!r} is not in the articles"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_each_erratum_note_of_a_chapter_has_its_entry(errata, chapter):
    """A chapter's note "Erratum N" (or "Errata N and M") is listed under N, which names the chapter."""
    notes = re.findall(r"^:::\{(?:note|admonition)\} Errat(?:um|a) ([^\n]*)", rp.markdown_of(chapter.notebook), re.M)
    for title in notes:
        for number in re.findall(r"\b\d+\b", title.split("(")[0]):
            assert number in errata, f"{chapter.stem}: note 'Erratum {number}' has no entry"
            taught = rp.erratum_parts(errata[number])["Taught in"]
            assert re.search(rf"Chapter {chapter.number}\b", taught), \
                f"erratum {number} does not name chapter {chapter.number}, which corrects it"


def test_faq_answers_the_twelve_questions():
    faq = rp.sections((APPENDIX / "faq.md").read_text(), "faq")
    expected = [f"001-{i}" for i in range(1, 6)] + [f"002-{i}" for i in range(1, 4)] + \
               [f"003-{i}" for i in range(1, 5)]
    assert list(faq) == expected, list(faq)
    for key, body in faq.items():
        assert re.search(r"^### .*[？?]", body, re.M), f"FAQ {key}: no question"
        assert rp.CJK.search(body.split("\n", 2)[1]), f"FAQ {key}: the article's question in Chinese"
        answer = re.search(r"^\*\*Answer\.\*\* (.+?)(?=^\*\*Go deeper)", body, re.M | re.S)
        deeper = re.search(r"^\*\*Go deeper\.\*\* (.+)", body, re.M | re.S)
        assert answer and len(answer.group(1)) > 100, f"FAQ {key}: no answer"
        assert deeper and re.search(r"Chapter \d+", deeper.group(1)), f"FAQ {key}: no chapter to go deeper"


# ---- references -------------------------------------------------------------------------------

def bib_keys():
    return set(re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M))


CITE = re.compile(r"\{cite(?::[a-z]+)*\}`([^`]+)`")


def cited_keys(text):
    for m in CITE.finditer(text):
        for target in m.group(1).split(","):
            yield re.sub(r"\{[^{}]*\}", "", target).strip()


def test_every_cited_key_is_in_the_bibliography():
    keys = bib_keys()
    assert {"mcculloch1943logical", "rosenblatt1958perceptron", "minsky1969perceptrons",
            "block1962perceptron", "novikoff1962convergence", "rumelhart1986learning",
            "linnainmaa1970representation", "fukushima1980neocognitron", "lecun1989backpropagation",
            "lecun1998gradient", "bengio1994learning", "hochreiter1997long", "hinton2006fast",
            "glorot2010understanding", "krizhevsky2012imagenet", "srivastava2014dropout",
            "he2015delving", "kingma2015adam", "bahdanau2015neural", "vaswani2017attention",
            "goodfellow2016deep", "mcmahan2017communication", "goodfellow2015explaining",
            "okabe2008color"} <= keys
    cited = {}
    for name, text in book_markdown():
        for key in cited_keys(text):
            cited.setdefault(key, name)
    missing = {key: name for key, name in cited.items() if key not in keys}
    assert not missing, f"cited but not in references.bib: {missing}"
    assert len(cited) >= 40, f"only {len(cited)} works cited"


def test_bibliography_keys_are_unique():
    keys = re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M)
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


# ---- figures ----------------------------------------------------------------------------------

def figure_cells(notebook):
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type == "code" and any(key.startswith("image/") for out in cell.get("outputs", [])
                                            for key in out.get("data", {})):
            yield index, cell


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_every_figure_has_alt_text_and_a_caption(chapter):
    names = set()
    for index, cell in figure_cells(chapter.notebook):
        meta = cell.metadata.get("mystnb", {})
        alt = meta.get("image", {}).get("alt", "")
        figure = meta.get("figure", {})
        where = f"{chapter.notebook.name}, cell {index}"
        assert len(alt.split()) >= 5, f"{where}: no alt text in metadata.mystnb.image.alt"
        assert figure.get("caption", "").strip(), f"{where}: no caption in metadata.mystnb.figure.caption"
        name = figure.get("name", "")
        assert re.fullmatch(rf"fig-ch{chapter.number:02d}-[a-z0-9-]+", name), \
            f"{where}: metadata.mystnb.figure.name should be fig-ch{chapter.number:02d}-<short>, not {name!r}"
        assert name not in names, f"{where}: figure name {name} used twice"
        names.add(name)


# ---- the pages themselves ---------------------------------------------------------------------

def test_appendix_pages_are_in_the_toc_under_their_caption():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = [p for p in toc["parts"] if p.get("caption", "").startswith("Appendix")]
    assert len(parts) == 1, "one part of _toc.yml has the caption 'Appendix'"
    assert [e["file"] for e in parts[0]["chapters"]] == [f"appendix/{p}" for p in PAGES]
    assert sorted(p.stem for p in APPENDIX.glob("*.md")) == sorted(PAGES)


def test_references_and_execution_pages_use_their_directives():
    references = (APPENDIX / "references.md").read_text()
    assert re.search(r"^```\{bibliography\}", references, re.M)
    # sphinxcontrib-bibtex resolves {cite} only against a bibliography of citations: with
    # ":list: bullet" every citation of the book is "could not find bibtex key"
    assert re.search(r"^:list:\s*(?!citation)", references, re.M) is None, "keep the default :list: citation"
    assert re.search(r"^```\{nb-exec-table\}", (APPENDIX / "execution.md").read_text(), re.M)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["bibtex_bibfiles"] == ["references.bib"]
