"""The instructor's workflow, run for real with nbgrader's own commands.

In a temporary copy of the course root: ``generate_assignment``, then
``autograde`` of three submissions (the solutions, the untouched release, and
a realistic bug), then ``generate_feedback``.  Scores are read back from
nbgrader's gradebook.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "exercises"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION\n?", re.M | re.S)
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n(.*?)^[ \t]*### END HIDDEN TESTS\n?", re.M | re.S)


def nbgrader(course, *args):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
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


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(COURSE / "nbgrader_config.py", root)
    shutil.copytree(COURSE / "source", root / "source")
    for name in ASSIGNMENTS:
        nbgrader(root, "generate_assignment", name, "--force")
    return root


def source_nb(name):
    return nbformat.read(COURSE / "source" / name / f"{name}.ipynb", as_version=4)


def solution_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(course, name):
    src = source_nb(name)
    released_text = (course / "release" / name / f"{name}.ipynb").read_text()
    released = nbformat.reads(released_text, as_version=4)
    assert "BEGIN SOLUTION" not in released_text and "END SOLUTION" not in released_text
    assert "HIDDEN TESTS" not in released_text
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
    # every graded test cell keeps its visible part
    tests = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all("assert" in c.source for c in tests)


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


def test_ch01_autograde_three_submissions(course):
    name = "ch01_neuron"
    released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    answers = {gid: as_solved(src) for gid, src in solution_cells(source_nb(name)).items()}
    # (c) a realistic bug: the update changes the caller's weights in place
    buggy = dict(answers)
    buggy["perceptron_update"] = '''def perceptron_update(w, b, x, y, learning_rate=1.0):
    error = y - perceptron_predict(x, w, b)
    w += learning_rate * error * x
    return w, b + learning_rate * error
'''
    with grade(course, name, {"solver": fill(released, answers), "untouched": released,
                              "buggy": fill(released, buggy)}) as gb:
        max_score = gb.find_assignment(name).max_score
        scores = {s: gb.find_submission(name, s).score for s in ("solver", "untouched", "buggy")}
        buggy_cells = {g.name: g.score for g in gb.find_submission_notebook(name, name, "buggy").grades}
    assert max_score == 10
    assert scores["solver"] == max_score, scores
    assert scores["untouched"] == 0, scores
    assert 0 < scores["buggy"] < max_score, scores
    assert buggy_cells["test_perceptron_update"] == 0 and buggy_cells["test_neuron_forward"] == 3, buggy_cells

    feedback = course / "feedback" / "buggy" / name / f"{name}.html"
    html = feedback.read_text()
    assert "test_perceptron_update" in html and "modified in place" in html
    # hidden tests stay hidden: no hidden line that did not fail appears in any feedback
    for line in ("rng = np.random.default_rng(99)", "rng = np.random.default_rng(2024)", "BEGIN HIDDEN"):
        assert line not in html, line
    untouched = (course / "feedback" / "untouched" / name / f"{name}.html").read_text()
    assert "NotImplementedError" in untouched
    assert (course / "feedback" / "solver" / name / f"{name}.html").is_file()


def test_student_validate(course):
    """What the student's Validate button runs: the untouched release fails, a solution passes."""
    name = "ch01_neuron"
    release = course / "release" / name / f"{name}.ipynb"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    fresh = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(release)],
                           capture_output=True, text=True, env=env, timeout=300)
    assert "NotImplementedError" in fresh.stdout + fresh.stderr
    answers = {gid: as_solved(src) for gid, src in solution_cells(source_nb(name)).items()}
    solved = course / "solved.ipynb"
    nbformat.write(fill(nbformat.read(release, as_version=4), answers), solved)
    ok = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(solved)],
                        capture_output=True, text=True, env=env, timeout=300)
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout + ok.stderr
