"""The student's door: JupyterLab on the released exercises, and a validation that can fail.

``make lab`` (``python -m coursegrader.student lab``) copies every released notebook
(``exercises/release/<assignment>/<assignment>.ipynb``) into ``work/`` at the repository root,
never over a notebook that is already there, and starts JupyterLab on that folder with a
student's configuration: nbgrader's instructor parts (the Create Assignment panel, the
Formgrader, the course and assignment lists and the Nbgrader menu) are off, the Validate button
stays, and JupyterLab neither asks about news nor checks for updates.  It runs as root too.

``make validate`` (``python -m coursegrader.student validate [NOTEBOOK ...]``) runs nbgrader's
validation on the given notebooks (all of ``work/*.ipynb`` by default), prints nbgrader's
report for each, and exits with status 1 when any of them fails a visible test, has an edited
test cell or cannot run; ``nbgrader validate`` itself exits 0 in every case.
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RELEASE = ROOT / "exercises" / "release"
WORK = ROOT / "work"

INSTRUCTOR_LAB_PARTS = ["@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                        "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                        "@jupyter/nbgrader:menu",
                        "@jupyterlab/apputils-extension:announcements"]
"""JupyterLab plugins a student does not get (the last one asks about Jupyter news)."""

INSTRUCTOR_SERVER_PARTS = ["nbgrader.server_extensions.formgrader",
                           "nbgrader.server_extensions.course_list",
                           "nbgrader.server_extensions.assignment_list"]
"""Server extensions a student does not get; ``validate_assignment`` stays for the button."""


def write_config(config_dir):
    """Write the student's Jupyter configuration into ``config_dir`` (``JUPYTER_CONFIG_DIR``)."""
    config_dir = Path(config_dir)
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_PARTS}}, indent=1))
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_PARTS}},
         "LabApp": {"news_url": "", "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}},
        indent=1))
    return config_dir


def copy_released(release=RELEASE, work=WORK):
    """Copy each released notebook into ``work``; return the names copied and those kept."""
    notebooks = sorted(release.glob("*/*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no released notebooks in {release}: run `make release` first")
    work.mkdir(exist_ok=True)
    copied, kept = [], []
    for nb in notebooks:
        target = work / nb.name
        if target.exists():
            kept.append(nb.name)
        else:
            shutil.copy2(nb, target)
            copied.append(nb.name)
    return copied, kept


def lab_command(work, port=None, extra=()):
    """The JupyterLab command line for a student on ``work``, root-safe."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={work}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    if port:
        cmd.append(f"--port={port}")
    return cmd + list(extra)


def lab(args):
    copied, kept = copy_released()
    print(f"work/: {len(copied)} new exercise notebook(s) copied"
          + (f"; {len(kept)} already there, kept as they are (your work is never overwritten)" if kept else ""))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(write_config(WORK / ".jupyter")))
    os.execve(sys.executable, lab_command(WORK, args.port, args.extra), env)


def _recording_validator():
    """nbgrader's Validator, keeping in ``.results`` what it prints."""
    from nbgrader.validator import Validator

    class RecordingValidator(Validator):
        results = None

        def validate(self, filename):
            self.results = super().validate(filename)
            return self.results

    return RecordingValidator()


def validate(args):
    notebooks = [Path(p) for p in args.notebooks] or sorted(WORK.glob("*.ipynb"))
    if not notebooks:
        print(f"nothing to validate: no notebooks given and none in {WORK}", file=sys.stderr)
        return 2
    failing = []
    for path in notebooks:
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            failing.append(path.name)
            continue
        print(f"== {path}")
        validator = _recording_validator()
        try:
            validator.validate_and_print(str(path))
        except Exception as exc:   # a notebook that is not JSON, a kernel that died, ...
            print(f"{path}: could not be validated: {type(exc).__name__}: {exc}", file=sys.stderr)
            failing.append(path.name)
            continue
        if any(validator.results.get(k) for k in ("failed", "changed", "type_changed")):
            failing.append(path.name)
    print(f"{len(notebooks) - len(failing)} of {len(notebooks)} notebook(s) passed validation"
          + (f"; failing: {', '.join(failing)}" if failing else ""))
    return 1 if failing else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m coursegrader.student", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_lab = sub.add_parser("lab", help="JupyterLab on work/, with the released exercises copied in")
    p_lab.add_argument("--port", type=int)
    p_lab.add_argument("extra", nargs="*", help="more JupyterLab options, after --")
    p_val = sub.add_parser("validate", help="validate notebooks; exit 1 when one fails")
    p_val.add_argument("notebooks", nargs="*", help="notebooks to validate (default: work/*.ipynb)")
    args = parser.parse_args(argv)
    if args.command == "lab":
        return lab(args)
    return validate(args)


if __name__ == "__main__":
    sys.exit(main())
