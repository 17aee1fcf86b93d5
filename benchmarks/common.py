"""Shared harness of the benchmarks: one library per child process, a table and JSON lines.

Both libraries start from the same initial weights (drawn once by dlref and
loaded into each with ``set_weights``) and see the same batches: before each
epoch the training set is permuted with a seeded generator and ``fit`` runs
one epoch with ``shuffle=False``.  So the accuracies differ only through
floating-point rounding and the libraries' own kernels, not through luck.

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

import numpy as np


def peak_mb():
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def train(model, x, y, batch_size, epochs):
    """Train ``model`` (either library) for ``epochs``; return the wall time of each epoch.

    The permutation of each epoch is made before its clock starts.
    """
    times = []
    for epoch in range(epochs):
        order = np.random.default_rng(1000 + epoch).permutation(len(x))
        xe, ye = x[order], y[order]
        t0 = time.perf_counter()
        model.fit(xe, ye, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        times.append(time.perf_counter() - t0)
    return times


def accuracy(model, x, y, **predict_kw):
    return float(np.mean(np.argmax(model.predict(x, batch_size=500, **predict_kw), axis=1) == y))


def run_isolated(fn, *args):
    """Call ``fn(*args)`` in a fresh process and return its result."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def report(model, spec, dl, ke):
    """Print the side-by-side table and return the JSON record for one model."""
    dl_med, ke_med = statistics.median(dl["epoch_s"]), statistics.median(ke["epoch_s"])
    print(f"\n== {model}: {spec}")
    print(f"{'':24}{'dlref':>12}{'keras':>12}{'dlref/keras':>14}")
    print(f"{'median epoch (s)':24}{dl_med:>12.3f}{ke_med:>12.3f}{dl_med / ke_med:>14.2f}")
    print(f"{'all epochs (s)':24}dlref {' '.join(f'{t:.2f}' for t in dl['epoch_s'])} | "
          f"keras {' '.join(f'{t:.2f}' for t in ke['epoch_s'])}")
    print(f"{'test accuracy (%)':24}{100 * dl['acc']:>12.2f}{100 * ke['acc']:>12.2f}"
          f"{100 * (dl['acc'] - ke['acc']):>+14.2f}")
    print(f"{'peak memory (MB)':24}{dl['peak_mb']:>12.0f}{ke['peak_mb']:>12.0f}"
          f"{dl['peak_mb'] / ke['peak_mb']:>14.2f}")
    return {"model": model, "dlref_epoch_s": round(dl_med, 4), "keras_epoch_s": round(ke_med, 4),
            "dlref_acc": round(dl["acc"], 4), "keras_acc": round(ke["acc"], 4),
            "dlref_peak_mb": round(dl["peak_mb"], 1)}


def main(models, initial_weights, run_dlref, run_keras):
    """For each model: weights from ``initial_weights(name)``, then dlref and Keras in turn."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    print(f"cpus: {os.cpu_count()}; each library runs in its own process, "
          "from the same initial weights and on the same batches")
    lines = []
    for name, spec in models.items():
        weights = run_isolated(initial_weights, name)
        dl = run_isolated(run_dlref, name, weights)
        ke = run_isolated(run_keras, name, weights)
        lines.append(report(name, spec, dl, ke))
    print()
    for line in lines:
        print(json.dumps(line))
