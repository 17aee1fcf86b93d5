"""A class of hostile submissions, graded in one real ``nbgrader autograde`` run.

Each submission is the released notebook of an assignment, answered with the solutions and then
edited as a hostile or careless student would.  One autograde run grades them all; the test then
checks each student's score, what the graded notebook and the feedback show, and that nothing
outside the submissions changed.  The first assignment gets the whole battery; every assignment
gets the cases that need no knowledge of its functions.
"""
import copy
import hashlib
import json
import resource
import shutil
import time

import nbformat
import pytest

from course import assignment_notebook, assignments
from test_exercises import COURSE, HIDDEN, fill, nbgrader, points, solutions, source_nb

pytestmark = pytest.mark.grader
ASSIGNMENTS = assignments()
FULL = ASSIGNMENTS[0]            # the battery in full; it names ch01's functions

SNOOP = '''
import glob, os
for pattern in ["../../../source/**/*.ipynb", "../../../gradebook.db", "../../../nbgrader_config.py",
                "../../../submitted/**/*.ipynb", "../../*/*/*.ipynb", "/work/**/source/**/*.ipynb"]:
    for path in glob.glob(pattern, recursive=True):
        if os.path.realpath(path).startswith(os.getcwd()):
            continue                       # its own submission is its own to read
        try:
            print("READ", path, open(path).read()[:3000])
        except OSError as exc:
            print("DENIED", path, type(exc).__name__)
print("SNOOPED", os.getcwd())
'''
VANDAL = '''
import glob
for path in ["../../../gradebook.db", "../../../nbgrader_config.py", "../../../source/x.ipynb",
             "../../../release/x.ipynb", "../../solver/x.ipynb", "/tmp/../etc/motd", "/usr/x"]:
    try:
        with open(path, "a") as f:
            f.write("vandal")
        print("WROTE", path)
    except OSError as exc:
        print("REFUSED", path, type(exc).__name__)
'''
PATCH_NUMPY = '''
import builtins
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
builtins.AssertionError = type("Quiet", (Exception,), {})
'''


def first_solution_id(name):
    return next(gid for gid in solutions(name))


def graded_test_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def generic_cases(name, released):
    """``{student: (notebook or raw text, expected score or None for rejected)}`` for any assignment."""
    answers, full = solutions(name), sum(points(name).values())
    solved = fill(released, answers)
    cases = {"solver": (solved, full), "untouched": (released, 0)}

    nb = copy.deepcopy(solved)          # a test cell duplicated (same grade_id) twice
    test = graded_test_cells(nb)[0]
    i = nb.cells.index(test)
    twins = [copy.deepcopy(test), copy.deepcopy(test)]
    for n, twin in enumerate(twins):      # JupyterLab gives a copied cell a new id, and keeps its metadata
        twin["id"] = f"{test['id']}-copy{n}"
    nb.cells[i:i] = twins
    cases["duplicated_test"] = (nb, full)

    nb = copy.deepcopy(solved)          # every test cell deleted
    nb.cells = [c for c in nb.cells if c not in graded_test_cells(nb)]
    cases["deleted_tests"] = (nb, full)

    nb = fill(released, {gid: "pass" for gid in answers})   # no answers, test cells edited to pass
    for cell in graded_test_cells(nb):
        cell.source = "print('all tests passed')"
    cases["edited_tests"] = (nb, 0)

    nb = fill(released, {gid: "pass" for gid in answers})   # metadata edited, a graded cell injected
    for cell in graded_test_cells(nb):
        cell.metadata["nbgrader"]["points"] = 50
    sol = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    sol.metadata["nbgrader"].update(grade=True, points=50)
    injected = nbformat.v4.new_code_cell("assert True")
    injected.metadata["nbgrader"] = {"grade": True, "grade_id": "free_points", "points": 50, "locked": False,
                                     "solution": False, "schema_version": 3, "task": False}
    nb.cells.append(injected)
    cases["edited_metadata"] = (nb, 0)

    cases["patched_numpy"] = (fill(released, {gid: PATCH_NUMPY for gid in answers}), 0)
    snoop = dict(answers)
    snoop[first_solution_id(name)] = SNOOP + VANDAL + answers[first_solution_id(name)]
    cases["snoop_and_vandal"] = (fill(released, snoop), full)
    cases["broken_json"] = (json.dumps(released)[:500], None)
    cases["empty_file"] = ("", None)
    return cases


CH01 = {
    # the graded functions misbehave at run time
    "infinite_loop": {"neuron_forward": "def neuron_forward(x, w, b):\n    while True:\n        pass\n"},
    "swallowed_interrupt": {"perceptron_update": "def perceptron_update(w, b, x, y, learning_rate=1.0):\n"
                            "    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                            "    while True:\n        try:\n            sum(range(10 ** 6))\n"
                            "        except BaseException:\n            pass\n"},
    "sys_exit": {"perceptron_predict": "import sys\nsys.exit(0)\n"},
    "os_exit": {"perceptron_predict": "import os\nos._exit(1)\n"},
    "memory_bomb": {"perceptron_update": "big = np.ones(6 * 2 ** 30 // 8)\n"},
    "fork_loop": {"perceptron_update": "import os\nwhile True:\n    os.fork()\n"},
    "output_flood": {"perceptron_update": "for i in range(10_000_000):\n    print(i)\n"},
    "calls_dlref": {"neuron_forward": "def neuron_forward(x, w, b):\n    import dlref\n"
                    "    return dlref.neuron.neuron_forward(x, w, b)\n"},
    "fakes_dlref": {"neuron_forward": "import sys, types\nfake = types.ModuleType('dlref')\n"
                    "fake.grading = types.SimpleNamespace(check_function=lambda *a, **k: None)\n"
                    "sys.modules['dlref'] = sys.modules['dlref.grading'] = fake\n"
                    "def neuron_forward(x, w, b):\n    return np.zeros(np.shape(x)[:-1])\n"},
    "nan_answer": {"neuron_forward": "def neuron_forward(x, w, b):\n    return np.full(np.shape(x)[:-1], np.nan)\n"},
    "warns_on_stderr": {"neuron_forward": "import warnings, sys\n"
                        "def neuron_forward(x, w, b):\n    warnings.warn('a harmless warning')\n"
                        "    print('to stderr', file=sys.stderr)\n"
                        "    return 1 / (1 + np.exp(-(np.asarray(x, float) @ np.asarray(w, float) + b)))\n"},
}
# what each keeps: tests are neuron_forward 3, perceptron_predict 3, perceptron_update 4
CH01_SCORES = {"infinite_loop": 7, "swallowed_interrupt": 6, "sys_exit": 3, "os_exit": 3,
               "memory_bomb": 6, "fork_loop": 6, "output_flood": 6, "calls_dlref": 7, "fakes_dlref": 7,
               "nan_answer": 7, "warns_on_stderr": 10}


def prepend(answers, gid, code):
    return {**answers, gid: code + "\n" + answers[gid]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every case of every assignment, submitted and graded in one autograde run per assignment."""
    root = tmp_path_factory.mktemp("hostile")
    config = (COURSE / "nbgrader_config.py").read_text()
    shutil.copytree(COURSE / "source", root / "source")
    results = {}
    for name in ASSIGNMENTS:
        # the battery's loops and hangs meet a 5 s limit; the other assignments keep the course's
        (root / "nbgrader_config.py").write_text(config + (
            "\nc.Execute.timeout = 5\nc.CourseExecute.unresponsive_grace = 3\n" if name == FULL else ""))
        nbgrader(root, "generate_assignment", name, "--force")
        released = nbformat.read(assignment_notebook(name, root, "release"), as_version=4)
        cases = generic_cases(name, released)
        if name == FULL:
            answers = solutions(name)
            for student, replaced in CH01.items():
                code = {**answers, **replaced}
                if student in ("sys_exit", "os_exit", "memory_bomb", "fork_loop", "output_flood"):
                    gid = next(iter(replaced))    # the statement runs first, then the solution
                    code = prepend(answers, gid, replaced[gid])
                cases[student] = (fill(released, code), CH01_SCORES[student])
        for student, (nb, _) in cases.items():
            folder = root / "submitted" / student / name
            folder.mkdir(parents=True)
            path = folder / f"{name}.ipynb"
            path.write_text(nb) if isinstance(nb, str) else nbformat.write(nb, path)
        protected = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in
                     [root / "gradebook.db", root / "nbgrader_config.py", *root.glob("source/**/*"),
                      *root.glob("release/**/*"), *root.glob("submitted/**/*.ipynb")] if p.is_file()}
        t0 = time.perf_counter()
        proc = nbgrader(root, "autograde", name, "--force", check=False)
        seconds = time.perf_counter() - t0
        nbgrader(root, "generate_feedback", name, "--force", check=False)
        changed = [str(p) for p, digest in protected.items()      # the grader itself writes the scores
                   if p.name != "gradebook.db" and hashlib.sha256(p.read_bytes()).hexdigest() != digest]
        results[name] = dict(cases=cases, log=proc.stdout + proc.stderr, seconds=seconds, changed=changed,
                             peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return root, results


def scores(root, name):
    from nbgrader.api import Gradebook, MissingEntry
    found = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(name, student.id)
            except MissingEntry:
                continue
            graded = all(g.auto_score is not None for nb in sub.notebooks for g in nb.grades)
            found[student.id] = sub.score if graded else None
    return found


def autograded_text(root, student, name):
    """Every output of the student's graded notebook, as text."""
    path = root / "autograded" / student / name / f"{name}.ipynb"
    if not path.is_file():
        return ""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) for c in nb.cells
                     if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_case_ends_graded_or_rejected_with_its_expected_score(graded, name):
    root, results = graded
    result = results[name]
    got = scores(root, name)
    table = []
    for student, (_, expected) in result["cases"].items():
        if expected is None:      # rejected: nbgrader names the student and the cause, and goes on
            assert got.get(student) in (None, 0), (student, got.get(student))
            assert f"for student '{student}'" in result["log"] and "NotJSONError" in result["log"], student
        else:
            assert got.get(student) == expected, (student, got.get(student), expected)
        table.append(f"{student:22} {got.get(student)}")
    print(f"\n{name}: {len(result['cases'])} submissions graded in {result['seconds']:.1f} s, "
          f"peak memory of the grader or a kernel {result['peak_mb']:.0f} MB\n" + "\n".join(table))
    assert result["seconds"] < 240


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nothing_outside_the_submissions_changed(graded, name):
    root, results = graded
    assert results[name]["changed"] == [], "changed during autograde"
    for stray in ("source/x.ipynb", "release/x.ipynb", "autograded/solver/x.ipynb"):
        assert not (root / stray).exists()
    assert "vandal" not in (root / "nbgrader_config.py").read_text() and "vandal" not in COURSE.joinpath(
        "nbgrader_config.py").read_text()
    text = autograded_text(root, "snoop_and_vandal", name)
    assert "SNOOPED" in text and "WROTE" not in text and "READ " not in text, text[:3000]
    assert text.count("REFUSED") == 7, text


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_feedback_shows_a_hidden_test(graded, name):
    root, results = graded
    hidden = {l.strip() for c in source_nb(name).cells for block in HIDDEN.findall(c.source)
              for l in block.splitlines() if len(l.strip()) > 12}
    for student in results[name]["cases"]:
        page = root / "feedback" / student / name / f"{name}.html"
        if page.is_file():
            html = page.read_text()
            shown = [l for l in hidden if l in html]
            assert not shown and "BEGIN HIDDEN" not in html, (student, shown)


def test_the_runtime_failures_say_what_happened(graded):
    root, results = graded
    expect = {"infinite_loop": "did not return within 5 s", "swallowed_interrupt": "did not stop when interrupted",
              "os_exit": "kernel died", "memory_bomb": "Unable to allocate 6.00 GiB", "fork_loop": ("the kernel stopped answering", "[Errno 11] Resource temporarily unavailable"),
              "output_flood": "output stopped", "calls_dlref": "No module named 'dlref'"}
    for student, texts in expect.items():
        # a fork bomb ends either with the kernel swamped or with fork() refused at the
        # process limit, whichever comes first; both messages say what happened
        texts = (texts,) if isinstance(texts, str) else texts
        got = autograded_text(root, student, FULL)
        assert any(text in got for text in texts), (student, got[-500:])
    flood = autograded_text(root, "output_flood", FULL)
    assert len(flood) < 1_000_000, "the flood's output was not capped while the cell ran"
