"""Keras on each device it sees: epoch time and samples per second against batch size (chapter 11).

    python benchmarks/keras_devices.py [--quick] [--device auto|cpu|gpu] [--models mlp,cnn,lstm]
                                       [--batch-sizes 32,64,...] [--samples N] [--epochs N] [--out DIR]

Models, on MNIST from ``data/`` (no download), Adam and sparse categorical cross-entropy:

* ``mlp``  article 000: 784 -> Dense(128, relu) -> Dense(10, softmax);
* ``cnn``  article 001: Conv(32, 3) pool Conv(64, 3) pool Conv(64, 3) Dense(64) Dense(10);
* ``lstm`` each image as 28 steps of 28 pixels: LSTM(128) -> Dense(10, softmax).

For every model and batch size a fresh model (seeded) trains ``1 + epochs`` epochs on the first
``samples`` training images with ``shuffle=False``.  The first epoch pays for tracing and
compiling the training step (TensorFlow's ``tf.function``, XLA under JAX) and is reported on its
own, ``first_epoch_s``; the later ones are the steady state, reported as their median
``steady_epoch_s`` and as ``samples_per_s``.  An epoch's clock stops in ``on_epoch_end``, after
Keras has turned the epoch's loss into a Python float, so work still queued on a GPU is counted.

Devices.  ``--device auto`` measures the CPU and, when the backend sees one, the GPU (the first
one); each device runs in its own child process, so that the CPU run sees no GPU at all
(``CUDA_VISIBLE_DEVICES=""``) and one run's memory never holds up the other's.  The backend is
Keras's: ``KERAS_BACKEND=tensorflow`` (the default) or ``KERAS_BACKEND=jax``, and on the JAX path
TensorFlow is never imported (the JSON records ``tensorflow_imported``).  Under TensorFlow, GPU
memory growth is switched on; under JAX, preallocation is switched off.

Output: one JSON file per backend and device kind, ``DIR/keras_devices-<backend>-<cpu|gpu>.json``
(``DIR`` is ``benchmarks/results`` by default), with the device's name, the backend, the
versions, the date (UTC), the settings and, per model, one row per batch size.  Chapter 11 plots
every such file it finds.  ``--quick`` (4,096 images, 3 steady epochs) fits in a few minutes on
a 2-core CPU; the defaults (60,000 images, 3 steady epochs) are meant for a GPU.
"""
import argparse
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parent.parent
MODELS = {
    "mlp": "article 000: 784 -> Dense(128, relu) -> Dense(10, softmax), Adam",
    "cnn": "article 001: Conv(32,3) pool Conv(64,3) pool Conv(64,3) Dense(64) Dense(10), Adam",
    "lstm": "28 steps of 28 pixels: LSTM(128) -> Dense(10, softmax), Adam",
}
SHAPE = {"mlp": (784,), "cnn": (28, 28, 1), "lstm": (28, 28)}
BATCH_SIZES = (32, 64, 128, 256, 512, 1024)
QUICK = {"samples": 4096, "epochs": 3}
FULL = {"samples": 60000, "epochs": 3}


def backend_name():
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def child_env(kind):
    """The environment of the child process that measures on ``kind`` ("cpu" or "gpu")."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND=backend_name(),
               XLA_PYTHON_CLIENT_PREALLOCATE="false")
    if kind == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["JAX_PLATFORMS"] = "cpu"
    return env


# -- inside a child process ------------------------------------------------------------------
def import_keras():
    """Import Keras quietly; under TensorFlow, turn on memory growth for every GPU first."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)                  # TensorFlow's C++ start-up lines ignore the log level
    try:
        import keras
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)
    return keras


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def device_info(keras):
    """``(kind, name, framework versions)`` of the device Keras computes on in this process."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        gpus = tf.config.list_physical_devices("GPU")
        versions = {"tensorflow": tf.__version__}
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return "gpu", details.get("device_name", gpus[0].name), versions
        return "cpu", cpu_name(), versions
    if backend == "jax":
        import jax
        import jaxlib
        versions = {"jax": jax.__version__, "jaxlib": jaxlib.__version__}
        device = jax.devices()[0]
        if device.platform == "gpu":
            return "gpu", device.device_kind, versions
        return "cpu", cpu_name(), versions
    raise SystemExit(f"keras_devices.py measures the tensorflow and jax backends, not {backend!r}")


def build(keras, name):
    L = keras.layers
    body = {
        "mlp": [L.Dense(128, activation="relu")],
        "cnn": [L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"),
                L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"), L.Flatten(),
                L.Dense(64, activation="relu")],
        "lstm": [L.LSTM(128)],
    }[name]
    model = keras.Sequential([keras.Input(SHAPE[name])] + body + [L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def load(name, samples):
    sys.path.insert(0, str(ROOT))
    from dlref.data import load_mnist             # NumPy only: reads the IDX files in data/
    (x, y), _ = load_mnist()
    x = x[:samples].reshape((-1,) + SHAPE[name]).astype("float32") / 255.0
    return x, y[:samples].astype("int32")


def measure(keras, name, batch_size, x, y, epochs):
    """Train a fresh model ``1 + epochs`` epochs; the first epoch's time and the steady ones."""
    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):     # logs hold floats: the epoch's work is done
            times.append(time.perf_counter() - self.start)

    times = []
    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(0)
    else:       # keras.utils.set_random_seed imports TensorFlow wherever it is installed
        random.seed(0)      # Keras draws its initial seeds from Python's generator
        numpy.random.seed(0)
    model = build(keras, name)
    model.fit(x, y, batch_size=batch_size, epochs=1 + epochs, shuffle=False, verbose=0,
              callbacks=[EpochTimer()])
    steady = statistics.median(times[1:])
    return {"batch_size": batch_size, "steps_per_epoch": math.ceil(len(x) / batch_size),
            "first_epoch_s": round(times[0], 4), "steady_epoch_s": round(steady, 4),
            "all_steady_epoch_s": [round(t, 4) for t in times[1:]],
            "samples_per_s": round(len(x) / steady, 1),
            "first_minus_steady_s": round(times[0] - steady, 4)}


def child(kind, args):
    """Measure every model and batch size on this process's device; print one JSON object."""
    keras = import_keras()
    found, name, versions = device_info(keras)
    if found != kind:
        print(json.dumps({"error": f"asked for the {kind}, but Keras computes on the {found}"}))
        return
    results = {}
    for model_name in args.models:
        x, y = load(model_name, args.samples)
        rows = []
        for batch_size in args.batch_sizes:
            row = measure(keras, model_name, batch_size, x, y, args.epochs)
            rows.append(row)
            print(f"  {kind} {model_name:4} batch {batch_size:5d}: first epoch {row['first_epoch_s']:7.3f} s, "
                  f"steady {row['steady_epoch_s']:7.3f} s, {row['samples_per_s']:10.0f} samples/s",
                  file=sys.stderr, flush=True)
        results[model_name] = {"spec": MODELS[model_name], "rows": rows}
    print(json.dumps({
        "device_kind": kind, "device": name, "backend": keras.backend.backend(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version(), "numpy": numpy.__version__,
                     "keras": keras.__version__, **versions},
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
        "tensorflow_imported": "tensorflow" in sys.modules,
        "settings": {"quick": args.quick, "samples": args.samples, "steady_epochs": args.epochs,
                     "batch_sizes": args.batch_sizes, "shuffle": False,
                     "optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
        "models": results}))


def probe_gpu():
    """Whether Keras's backend sees a GPU, asked in a child process."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import keras_devices as k; "
            "print(k.device_info(k.import_keras())[0])")
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)],
                          env=child_env("gpu"), capture_output=True, text=True)
    return proc.returncode == 0 and proc.stdout.strip().endswith("gpu")


# -- the parent ------------------------------------------------------------------------------
def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"small settings for a CPU: {QUICK['samples']} images, {QUICK['epochs']} steady epochs")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "gpu"])
    p.add_argument("--models", default="mlp,cnn,lstm")
    p.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)))
    p.add_argument("--samples", type=int, help="training images per epoch")
    p.add_argument("--epochs", type=int, help="steady epochs after the first")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--child", choices=["cpu", "gpu"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    base = QUICK if args.quick else FULL
    args.samples = args.samples or base["samples"]
    args.epochs = args.epochs or base["epochs"]
    args.models = [m for m in args.models.split(",") if m]
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]
    unknown = set(args.models) - set(MODELS)
    if unknown or not args.models:
        p.error(f"--models takes a comma-separated list of {sorted(MODELS)}, got {args.models}")
    if not args.batch_sizes or min(args.batch_sizes) < 1 or args.samples < 1 or args.epochs < 1:
        p.error("batch sizes, --samples and --epochs must be positive")
    return args


def main(argv=None):
    args = parse(argv)
    if args.child:
        return child(args.child, args)
    kinds = ["cpu", "gpu"] if args.device == "auto" else [args.device]
    if args.device == "auto" and not probe_gpu():
        print(f"backend {backend_name()}: no GPU visible; measuring the CPU only")
        kinds = ["cpu"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    forwarded = ["--models", ",".join(args.models), "--batch-sizes", ",".join(map(str, args.batch_sizes)),
                 "--samples", str(args.samples), "--epochs", str(args.epochs)] + ["--quick"] * args.quick
    for kind in kinds:
        print(f"backend {backend_name()}, {kind}: {', '.join(args.models)} at batch sizes "
              f"{args.batch_sizes}, {args.samples} images, 1 + {args.epochs} epochs each", flush=True)
        proc = subprocess.run([sys.executable, __file__, *forwarded, "--child", kind],
                              env=child_env(kind), stdout=subprocess.PIPE, text=True)
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            raise SystemExit(f"the {kind} run failed (exit status {proc.returncode})")
        record = json.loads(lines[-1])
        if "error" in record:
            raise SystemExit(record["error"])
        path = out / f"keras_devices-{record['backend']}-{kind}.json"
        path.write_text(json.dumps(record, indent=1) + "\n")
        print(f"{record['device']} ({record['backend']}, {record['date']}) -> {path}")
        print(f"{'model':6}{'batch':>7}{'first epoch (s)':>17}{'steady epoch (s)':>18}{'samples/s':>12}")
        for model_name, result in record["models"].items():
            for row in result["rows"]:
                print(f"{model_name:6}{row['batch_size']:7d}{row['first_epoch_s']:17.3f}"
                      f"{row['steady_epoch_s']:18.3f}{row['samples_per_s']:12.0f}")


if __name__ == "__main__":
    main()
