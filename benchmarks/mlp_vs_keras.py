"""The articles' two MLPs on full MNIST, dlref against Keras in one run.

    python benchmarks/mlp_vs_keras.py [--epochs N] [--model mlp128|mlp512]

Model ``mlp128`` (article 000): 784 -> Dense(128, relu) -> Dense(10, softmax),
Adam, batch 32.  Model ``mlp512`` (article 002, with its data bugs fixed:
images flattened and scaled to [0, 1], integer labels with the sparse loss):
784 -> 512 relu -> 512 relu -> 10 softmax, RMSprop, batch 128.  Both train 5
epochs.  The table gives the median epoch time, the test accuracy and the
peak resident memory of each library's process.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import accuracy, main, peak_mb, train  # noqa: E402

MODELS = {
    "mlp128": "784 -> Dense(128, relu) -> Dense(10, softmax), Adam, batch 32",
    "mlp512": "784 -> 512 relu -> 512 relu -> 10 softmax, RMSprop, batch 128",
}
CONFIG = {"mlp128": ([(128, "relu")], "adam", 32), "mlp512": ([(512, "relu"), (512, "relu")], "rmsprop", 128)}
EPOCHS = int(os.environ.get("BENCH_EPOCHS", 5))


def load():
    import dlref
    (x_train, y_train), (x_test, y_test) = dlref.data.load_mnist()
    prep = lambda x: x.reshape(len(x), 784).astype("float32") / 255.0
    return prep(x_train), y_train, prep(x_test), y_test


def layers_for(name, L):
    """The same architecture from either library's ``layers`` module."""
    hidden, _, _ = CONFIG[name]
    return [L.Dense(u, activation=a) for u, a in hidden] + [L.Dense(10, activation="softmax")]


def initial_weights(name):
    import dlref
    dlref.set_random_seed(0)
    model = dlref.models.Sequential(layers_for(name, dlref.layers))
    model.build((None, 784))
    return model.get_weights()


def run_dlref(name, weights):
    import dlref
    x, y, xt, yt = load()
    _, opt, batch = CONFIG[name]
    model = dlref.models.Sequential(layers_for(name, dlref.layers))
    model.build((None, 784))
    model.set_weights(weights)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = train(model, x, y, batch, EPOCHS)
    return {"epoch_s": times, "acc": accuracy(model, xt, yt), "peak_mb": peak_mb()}


def run_keras(name, weights):
    import keras
    x, y, xt, yt = load()
    _, opt, batch = CONFIG[name]
    model = keras.Sequential([keras.Input((784,))] + layers_for(name, keras.layers))
    model.set_weights(weights)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = train(model, x, y, batch, EPOCHS)
    return {"epoch_s": times, "acc": accuracy(model, xt, yt, verbose=0), "peak_mb": peak_mb()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--model", choices=list(MODELS), action="append")
    args = parser.parse_args()
    os.environ["BENCH_EPOCHS"] = str(args.epochs)   # read by the child processes
    main({k: MODELS[k] for k in (args.model or MODELS)}, initial_weights, run_dlref, run_keras)
