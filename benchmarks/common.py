"""Shared harness of the benchmarks: run one library per child process, print a table and JSON.

Each run happens in a fresh process (``spawn``), so TensorFlow's threads never
share a process with dlref and each process's peak resident memory
(``ru_maxrss``) belongs to one library alone.
"""
import json
import multiprocessing as mp
import os
import resource
import statistics
import time


def peak_mb():
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class EpochTimer:
    """Collects wall time per epoch; plugs into both libraries' training loops."""

    def __init__(self):
        self.times = []

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.times.append(time.perf_counter() - self.t0)


def run_isolated(fn, *args):
    """Call ``fn(*args)`` in a fresh process and return its result."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def report(model, spec, dl, ke):
    """Print the side-by-side table and the JSON line for one model."""
    dl_med, ke_med = statistics.median(dl["epoch_s"]), statistics.median(ke["epoch_s"])
    print(f"\n== {model}: {spec}")
    print(f"{'':24}{'dlref':>12}{'keras':>12}{'dlref/keras':>14}")
    print(f"{'median epoch (s)':24}{dl_med:>12.3f}{ke_med:>12.3f}{dl_med / ke_med:>14.2f}")
    print(f"{'epochs (s)':24}{' '.join(f'{t:.2f}' for t in dl['epoch_s']):>12}   |   "
          f"{' '.join(f'{t:.2f}' for t in ke['epoch_s'])}")
    print(f"{'test accuracy (%)':24}{100 * dl['acc']:>12.2f}{100 * ke['acc']:>12.2f}"
          f"{100 * (dl['acc'] - ke['acc']):>+14.2f}")
    print(f"{'peak memory (MB)':24}{dl['peak_mb']:>12.0f}{ke['peak_mb']:>12.0f}"
          f"{dl['peak_mb'] / ke['peak_mb']:>14.2f}")
    return {"model": model, "dlref_epoch_s": round(dl_med, 4), "keras_epoch_s": round(ke_med, 4),
            "dlref_acc": round(dl["acc"], 4), "keras_acc": round(ke["acc"], 4),
            "dlref_peak_mb": round(dl["peak_mb"], 1)}


def main(models, run_dlref, run_keras):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    print(f"cpus: {os.cpu_count()}; each library runs in its own process")
    lines = []
    for name, spec in models.items():
        dl = run_isolated(run_dlref, name)
        ke = run_isolated(run_keras, name)
        lines.append(report(name, spec, dl, ke))
    print()
    for line in lines:
        print(json.dumps(line))
