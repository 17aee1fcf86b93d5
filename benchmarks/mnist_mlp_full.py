"""Chapter 8's two MLPs trained on all of MNIST, dlref and Keras side by side: the full-data figures.

    python benchmarks/mnist_mlp_full.py [--epochs N] [--seeds N] [--out FILE]

The models are the articles' two, with their errors fixed as in chapter 8:

* ``mlp128`` (article 000): 784 -> Dense(128, relu) -> Dense(10, softmax), Adam, the sparse
  categorical cross-entropy on integer labels, batch 32 (Keras's default);
* ``mlp512`` (article 002): 784 -> 512 relu -> 512 relu -> 10 softmax, RMSprop, the categorical
  cross-entropy on one-hot labels, batch 128.

Images are flattened and scaled to [0, 1].  Each model trains on all 60,000 training images for
5 epochs (the articles' count) and is scored on the 10,000 test images after every epoch.  For
each seed both libraries start from the same initial weights (drawn by dlref, loaded with
``set_weights``) and see the same batches (one seeded permutation per epoch, ``shuffle=False``),
each library in its own process.  The table gives the test accuracy per epoch, averaged over the
seeds, and the final accuracy of every seed; ``--out`` writes the figures as JSON, which chapter 8
reads (``benchmarks/mnist_mlp_full.json``).  Chapter 8 itself trains on 54,000 images and keeps
6,000 for validation; this script is where its "full data" figures come from.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import run_isolated  # noqa: E402

MODELS = {
    "mlp128": {"article": "000", "hidden": [128], "optimizer": "adam", "batch_size": 32,
               "loss": "sparse_categorical_crossentropy",
               "spec": "784 -> Dense(128, relu) -> Dense(10, softmax), Adam, sparse CCE, batch 32"},
    "mlp512": {"article": "002", "hidden": [512, 512], "optimizer": "rmsprop", "batch_size": 128,
               "loss": "categorical_crossentropy",
               "spec": "784 -> 512 relu -> 512 relu -> 10 softmax, RMSprop, CCE on one-hot labels, batch 128"},
}
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist_mlp_full.json")


def load(loss):
    """Flattened, scaled images; labels as the loss wants them (integers or one-hot rows)."""
    import dlref
    (x_train, y_train), (x_test, y_test) = dlref.data.load_mnist()
    prep = lambda x: x.reshape(len(x), 784).astype("float32") / 255.0
    if loss == "categorical_crossentropy":
        y_train = dlref.data.one_hot(y_train, 10)
    return prep(x_train), y_train, prep(x_test), y_test


def layers_for(name, L):
    cfg = MODELS[name]
    return [L.Dense(u, activation="relu") for u in cfg["hidden"]] + [L.Dense(10, activation="softmax")]


def initial_weights(name, seed):
    import dlref
    dlref.set_random_seed(seed)
    model = dlref.models.Sequential(layers_for(name, dlref.layers))
    model.build((None, 784))
    return model.get_weights()


def train_and_score(model, name, epochs, predict_kw):
    """Per epoch: a seeded permutation, one epoch of fit, then the test accuracy."""
    cfg = MODELS[name]
    x, y, xt, yt = load(cfg["loss"])
    model.compile(optimizer=cfg["optimizer"], loss=cfg["loss"], metrics=["accuracy"])
    accs, losses, seconds = [], [], 0.0
    for epoch in range(epochs):
        order = np.random.default_rng(1000 + epoch).permutation(len(x))
        t0 = time.perf_counter()
        hist = model.fit(x[order], y[order], batch_size=cfg["batch_size"], epochs=1, shuffle=False, verbose=0)
        seconds += time.perf_counter() - t0
        losses.append(float(hist.history["loss"][-1]))
        pred = np.argmax(model.predict(xt, batch_size=500, **predict_kw), axis=1)
        accs.append(float(np.mean(pred == yt)))
    return {"test_accuracy": accs, "train_loss": losses, "train_seconds": seconds}


def run_dlref(name, weights, epochs):
    import dlref
    model = dlref.models.Sequential(layers_for(name, dlref.layers))
    model.build((None, 784))
    model.set_weights(weights)
    return train_and_score(model, name, epochs, {})


def run_keras(name, weights, epochs):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)          # TensorFlow logs a few C++ lines at import, before any log level applies
    try:
        import keras
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)
    model = keras.Sequential([keras.Input((784,))] + layers_for(name, keras.layers))
    model.set_weights(weights)
    return train_and_score(model, name, epochs, {"verbose": 0})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3, help="initial weights drawn with seeds 0, 1, ...")
    parser.add_argument("--model", choices=list(MODELS), action="append")
    parser.add_argument("--out", default=DEFAULT_OUT, help="JSON file for the figures ('' for none)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = args.model or list(MODELS)
    print(f"cpus: {os.cpu_count()}; all 60,000 training images, {args.epochs} epochs, seeds 0-{args.seeds - 1}; "
          "each library in its own process, same initial weights and batches")
    record = {"epochs": args.epochs, "seeds": list(range(args.seeds)), "train_images": 60000,
              "test_images": 10000, "machine": f"{platform.machine()}, {os.cpu_count()} cpus", "models": {}}
    for name in names:
        runs = {"dlref": [], "keras": []}
        for seed in range(args.seeds):
            weights = run_isolated(initial_weights, name, seed)
            runs["dlref"].append(run_isolated(run_dlref, name, weights, args.epochs))
            runs["keras"].append(run_isolated(run_keras, name, weights, args.epochs))
        mean = {lib: np.mean([r["test_accuracy"] for r in rs], axis=0) for lib, rs in runs.items()}
        print(f"\n== {name} (article {MODELS[name]['article']}): {MODELS[name]['spec']}")
        print(f"{'test accuracy (%)':22}{'dlref':>10}{'keras':>10}{'difference':>12}")
        for epoch in range(args.epochs):
            d, k = 100 * mean["dlref"][epoch], 100 * mean["keras"][epoch]
            print(f"{'  after epoch ' + str(epoch + 1):22}{d:>10.2f}{k:>10.2f}{d - k:>+12.2f}")
        for lib in ("dlref", "keras"):
            finals = " ".join(f"{100 * r['test_accuracy'][-1]:.2f}" for r in runs[lib])
            secs = np.mean([r["train_seconds"] for r in runs[lib]])
            print(f"  {lib}: final accuracy per seed {finals}; training {secs:.1f} s per run")
        record["models"][name] = {
            "article": MODELS[name]["article"], "spec": MODELS[name]["spec"],
            **{f"{lib}_test_accuracy": [round(a, 4) for a in mean[lib]] for lib in runs},
            **{f"{lib}_final_per_seed": [round(r["test_accuracy"][-1], 4) for r in runs[lib]] for lib in runs},
            **{f"{lib}_train_seconds": round(float(np.mean([r["train_seconds"] for r in runs[lib]])), 1)
               for lib in runs}}
    print()
    print(json.dumps(record))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)
            f.write("\n")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
