"""The instructor's workflow, run for real with nbgrader's own commands, for every assignment.

In a temporary copy of the course root: ``generate_assignment``, then ``autograde`` of three
submissions per assignment (the solutions, the untouched release, and the realistic bug of the
assignment's ``realistic_bug.yml``), then ``generate_feedback``.  Scores are read back from
nbgrader's gradebook.  The assignments come from ``exercises/source/``: adding one adds its tests.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import ROOT, assignment_notebook, assignments, realistic_bug

pytestmark = pytest.mark.grader

COURSE = ROOT / "exercises"
ASSIGNMENTS = assignments()
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION\n?", re.M | re.S)
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n(.*?)^[ \t]*### END HIDDEN TESTS\n?", re.M | re.S)


def nbgrader(course, *args, check=True):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 or not check, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def as_solved(cell_source):
    """A solution cell as a student who solved it would leave it: the markers gone."""
    return SOLUTION.sub(lambda m: m.group(1), cell_source)


def fill(release_nb, answers):
    """A copy of the released notebook with each solution cell replaced by ``answers[grade_id]``."""
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def source_nb(name):
    return nbformat.read(assignment_notebook(name), as_version=4)


def solutions(name):
    """``{grade_id: solved source}`` for every solution cell of the assignment."""
    return {c.metadata["nbgrader"]["grade_id"]: as_solved(c.source) for c in source_nb(name).cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def points(name):
    """``{test grade_id: points}`` from the source notebook."""
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
            for c in source_nb(name).cells if c.metadata.get("nbgrader", {}).get("grade")}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(COURSE / "nbgrader_config.py", root)
    shutil.copytree(COURSE / "source", root / "source")
    for name in ASSIGNMENTS:
        proc = nbgrader(root, "generate_assignment", name, "--force")
        assert "not recognized" not in proc.stdout + proc.stderr, proc.stderr
    return root


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(course, name):
    src = source_nb(name)
    released_text = assignment_notebook(name, course, "release").read_text()
    released = nbformat.reads(released_text, as_version=4)
    assert "BEGIN SOLUTION" not in released_text and "END SOLUTION" not in released_text
    assert "HIDDEN TESTS" not in released_text
    assert sorted(p.name for p in (course / "release" / name).iterdir()) == [f"{name}.ipynb"], \
        "the release holds files meant for the course's tests"
    secret_lines, public_lines = set(), set()
    for cell in src.cells:
        for block in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source):
            secret_lines |= {l.strip() for l in block.splitlines() if len(l.strip()) > 12}
        public_lines |= {l.strip() for l in HIDDEN.sub("", SOLUTION.sub("", cell.source)).splitlines()}
    secret_lines -= public_lines          # a line shown on purpose may recur in a hidden test
    assert secret_lines, "the source notebook should have solutions and hidden tests"
    for cell in released.cells:
        leaked = [l for l in secret_lines if l in cell.source]
        assert not leaked, f"released cell {cell.metadata.get('nbgrader', {}).get('grade_id')} leaks {leaked}"
    stubs = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs and all("# YOUR CODE HERE" in c.source and "raise NotImplementedError()" in c.source
                         for c in stubs)
    # every graded test cell keeps its visible part, and every hidden part uses the shared helper
    tests = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all("assert" in c.source for c in tests)
    for cell in src.cells:
        for block in HIDDEN.findall(cell.source):
            assert "check_function(" in block, "hidden tests compare with dlref through dlref.grading"


def grade(course, name, submissions):
    """Submit notebooks for several students, autograde, generate feedback; return the gradebook."""
    for student, nb in submissions.items():
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
    nbgrader(course, "autograde", name, "--force")
    nbgrader(course, "generate_feedback", name, "--force")
    from nbgrader.api import Gradebook
    return Gradebook(f"sqlite:///{course / 'gradebook.db'}")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_autograde_solutions_untouched_and_realistic_bug(course, name):
    released = nbformat.read(assignment_notebook(name, course, "release"), as_version=4)
    answers = solutions(name)
    bug = realistic_bug(name)
    assert set(bug["replace"]) <= set(answers), f"realistic_bug.yml replaces unknown cells of {name}"
    buggy = {**answers, **bug["replace"]}
    with grade(course, name, {"solver": fill(released, answers), "untouched": released,
                              "buggy": fill(released, buggy)}) as gb:
        max_score = gb.find_assignment(name).max_score
        scores = {s: gb.find_submission(name, s).score for s in ("solver", "untouched", "buggy")}
        buggy_cells = {g.name: g.score for g in gb.find_submission_notebook(name, name, "buggy").grades}
    assert max_score == sum(points(name).values())
    assert scores["solver"] == max_score, scores
    assert scores["untouched"] == 0, scores
    assert 0 < bug["expected"]["total"] < max_score, "a realistic bug earns part of the points"
    assert scores["buggy"] == bug["expected"]["total"], (bug["description"], buggy_cells)
    assert {k: buggy_cells[k] for k in bug["expected"]["cells"]} == bug["expected"]["cells"], buggy_cells

    html = (course / "feedback" / "buggy" / name / f"{name}.html").read_text()
    for text in bug["feedback_contains"]:
        assert text in html, f"the feedback for {bug['description']!r} should say {text!r}"
    # hidden tests stay hidden: no hidden line appears in any feedback
    hidden_lines = {l.strip() for c in source_nb(name).cells for block in HIDDEN.findall(c.source)
                    for l in block.splitlines() if len(l.strip()) > 12 and "assert" not in l}
    for student in ("buggy", "untouched"):
        html = (course / "feedback" / student / name / f"{name}.html").read_text()
        shown = [l for l in hidden_lines if l in html]
        assert not shown and "BEGIN HIDDEN" not in html, f"{student}'s feedback shows hidden lines {shown}"
    assert "NotImplementedError" in (course / "feedback" / "untouched" / name / f"{name}.html").read_text()
    assert (course / "feedback" / "solver" / name / f"{name}.html").is_file()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_validate(course, name, tmp_path):
    """What a student runs (``make validate``): the untouched release fails with exit status 1,
    a solution passes with 0, and neither needs dlref: ``import dlref`` fails in their kernel."""
    blocker = tmp_path / "no_dlref"
    (blocker / "dlref").mkdir(parents=True)
    (blocker / "dlref" / "__init__.py").write_text(
        "raise ImportError('a released notebook must run without the course repository')\n")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(blocker))
    release = assignment_notebook(name, course, "release")
    fresh = subprocess.run([sys.executable, "-m", "coursegrader.student", "validate", str(release)],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert fresh.returncode == 1, fresh.stdout + fresh.stderr
    assert "NotImplementedError" in fresh.stdout + fresh.stderr
    solved = tmp_path / f"{name}.ipynb"
    nbformat.write(fill(nbformat.read(release, as_version=4), solutions(name)), solved)
    ok = subprocess.run([sys.executable, "-m", "coursegrader.student", "validate", str(solved)],
                        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout + ok.stderr
    assert ok.returncode == 0 and "1 of 1 notebook(s) passed validation" in ok.stdout, ok.stdout
