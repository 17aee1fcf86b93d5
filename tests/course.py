"""The chapter map, derived from the files: one naming rule ties the course together.

``chapters/NN_slug.ipynb`` is chapter NN; its assignment, if it has one, is
``exercises/source/chNN_slug/chNN_slug.ipynb`` with ``realistic_bug.yml`` beside it; the
dlref modules that teach it name it in the first line of their docstring
("(chapter NN, ...)").  Tests parametrise over these lists, so adding a chapter and its
assignment means adding files, not editing tests.
"""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")
ASSIGNMENT_NAME = re.compile(r"^ch(\d\d)_([a-z0-9_]+)$")
CHAPTER_REF = re.compile(r"\bchapters? ((?:\d+(?:, | and | or )?)+)", re.I)


@dataclass(frozen=True)
class Chapter:
    number: int
    slug: str

    @property
    def stem(self):
        return f"{self.number:02d}_{self.slug}"

    @property
    def notebook(self):
        return ROOT / "chapters" / f"{self.stem}.ipynb"

    @property
    def page(self):
        """The chapter's page in the built site, relative to ``_build/html``."""
        return f"chapters/{self.stem}.html"

    @property
    def assignment(self):
        """The nbgrader assignment's name, ``chNN_slug``, or None when the chapter has none."""
        name = f"ch{self.stem}"
        return name if (ROOT / "exercises" / "source" / name).is_dir() else None

    @property
    def title(self):
        """The text of the notebook's first ``#`` heading."""
        for cell in nbformat.read(self.notebook, as_version=4).cells:
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
        raise ValueError(f"{self.notebook} has no '# ' title")


def chapters():
    """Every chapter notebook, in order."""
    found = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        m = CHAPTER_NAME.match(path.name)
        if not m:
            raise ValueError(f"{path} does not follow the naming rule chapters/NN_slug.ipynb")
        found.append(Chapter(int(m.group(1)), m.group(2)))
    return found


def assignments():
    """Every assignment folder's name under ``exercises/source``, in order."""
    return sorted(p.name for p in (ROOT / "exercises" / "source").iterdir() if p.is_dir())


def assignment_notebook(name, course=ROOT / "exercises", folder="source"):
    return course / folder / name / f"{name}.ipynb"


def realistic_bug(name):
    """The assignment's realistic-bug table: replacements and expected scores."""
    return yaml.safe_load((ROOT / "exercises" / "source" / name / "realistic_bug.yml").read_text())


def module_chapters():
    """``{"dlref/activations.py": {2}, ...}``: the chapters named in each module's first docstring line."""
    table = {}
    for path in sorted((ROOT / "dlref").glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        first = doc.splitlines()[0] if doc else ""
        numbers = set()
        for group in CHAPTER_REF.findall(first):
            numbers |= {int(n) for n in re.findall(r"\d+", group)}
        table[f"dlref/{path.name}"] = numbers
    return table
