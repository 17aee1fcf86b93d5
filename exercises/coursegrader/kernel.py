"""The kernel launcher of the kernelspec ``course-sandbox``: ipykernel inside the sandbox.

``python -m coursegrader.kernel -f CONNECTION_FILE`` is what the kernelspec runs: nbclient
starts it in the notebook's folder, and it replaces itself with bubblewrap running
``python -m ipykernel_launcher -f CONNECTION_FILE`` (see :mod:`coursegrader.sandbox`).
``python -m coursegrader.kernel --probe WORKDIR RUNTIME_DIR -- COMMAND...`` runs any command
the same way, for :func:`coursegrader.sandbox.probe`.
"""
import os
import sys

from coursegrader import sandbox


def main(argv):
    if argv[:1] == ["--probe"]:
        workdir, runtime_dir = argv[1], argv[2]
        command = argv[argv.index("--") + 1:]
        sandbox.exec_sandboxed(command, workdir, runtime_dir, runtime_dir)
    if "-f" not in argv:
        sys.exit("usage: python -m coursegrader.kernel -f CONNECTION_FILE")
    connection_file = os.path.realpath(argv[argv.index("-f") + 1])
    runtime_dir = os.path.dirname(connection_file)
    # the kernel's own chatter, and anything student code writes to the file descriptors 1 and 2
    # outside a cell, goes to a log beside the connection file, which the grader reads on a crash
    log = os.open(os.path.join(runtime_dir, "kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file]
    sandbox.exec_sandboxed(command, os.getcwd(), runtime_dir, connection_file)


if __name__ == "__main__":
    main(sys.argv[1:])
