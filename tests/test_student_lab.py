"""A student's view: the released exercises opened in the student's JupyterLab (``make lab``'s
configuration, from ``coursegrader.student``), checked with nbgrader's Validate button, in
Debian's headless Chromium.  The instructor's panels and menu are absent, and nothing asks
about news.

nbgrader's Validate button has failed in JupyterLab 4 with "Cannot check version"
(nbgrader #1866, #1883); this test clicks it for real.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from coursegrader import student

from course import ROOT, assignment_notebook, assignments
from test_exercises import nbgrader

pytestmark = [pytest.mark.browser, pytest.mark.grader]
ASSIGNMENTS = assignments()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    course = tmp_path_factory.mktemp("lab_course")
    shutil.copy(ROOT / "exercises" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "exercises" / "source", course / "source")
    work = tmp_path_factory.mktemp("student")
    for name in ASSIGNMENTS:
        nbgrader(course, "generate_assignment", name, "--force")
        shutil.copy(assignment_notebook(name, course, "release"), work)
    port, token = _free_port(), "course-test-token"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_CONFIG_DIR=str(student.write_config(work / ".jupyter")),
               JUPYTER_RUNTIME_DIR=str(work / ".runtime"))
    cmd = student.lab_command(work, port, ["--no-browser", "--ip=127.0.0.1", f"--ServerApp.token={token}"])
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.5)
    yield base, token, work
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_validate_button_reports_the_failing_exercises(lab, page, name):
    base, token, work = lab
    first_test = next(c.metadata["nbgrader"]["grade_id"]
                      for c in nbformat.read(work / f"{name}.ipynb", as_version=4).cells
                      if c.metadata.get("nbgrader", {}).get("grade"))
    page.set_default_timeout(60000)
    # a workspace of its own, reset, so that only this notebook is open and active
    page.goto(f"{base}/lab/workspaces/{name}/tree/{name}.ipynb?token={token}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    validate = page.get_by_role("button", name="Validate").first
    validate.wait_for()
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached")
    validate.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    page.wait_for_function("() => !document.querySelector('.jp-Dialog').innerText.includes('Validating')",
                           timeout=120000)
    text = dialog.inner_text()
    assert "Cannot check version" not in text, text
    assert "Validation Results" in text and first_test in text, text
    assert "NotImplementedError" in text, text
    os.makedirs(ROOT / "_build" / "screenshots", exist_ok=True)
    page.screenshot(path=str(ROOT / "_build" / "screenshots" / f"lab_validate_{name}.png"))


def test_the_student_lab_has_no_instructor_parts(lab, page):
    base, token, work = lab
    page.set_default_timeout(60000)
    page.goto(f"{base}/lab/workspaces/plain/tree/{ASSIGNMENTS[0]}.ipynb?token={token}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.get_by_role("button", name="Validate").first.wait_for()
    page.wait_for_timeout(3000)            # let late plugins and notifications appear
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "File" in menus and "Nbgrader" not in menus, menus
    sidebar = " ".join(page.locator(".lm-TabBar-tab").all_inner_texts()
                       + [t.get_attribute("title") or "" for t in page.locator(".lm-TabBar-tab").all()])
    assert "Create Assignment" not in sidebar and "Formgrader" not in sidebar, sidebar
    toasts = page.locator(".jp-toast-message, .Toastify__toast").all_inner_texts()
    assert not any("news" in t.lower() for t in toasts), toasts
    os.makedirs(ROOT / "_build" / "screenshots", exist_ok=True)
    page.screenshot(path=str(ROOT / "_build" / "screenshots" / "student_lab.png"))
    formgrader = page.request.get(f"{base}/formgrader?token={token}")
    assert formgrader.status == 404, f"the Formgrader is served to students (HTTP {formgrader.status})"
