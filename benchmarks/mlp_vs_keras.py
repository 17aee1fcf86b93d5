"""The articles' two MLPs on full MNIST, dlref against Keras in one run.

    python benchmarks/mlp_vs_keras.py [--epochs N]

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
from common import EpochTimer, main, peak_mb  # noqa: E402

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


def run_dlref(name):
    import numpy as np
    import dlref
    from dlref.layers import Dense
    x, y, xt, yt = load()
    hidden, opt, batch = CONFIG[name]
    dlref.set_random_seed(0)
    model = dlref.models.Sequential([Dense(u, activation=a) for u, a in hidden] +
                                    [Dense(10, activation="softmax")])
    model.build((None, 784))
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    for _ in range(EPOCHS):
        with timer:
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    acc = float(np.mean(np.argmax(model.predict(xt, batch_size=1000), axis=1) == yt))
    return {"epoch_s": timer.times, "acc": acc, "peak_mb": peak_mb()}


def run_keras(name):
    import numpy as np
    import keras
    x, y, xt, yt = load()
    hidden, opt, batch = CONFIG[name]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,))] + [keras.layers.Dense(u, activation=a) for u, a in hidden] +
                             [keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()

    class Timing(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            timer.__enter__()

        def on_epoch_end(self, epoch, logs=None):
            timer.__exit__()

    model.fit(x, y, batch_size=batch, epochs=EPOCHS, verbose=0, callbacks=[Timing()])
    acc = float(np.mean(np.argmax(model.predict(xt, batch_size=1000, verbose=0), axis=1) == yt))
    return {"epoch_s": timer.times, "acc": acc, "peak_mb": peak_mb()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--model", choices=list(MODELS), action="append")
    args = parser.parse_args()
    EPOCHS = args.epochs
    os.environ["BENCH_EPOCHS"] = str(EPOCHS)
    main({k: MODELS[k] for k in (args.model or MODELS)}, run_dlref, run_keras)
