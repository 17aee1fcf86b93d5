"""The one naming rule: chapters/NN_slug.ipynb <-> exercises/source/chNN_slug/ <-> dlref modules."""
import re

import nbformat
import yaml

from course import ROOT, assignment_notebook, assignments, chapters, module_chapters, realistic_bug

# Modules that serve every chapter rather than teach one.
INFRASTRUCTURE = {"dlref/__init__.py", "dlref/_checks.py", "dlref/random.py", "dlref/grading.py"}


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [entry["file"] for part in toc["parts"] for entry in part["chapters"]]


def test_every_chapter_is_in_the_toc_in_order():
    listed = [f for f in toc_files() if f.startswith("chapters/")]
    assert listed == [f"chapters/{c.stem}" for c in chapters()]


def test_every_assignment_belongs_to_a_chapter_and_has_its_files():
    stems = {c.stem for c in chapters()}
    for name in assignments():
        assert re.fullmatch(r"ch\d\d_[a-z0-9_]+", name), f"{name} does not follow chNN_slug"
        assert name[2:] in stems, f"{name} has no chapter chapters/{name[2:]}.ipynb"
        assert assignment_notebook(name).is_file(), f"{name} lacks {name}.ipynb"
        bug = realistic_bug(name)
        assert {"description", "replace", "expected", "feedback_contains"} <= set(bug), name
        assert set(bug["expected"]) == {"total", "cells"}, name


def test_every_chapter_after_the_introduction_has_an_assignment():
    missing = [c.stem for c in chapters() if c.number > 0 and c.assignment is None]
    assert not missing, f"chapters without an assignment: {missing}"


def test_every_teaching_module_names_its_chapters():
    for module, numbers in module_chapters().items():
        if module in INFRASTRUCTURE:
            continue
        assert numbers, f"{module}: the docstring's first line names no chapter"
        assert numbers <= set(range(13)), f"{module} names chapters {numbers}; the course has 0-12"


def test_nbgrader_config_names_no_assignment():
    config = (ROOT / "exercises" / "nbgrader_config.py").read_text()
    assert "db_assignments" not in config
    assert not [name for name in assignments() if name in config]


def test_every_chapter_is_stored_executed():
    # nbval compares fresh outputs with the stored ones; a chapter stored without them is only run
    for chapter in chapters():
        code = [c for c in nbformat.read(chapter.notebook, 4).cells if c.cell_type == "code"]
        unexecuted = [i for i, c in enumerate(code) if c.execution_count is None]
        assert not unexecuted, f"{chapter.stem}: code cells {unexecuted} have no stored run (make execute)"
        counts = [c.execution_count for c in code]
        assert counts == list(range(1, len(code) + 1)), f"{chapter.stem}: stored out of order {counts}"
        assert any(c.outputs for c in code), f"{chapter.stem} stores no output"
