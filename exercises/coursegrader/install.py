"""Install the kernelspec ``course-sandbox`` into this Python's environment (``make venv`` runs it).

``python -m coursegrader.install`` writes ``<prefix>/share/jupyter/kernels/course-sandbox/``.
The grading config selects it with ``c.Execute.kernel_name``; interrupts travel as messages,
because a signal would reach bubblewrap instead of the kernel.
"""
import json
import os
import sys

NAME = "course-sandbox"


def main():
    folder = os.path.join(sys.prefix, "share", "jupyter", "kernels", NAME)
    os.makedirs(folder, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "coursegrader.kernel", "-f", "{connection_file}"],
            "display_name": "Python 3 (course grading sandbox)", "language": "python",
            "interrupt_mode": "message", "metadata": {"debugger": False}}
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump(spec, f, indent=1)
    print(f"installed the kernelspec {NAME} in {folder}")


if __name__ == "__main__":
    main()
