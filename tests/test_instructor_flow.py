"""The instructor's commands, exactly as the README gives them, on two students and two assignments.

In a temporary copy of the repository's course files (the Makefile, ``exercises/`` and links to
the virtual environment), from the copy's root:

    make release
    make collect ASSIGNMENT=ch01_neuron ZIP=class-ch01_neuron.zip
    make collect ASSIGNMENT=ch02_activations ZIP=class-ch02_activations.zip
    make grade
    make scores

Each class zip is what a learning platform hands out: ``alice_<assignment>.ipynb`` (alice solved
everything) and ``bob/<assignment>.ipynb`` (bob handed in the release, and in ch01 edited one
locked test cell).  The test checks the folder flow, the scores in ``grades.csv``, offline
feedback, that no command prints a configuration warning, and that the only checksum warning
names bob's edited cell.
"""
import csv
import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest

from course import ROOT, assignment_notebook
from test_exercises import fill, solutions

pytestmark = pytest.mark.grader

TWO = ["ch01_neuron", "ch02_activations"]
SHOTS = ROOT / "_build" / "screenshots"
EDITED = "test_perceptron_predict"          # the locked cell bob edits in ch01_neuron


def make(repo, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    proc = subprocess.run(["make", "--no-print-directory", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"make {' '.join(args)} failed:\n{out[-4000:]}"
    return out


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo")
    shutil.copy(ROOT / "Makefile", repo)
    # the virtual environment and the files it was built from (links keep `make venv` satisfied)
    for name in (".venv", "requirements.txt", "constraints.txt", "pyproject.toml"):
        (repo / name).symlink_to(ROOT / name)
    (repo / "exercises").mkdir()
    shutil.copy(ROOT / "exercises" / "nbgrader_config.py", repo / "exercises")
    (repo / "exercises" / "coursegrader").symlink_to(ROOT / "exercises" / "coursegrader")
    for name in TWO:
        shutil.copytree(ROOT / "exercises" / "source" / name, repo / "exercises" / "source" / name)

    logs = {"release": make(repo, "release")}
    for name in TWO:
        released = nbformat.read(assignment_notebook(name, repo / "exercises", "release"), as_version=4)
        bob = nbformat.from_dict(released)
        if name == "ch01_neuron":
            cell = next(c for c in bob.cells if c.metadata.get("nbgrader", {}).get("grade_id") == EDITED)
            cell.source = cell.source.replace('print("visible tests passed")', 'print("all good")')
        archive = repo / f"class-{name}.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr(f"alice_{name}.ipynb", nbformat.writes(fill(released, solutions(name))))
            z.writestr(f"bob/{name}.ipynb", nbformat.writes(bob))
        logs[f"collect {name}"] = make(repo, "collect", f"ASSIGNMENT={name}", f"ZIP={archive.name}")
    logs["grade"] = make(repo, "grade")
    logs["scores"] = make(repo, "scores")
    return repo, logs


def test_the_folders_follow_the_documented_flow(flow):
    repo, _ = flow
    ex = repo / "exercises"
    for name in TWO:
        assert (ex / "release" / name / f"{name}.ipynb").is_file()
        assert any((ex / "downloaded" / name / "archive").glob("*.zip"))
        for student in ("alice", "bob"):
            for stage in ("submitted", "autograded"):
                assert (ex / stage / student / name / f"{name}.ipynb").is_file(), (stage, student, name)
            assert (ex / "feedback" / student / name / f"{name}.html").is_file(), (student, name)
    assert (ex / "gradebook.db").is_file()


def test_scores_are_exported_to_csv(flow):
    repo, logs = flow
    assert "exercises/grades.csv" in logs["scores"]
    with open(repo / "exercises" / "grades.csv", newline="") as f:
        rows = {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
                for r in csv.DictReader(f)}
    assert rows == {("alice", "ch01_neuron"): (10.0, 10.0), ("alice", "ch02_activations"): (10.0, 10.0),
                    ("bob", "ch01_neuron"): (0.0, 10.0), ("bob", "ch02_activations"): (0.0, 10.0)}


def test_no_command_prints_a_configuration_warning(flow):
    _, logs = flow
    for step, out in logs.items():
        assert "not recognized" not in out and "Config option" not in out, (step, out[-2000:])


def test_the_only_checksum_warning_names_the_edited_cell(flow):
    _, logs = flow
    assert "checksum" not in logs["grade"].lower(), logs["grade"][-3000:]
    edits = re.findall(r"(\w+): the locked cell '(\w+)' was edited", logs["grade"])
    assert edits == [("bob", EDITED)], logs["grade"][-3000:]


def test_feedback_needs_no_other_host(flow):
    repo, _ = flow
    for page in (repo / "exercises" / "feedback").rglob("*.html"):
        html = page.read_text()
        assert not re.search(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//', html, re.I), page
        assert "MathJax" in html, page


@pytest.mark.browser
def test_feedback_typesets_its_formulas_offline(flow, page):
    repo, _ = flow
    folder = repo / "exercises" / "feedback" / "alice" / "ch01_neuron"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/ch01_neuron.html", wait_until="load")
        page.wait_for_selector("mjx-container", timeout=30000)
        typeset, failed = page.locator("mjx-container").count(), page.locator("mjx-merror").count()
        raw = page.evaluate("document.body.innerText.includes('$y')")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "feedback_ch01_neuron.png"))
    finally:
        server.shutdown()
    assert typeset >= 3 and failed == 0 and not raw, (typeset, failed, raw)
    assert page.foreign == [], f"the feedback asked other hosts for {page.foreign}"


def test_make_clean_keeps_graded_work_with_its_gradebook(flow):
    repo, _ = flow
    make(repo, "clean")
    ex = repo / "exercises"
    assert not (ex / "release").exists()
    assert (ex / "gradebook.db").is_file() and (ex / "autograded").is_dir() and (ex / "feedback").is_dir()
    make(repo, "clean-grades")
    left = sorted(p.name for p in ex.iterdir())
    assert left == ["coursegrader", "nbgrader_config.py", "source"], left
