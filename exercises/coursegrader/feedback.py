"""Feedback that typesets its formulas offline.

nbgrader's feedback template loads MathJax 2.7.7 from a CDN, and its ``mathjax()`` call
ignores ``HTMLExporter.mathjax_url``, so without a network every formula shows as raw TeX.
The course's template folder ``templates/feedback`` (beside this file) comes first in the
exporter's search path and holds only ``mathjax.html.j2``, which replaces that macro; everything
else comes from nbgrader's template of the same name.  The macro inlines, through the Jinja
filter ``inline_mathjax``, MathJax 3's single-file SVG build (``tex-svg.js``, from the
``sphinx-mathjax-offline`` package that the website already uses) into the page itself.  A feedback file is then one self-contained HTML file that a student
can open anywhere, with no request to another host.
"""
import functools
import os
from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import List

TEMPLATES = Path(__file__).resolve().parent / "templates"
"""The folder of the course's ``feedback`` template (``HTMLExporter.extra_template_basedirs``)."""


@functools.lru_cache(maxsize=1)
def mathjax_script():
    """The text of MathJax 3's ``tex-svg.js`` from the installed ``sphinx-mathjax-offline``.

    Raises
    ------
    FileNotFoundError
        If that package is not installed (``make venv`` installs it with the book's requirements).
    """
    from importlib.metadata import PackageNotFoundError, distribution
    try:
        path = Path(distribution("sphinx-mathjax-offline").locate_file(
            "sphinx-mathjax-offline/static/mathjax/tex-svg.js"))
    except PackageNotFoundError:
        path = None
    if path is not None and path.is_file():
        return path.read_text(encoding="utf-8")
    raise FileNotFoundError("MathJax's tex-svg.js was not found in the package sphinx-mathjax-offline "
                            "(pip install sphinx-mathjax-offline); feedback needs it to typeset formulas offline")


def inline_mathjax(_unused=None):
    """Jinja filter for the template: MathJax's script, to be inlined in the page."""
    return mathjax_script()


def template_dirs():
    """Template folders for the feedback exporter: the course's, then nbgrader's."""
    import nbgrader
    nbgrader_templates = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions",
                                      "formgrader", "templates")
    return [str(TEMPLATES), nbgrader_templates]



class ClearHiddenTestsForFeedback(ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests``, accepting nbconvert's ``display_data_priority``.

    The HTML exporter configures ``display_data_priority`` for every ``NbConvertBase``;
    nbgrader's preprocessors declare that trait without ``config=True``, so each feedback run
    would warn "Config option `display_data_priority` not recognized by `ClearHiddenTests`".
    """
    display_data_priority = List(ClearHiddenTests.display_data_priority.default_value).tag(config=True)
