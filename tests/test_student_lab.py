"""A student's view: the released exercise opened in JupyterLab, checked with nbgrader's
Validate button, in Debian's headless Chromium.

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
               JUPYTER_CONFIG_DIR=str(work / ".jupyter"), JUPYTER_RUNTIME_DIR=str(work / ".runtime"))
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                             "--ip=127.0.0.1", f"--ServerApp.token={token}", "--allow-root",
                             f"--ServerApp.root_dir={work}", "--LabApp.news_url=",
                             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                            cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
