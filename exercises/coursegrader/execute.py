"""``CourseExecute``: nbgrader's ``Execute`` made to finish every notebook and to judge fairly.

* **The judge.**  Graded test cells do not run in the student's kernel.  They run in a separate
  process, :mod:`coursegrader.judge`, with the instructor's locked cells replayed there, and
  call the student's functions through proxies.  Whatever the student's code patches in its
  own kernel (NumPy, the builtins, IPython, a copy of dlref) cannot change a verdict, and dlref
  itself is not even importable in the sandbox.
* **Output caps while a cell runs.**  Past ``max_output_lines`` lines or ``max_output_bytes``
  bytes, further output is dropped and the cell is interrupted.
* **Dead and hung kernels.**  When the kernel dies (``os._exit``, a signal, the CPU limit), or
  does not stop after a timeout's interrupt, the cell that was running and every later graded
  cell get an error that says so; the points earned before are kept.
* **Timeouts** (``c.Execute.timeout`` per cell) are that cell's failure, in the kernel and in
  the judge alike.

Before the first notebook, :func:`coursegrader.sandbox.probe` checks that the sandbox can start,
so a machine without user namespaces fails with one clear message instead of a kernel timeout.
"""
import asyncio
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from coursegrader import judge, sandbox

_PROBED = {}


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {}) if cell.cell_type == "code" else {}


def is_test(cell):
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_instructor_setup(cell):
    meta = _nbgrader(cell)
    return bool(meta.get("locked")) and not meta.get("grade") and not meta.get("solution")


def error_output(name, message):
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class CourseExecute(Execute):
    """nbgrader's Execute with a judge, output caps and recovery; see the module docstring."""

    max_output_lines = Integer(2000, help="Lines of output a cell may print.").tag(config=True)
    max_output_bytes = Integer(2 * 2 ** 20, help="Bytes of output a cell may print.").tag(config=True)
    unresponsive_grace = Integer(10, help="Seconds a kernel has to stop after an interrupt.").tag(config=True)

    # -- the kernel, in its own runtime folder, over ipc sockets ---------------------------
    def start_new_kernel(self, **kwargs):
        if "probe" not in _PROBED:
            _PROBED["probe"] = sandbox.probe()
            self.log.info("grading kernel: %s", _PROBED["probe"])
        self._runtime = tempfile.mkdtemp(prefix="course-grader-")
        self.km.transport = "ipc"
        self.km.connection_file = os.path.join(self._runtime, "kernel.json")
        self.km.ip = os.path.join(self._runtime, "kernel-ipc")
        super().start_new_kernel(**kwargs)

    def start_new_kernel_client(self):
        kc = super().start_new_kernel_client()
        run_sync(self._inject)()
        return kc

    async def _inject(self):
        """Define the judge's request handler in the student's kernel, before any cell runs."""
        msg_id = self.kc.execute(judge.kernel_setup_code(), silent=True, store_history=False)
        await self._reply(msg_id, timeout=60)

    async def _reply(self, msg_id, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=0.5))
            except Exception:
                if not await ensure_async(self.km.is_alive()):
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    def preprocess(self, nb, resources=None, km=None):
        self._dead = None
        self._judge = None
        self._setup_sources = []
        self._output_count = {}
        self._runtime = None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._stop_judge()
            if self._runtime:
                shutil.rmtree(self._runtime, ignore_errors=True)

    # -- cells -------------------------------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        self._check_assign_resources(resources)
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, self.resources
        if self._dead:
            cell.outputs = [error_output("KernelDied", self._dead)] if is_test(cell) else []
            return cell, self.resources
        if is_test(cell):
            cell.outputs = self._judge_cell(cell)
            return cell, self.resources
        try:
            cell = self.execute_cell(cell, index, store_history=True)
        except DeadKernelError:
            self._kernel_gone(cell, "the kernel died while this cell ran")
            return cell, self.resources
        except Exception as exc:          # e.g. no output message after the reply (a fork bomb)
            self._kernel_gone(cell, f"the kernel stopped answering properly ({str(exc).splitlines()[0]})")
            return cell, self.resources
        if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])) \
                and not run_sync(self._responsive)():
            self._kernel_gone(cell, f"the cell ran past {self.timeout} s and did not stop when interrupted")
        elif is_instructor_setup(cell):
            self._setup_sources.append(cell.source)
            if self._judge is not None:
                self._ask_judge({"op": "setup", "source": cell.source}, timeout=self.timeout or 60)
        return cell, self.resources

    def _kernel_gone(self, cell, reason):
        self._dead = f"not run: {reason} (cell {cell.metadata.get('nbgrader', {}).get('grade_id', '?')})"
        cell.outputs = list(cell.get("outputs", [])) + [error_output("KernelDied", reason)]
        self.log.warning("%s; the later graded cells score 0.  The kernel's last words: %s", reason,
                         self._kernel_log()[-500:] or "(none)")
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:
            pass

    def _kernel_log(self):
        try:
            with open(os.path.join(self._runtime, "kernel.log"), errors="replace") as f:
                return f.read()[-5000:]
        except OSError:
            return ""

    async def _responsive(self):
        """Whether the kernel answers a trivial request within ``unresponsive_grace`` seconds."""
        if not await ensure_async(self.km.is_alive()):
            return False
        await ensure_async(self.km.interrupt_kernel())
        msg_id = self.kc.execute("pass", silent=True, store_history=False)
        return await self._reply(msg_id, timeout=self.unresponsive_grace) is not None

    # -- output caps while the cell runs ---------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        count = self._output_count.setdefault(msg["parent_header"].get("msg_id"), [0, 0, False])
        content = msg.get("content", {})
        text = content.get("text") or json.dumps(content.get("data", ""))
        count[0] += text.count("\n")
        count[1] += len(text)
        if count[0] > self.max_output_lines or count[1] > self.max_output_bytes:
            if not count[2]:
                count[2] = True
                outs.append(new_output("stream", name="stdout", text=(
                    f"\n[output stopped: the cell printed more than {self.max_output_lines} lines "
                    f"or {self.max_output_bytes // 1024} KiB, and was interrupted]\n")))
                asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
            return None
        return super().output(outs, msg, display_id, cell_index)

    # -- the judge -------------------------------------------------------------------------
    def _start_judge(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self._judge = subprocess.Popen([sys.executable, "-m", "coursegrader.judge", self.km.connection_file],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       text=True, env=env, cwd=self.resources.get("metadata", {}).get("path"))
        for source in self._setup_sources:     # the instructor's cells, replayed
            self._ask_judge({"op": "setup", "source": source}, timeout=self.timeout or 60)

    def _stop_judge(self):
        if self._judge is not None:
            self._judge.kill()
            self._judge.wait()
            self._judge = None

    def _ask_judge(self, request, timeout):
        """Send one request; return the reply, or None past ``timeout`` or if the kernel died."""
        self._judge.stdin.write(json.dumps(request) + "\n")
        self._judge.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._judge.stdout], [], [], 0.5)
            if ready:
                line = self._judge.stdout.readline()
                return json.loads(line) if line else None
            if not run_sync(self.km.is_alive)():
                return None
        return None

    def _judge_cell(self, cell):
        if self._judge is None:
            self._start_judge()
        reply = self._ask_judge({"op": "test", "source": cell.source}, timeout=self.timeout or 60)
        if reply is None:
            self._stop_judge()
            alive = run_sync(self.km.is_alive)()
            if alive and run_sync(self._responsive)():
                reason = f"your code did not return within {self.timeout} s when the tests called it"
                return [error_output("CellTimeoutError", reason)]
            self._kernel_gone(cell, "the kernel died while the tests called your code" if not alive else
                              f"your code ran past {self.timeout} s and did not stop when interrupted")
            return cell.outputs
        outputs = []
        if reply["stdout"]:
            outputs.append(new_output("stream", name="stdout", text=reply["stdout"]))
        if reply["error"]:
            outputs.append(error_output(*reply["error"]))
        return outputs
