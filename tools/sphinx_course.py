"""The course's own Sphinx extension (``_config.yml``: ``sphinx.local_extensions``).

Four small things that no option of Jupyter Book sets:

* **Figures are numbered by chapter.**  Sphinx numbers captioned figures through the whole book
  (Figure 1 ... Figure 60) unless the table of contents is numbered, and numbering it would
  prefix every title.  Here the figures of ``chapters/NN_slug`` become Figure N.1, N.2, ...,
  so that a caption, a ``{numref}`` and the prose ("Figure 3.2") agree.  Figures elsewhere
  keep Sphinx's numbers.
* **Citations read as author and year.**  ``{cite:t}`key``` gives "McCulloch and Pitts (1943)",
  ``{cite:p}`key``` gives "(McCulloch and Pitts, 1943)", with round brackets; the bibliography
  page labels each entry the same way ("[McCulloch and Pitts 1943]") and sorts by author.
* **The bibliography is a valid ARIA list.** docutils writes each entry as
  ``role="doc-biblioentry"`` inside ``role="list"``, which assistive technology (and axe-core's
  rule aria-required-children) reads as a list without items; the entries become list items.
* **The execution table says "ok" or "failed"** (``{nb-exec-table}``, appendix/execution.md),
  where myst-nb writes the emoji ✅ and ❌, which many offline systems cannot draw.
"""
import re
from dataclasses import dataclass, field

from pybtex.plugin import register_plugin as register_pybtex_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

CHAPTER_DOC = re.compile(r"^chapters/(\d\d)_")


# ---- citations -----------------------------------------------------------------------------

def _round_brackets():
    return BracketStyle(left="(", right=")")


@dataclass
class RoundAuthorYearStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author-year citations, with round brackets instead of square."""

    bracket_textual: BracketStyle = field(default_factory=_round_brackets)
    bracket_parenthetical: BracketStyle = field(default_factory=_round_brackets)
    bracket_author: BracketStyle = field(default_factory=_round_brackets)
    bracket_label: BracketStyle = field(default_factory=_round_brackets)
    bracket_year: BracketStyle = field(default_factory=_round_brackets)


def _family_name(person):
    return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels such as "Turing 1950", "McCulloch and Pitts 1943", "Goodfellow et al. 2016"."""

    def format_labels(self, sorted_entries):
        seen = {}
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_family_name(p) for p in people if _family_name(p) != "others"]
            if not names:
                who = entry.fields.get("title", entry.key)[:20]
            elif len(names) == 1 and len(people) == 1:
                who = names[0]
            elif len(names) == 2 and len(people) == 2:
                who = f"{names[0]} and {names[1]}"
            else:
                who = f"{names[0]} et al."
            label = f"{who} {entry.fields.get('year', 'n.d.')}"
            seen[label] = seen.get(label, 0) + 1
            yield label if seen[label] == 1 else f"{label}{'abcdefghij'[seen[label] - 1]}"


class CourseStyle(PlainStyle):
    """pybtex's "plain" formatting, labelled by author and year, sorted by author, year, title."""

    default_label_style = "course_author_year"
    default_sorting_style = "author_year_title"


register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "course_author_year",
                       RoundAuthorYearStyle)
register_pybtex_plugin("pybtex.style.labels", "course_author_year", AuthorYearLabelStyle)
register_pybtex_plugin("pybtex.style.formatting", "course", CourseStyle)


# ---- figures numbered by chapter -------------------------------------------------------------

def number_figures_by_chapter(app, env):
    """Renumber the captioned figures of chapters/NN_*: (NN, 1), (NN, 2), ... in page order."""
    changed = []
    for docname, kinds in env.toc_fignumbers.items():
        match = CHAPTER_DOC.match(docname)
        if not match or "figure" not in kinds:
            continue
        numbers = kinds["figure"]
        in_order = sorted(numbers, key=numbers.get)
        renumbered = {fig_id: (int(match.group(1)), k) for k, fig_id in enumerate(in_order, 1)}
        if renumbered != numbers:
            kinds["figure"] = renumbered
            changed.append(docname)
    return changed


def _plain_exec_status():
    try:
        from myst_nb.ext import execution_tables
    except ImportError:          # pragma: no cover - myst-nb is what builds the book
        return
    if "succeeded" in getattr(execution_tables, "_key2transform", {}):
        execution_tables._key2transform["succeeded"] = lambda ok: "ok" if ok is True else "failed"


def bibliography_entries_as_list_items(app, pagename, templatename, context, doctree):
    if "doc-biblioentry" in context.get("body", ""):
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    _plain_exec_status()
    app.connect("html-page-context", bibliography_entries_as_list_items)
    # after Sphinx's own TocTreeCollector has assigned the book-wide numbers (priority 500)
    app.connect("env-get-updated", number_figures_by_chapter, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
