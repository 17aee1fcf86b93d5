"""The judge: runs the instructor's test cells outside the student's kernel.

``python -m coursegrader.judge CONNECTION_FILE`` is started by :class:`coursegrader.execute.
CourseExecute` for each notebook it grades.  It reads requests, one JSON line each, on stdin:
``{"op": "setup"|"test", "source": ...}``.  ``setup`` cells are the instructor's locked cells
(imports, data); ``test`` cells are the graded tests, visible and hidden parts together.  Each
runs here, with this process's own NumPy, dlref and builtins, which no student code has touched.
A name that the cell uses and does not define (``neuron_forward``) is looked up in the student's
kernel and bound to a :class:`Remote` proxy: calling it sends the arguments to the student's
kernel, runs the student's function there, and brings the result back as data
(:mod:`coursegrader.wire`).  So the verdict of every assertion is computed here, where the
student's code never ran.  The reply, one JSON line on the original stdout, is
``{"stdout": ..., "error": [name, message] or null}``.
"""
import ast
import builtins
import contextlib
import io
import json
import os
import sys

from jupyter_client import BlockingKernelClient

from coursegrader import wire

SERVE = "__course_serve__"
REPLY = "__course_reply__"
MAX_STDOUT = 20_000


def kernel_setup_code():
    """Source that defines the request handler in the student's kernel (sent once, silently)."""
    with open(wire.__file__, encoding="utf-8") as f:
        source = f.read()
    return (f"exec(compile({source!r}, '<course wire>', 'exec'), __course_ns__ := {{'__name__': 'course_wire'}})\n"
            f"def {SERVE}(request, _serve=__course_ns__['serve'], _refs={{}}):\n"
            f"    return _serve(request, globals(), _refs)\n"
            f"del __course_ns__\n")


class StudentError(Exception):
    """An exception raised by the student's code in its kernel; its name and message travel."""

    @staticmethod
    def named(name, message):
        """An exception here whose class has the name of the student's (``NotImplementedError``)."""
        return type(str(name)[:80], (StudentError,), {})(message)


class Kernel:
    """The judge's connection to the student's kernel (shell channel only)."""

    def __init__(self, connection_file, namespace):
        self.namespace = namespace        # the judge's globals
        self.setup_names = set()          # names that the instructor's locked cells define
        self.student_names = set()        # names looked up in the student's kernel, fresh each cell
        self.client = BlockingKernelClient(connection_file=connection_file)
        self.client.load_connection_file()
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)

    def request(self, message):
        code = f"{REPLY} = {SERVE}({json.dumps(message)!r})"
        msg_id = self.client.execute(code, silent=True, store_history=False, user_expressions={"r": REPLY})
        while True:                       # the grader stops this process if no answer comes
            reply = self.client.get_shell_msg(timeout=None)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise StudentError.named(content.get("ename", "Error"), content.get("evalue", ""))
        result = content["user_expressions"]["r"]
        if result.get("status") != "ok":
            raise StudentError.named("GraderError", "the student's kernel did not answer the grader")
        text = result["data"]["text/plain"]
        if len(text) > wire.MAX_BYTES:
            raise StudentError.named("GraderError", f"a result larger than {wire.MAX_BYTES // 2 ** 20} MiB")
        answer = json.loads(ast.literal_eval(text))
        if "error" in answer:
            raise StudentError.named(*answer["error"])
        return answer

    def value(self, answer):
        return wire.decode(answer["value"], lambda ref: Remote(self, ref))


class Remote:
    """A proxy for an object that lives in the student's kernel (a function, an instance)."""

    __slots__ = ("_kernel", "_ref")

    def __init__(self, kernel, ref):
        object.__setattr__(self, "_kernel", kernel)
        object.__setattr__(self, "_ref", ref)

    def _send(self, value):
        if isinstance(value, Remote):
            return {"__ref__": value._ref["__ref__"]}
        if callable(value):
            name = getattr(value, "__name__", "")
            if self._kernel.namespace.get(name) is not value or name not in self._kernel.setup_names:
                raise TypeError(f"a test can pass the student's code only functions that a locked "
                                f"cell defines; {value!r} is not one")
            return {"__global__": name}
        return wire.encode(value)

    def __call__(self, *args, **kwargs):
        kernel = self._kernel
        answer = kernel.request({"op": "call", "target": self._ref, "args": [self._send(a) for a in args],
                                 "kwargs": {k: self._send(v) for k, v in kwargs.items()}})
        # arrays changed in place there are changed in place here, as a local call would
        for sent, after in zip(list(args) + list(kwargs.values()), answer["after"]):
            if after is not None and hasattr(sent, "shape"):
                changed = wire.decode(after, None)
                if changed.shape == sent.shape:
                    sent[...] = changed
        return kernel.value(answer)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._kernel.value(self._kernel.request({"op": "getattr", "target": self._ref, "name": name}))

    def __setattr__(self, name, value):
        self._kernel.request({"op": "setattr", "target": self._ref, "name": name, "value": self._send(value)})

    def _apply(self, name, *args):
        return self._kernel.value(self._kernel.request(
            {"op": "apply", "name": name, "args": [self._send(a) for a in args]}))

    def __repr__(self):
        return f"<{self._ref.get('type', 'object')} in the student's kernel>"


def _operator(name, reflected=False):
    if reflected:
        return lambda self, other: self._apply(name, other, self)
    return lambda self, *other: self._apply(name, self, *other)


for _name in ("add", "sub", "mul", "truediv", "pow", "matmul"):
    setattr(Remote, f"__{_name}__", _operator(_name))
    setattr(Remote, f"__r{_name}__", _operator(_name, reflected=True))
for _name in ("neg", "pos", "abs", "lt", "le", "gt", "ge", "eq", "ne", "getitem", "len"):
    setattr(Remote, f"__{_name}__", _operator(_name))
Remote.__hash__ = object.__hash__


def free_names(tree, namespace):
    """Names that ``tree`` reads but neither binds nor finds in ``namespace`` or the builtins."""
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
            bound.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        elif isinstance(node, ast.Lambda):
            bound.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return sorted(loaded - bound - set(namespace) - set(dir(builtins)))


def run_cell(kernel, source, namespace, test):
    """Run one cell here; returns ``{"stdout": ..., "error": ...}``."""
    source = "\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            tree = ast.parse(source)
            for name in kernel.student_names:          # the student may have redefined them since
                namespace.pop(name, None)
            for name in free_names(tree, namespace):
                namespace[name] = kernel.value(kernel.request({"op": "global", "name": name}))
                kernel.student_names.add(name)
            exec(compile(tree, "<test cell>" if test else "<setup cell>", "exec"), namespace)
        except BaseException as exc:
            error = [type(exc).__name__, str(exc)]
    return {"stdout": out.getvalue()[:MAX_STDOUT], "error": error}


def main(connection_file):
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = io.StringIO()
    import matplotlib
    matplotlib.use("Agg")
    namespace = {"__name__": "__main__"}
    kernel = Kernel(connection_file, namespace)
    for line in sys.stdin:
        request = json.loads(line)
        before = set(namespace)
        reply = run_cell(kernel, request["source"], namespace, request["op"] == "test")
        if request["op"] == "setup":
            kernel.setup_names |= set(namespace) - before - kernel.student_names
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main(sys.argv[1])
