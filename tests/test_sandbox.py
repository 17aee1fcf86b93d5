"""The grading sandbox on its own: what student code inside it can and cannot do."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from coursegrader import sandbox

pytestmark = pytest.mark.grader
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = r'''
import os, resource, socket
report = {"uid": os.getuid(), "cwd": os.getcwd()}
report["sees"] = [p for p in [os.path.join(ROOT, "exercises", "source"), os.path.join(ROOT, "dlref"),
                  os.path.join(ROOT, "README.md"), "/root/.ssh", "/home"] if os.path.exists(p)]
try:
    import dlref
    report["dlref"] = "importable"
except ImportError:
    report["dlref"] = "missing"
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    report["net"] = "open"
except OSError as exc:
    report["net"] = type(exc).__name__
report["writes"] = []
for path in ["./mine.txt", "../outside.txt", "/tmp/x", "/tmp/scratch/x", os.path.join(ROOT, "x")]:
    try:
        open(path, "w").write("x")
        report["writes"].append(path)
    except OSError:
        pass
report["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
report["data_mb"] = resource.getrlimit(resource.RLIMIT_DATA)[0] // 2 ** 20
report["caps"] = open("/proc/self/status").read().split("CapEff:")[1].split()[0]
import numpy as np
try:
    np.ones(3 * 2 ** 30 // 8)
    report["3GiB"] = "allocated"
except MemoryError:
    report["3GiB"] = "MemoryError"
print(repr(report))
'''


def run_inside(tmp_path, env=None):
    # the runtime folder must be reachable by nobody, as the grader's own (in /tmp) is
    work, runtime = tmp_path / "work", tempfile.mkdtemp(prefix="course-grader-test-")
    work.mkdir()
    script = work / "probe.py"
    script.write_text(f"ROOT = {ROOT!r}\n" + PROBE)
    proc = subprocess.run([sys.executable, "-m", "coursegrader.kernel", "--probe", str(work), str(runtime),
                           "--", sys.executable, "probe.py"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))
    shutil.rmtree(runtime, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    return eval(proc.stdout.strip().splitlines()[-1]), work


def test_student_code_sees_and_writes_only_its_own_folder(tmp_path):
    report, work = run_inside(tmp_path)
    assert report["cwd"] == str(work)
    assert report["sees"] == [] and report["dlref"] == "missing", report
    assert report["net"] in ("ConnectionRefusedError", "OSError") or "Network" in report["net"], report
    assert report["writes"] == ["./mine.txt", "/tmp/scratch/x"], report
    assert (work / "mine.txt").is_file() and not (tmp_path / "outside.txt").exists()
    assert report["caps"] == "0000000000000000", "no capability inside"
    assert report["3GiB"] == "MemoryError" and report["data_mb"] == 2048
    if os.geteuid() == 0:
        assert report["uid"] == sandbox.NOBODY and report["nproc"] == 128, report


def test_limits_come_from_the_environment(tmp_path):
    report, _ = run_inside(tmp_path, {"COURSE_GRADER_MEMORY_MB": "4096"})
    assert report["data_mb"] == 4096 and report["3GiB"] == "allocated"


def test_without_a_working_sandbox_grading_refuses_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("COURSE_GRADER_BWRAP", "/bin/false")
    with pytest.raises(sandbox.SandboxUnavailable, match="unprivileged user namespaces.*COURSE_GRADER_UNSANDBOXED=1"):
        sandbox.probe()
    monkeypatch.setenv("COURSE_GRADER_UNSANDBOXED", "1")
    assert sandbox.probe().startswith("unsandboxed")
