"""The articles' CNN and a sequential-MNIST LSTM on full MNIST, dlref against Keras in one run.

    python benchmarks/cnn_vs_keras.py [--epochs N] [--model cnn|lstm] [--profile]

Model ``cnn`` (article 001): Conv2D(32, 3, relu) -> MaxPool 2 -> Conv2D(64, 3, relu) ->
MaxPool 2 -> Conv2D(64, 3, relu) -> Flatten -> Dense(64, relu) -> Dense(10, softmax),
Adam, batch 32.  Model ``lstm``: each image as 28 steps of 28 pixels, LSTM(128) ->
Dense(10, softmax), Adam, batch 64.  Both train 2 epochs.  Same report as
``mlp_vs_keras.py``; ``--profile`` prints where one dlref CNN training step spends its time.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import accuracy, main, peak_mb, train  # noqa: E402

MODELS = {
    "cnn": "Conv(32,3) pool Conv(64,3) pool Conv(64,3) Dense(64) Dense(10), Adam, batch 32",
    "lstm": "28 x 28 pixel steps, LSTM(128) -> Dense(10, softmax), Adam, batch 64",
}
BATCH = {"cnn": 32, "lstm": 64}
SHAPE = {"cnn": (28, 28, 1), "lstm": (28, 28)}
EPOCHS = int(os.environ.get("BENCH_EPOCHS", 2))


def load(name):
    import dlref
    (x_train, y_train), (x_test, y_test) = dlref.data.load_mnist()
    prep = lambda x: x.reshape((len(x),) + SHAPE[name]).astype("float32") / 255.0
    return prep(x_train), y_train, prep(x_test), y_test


def layers_for(name, L):
    """The same architecture from either library's ``layers`` module."""
    if name == "cnn":
        return [L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"),
                L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"), L.Flatten(),
                L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")]
    return [L.LSTM(128), L.Dense(10, activation="softmax")]


def initial_weights(name):
    import dlref
    dlref.set_random_seed(0)
    model = dlref.models.Sequential(layers_for(name, dlref.layers))
    model.build((None,) + SHAPE[name])
    return model.get_weights()


def run_dlref(name, weights):
    import dlref
    x, y, xt, yt = load(name)
    model = dlref.models.Sequential(layers_for(name, dlref.layers))
    model.build((None,) + SHAPE[name])
    model.set_weights(weights)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = train(model, x, y, BATCH[name], EPOCHS)
    return {"epoch_s": times, "acc": accuracy(model, xt, yt), "peak_mb": peak_mb()}


def run_keras(name, weights):
    import keras
    x, y, xt, yt = load(name)
    model = keras.Sequential([keras.Input(SHAPE[name])] + layers_for(name, keras.layers))
    model.set_weights(weights)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = train(model, x, y, BATCH[name], EPOCHS)
    return {"epoch_s": times, "acc": accuracy(model, xt, yt, verbose=0), "peak_mb": peak_mb()}


def profile_cnn_step(repeats=50):
    """Median time of each phase of one dlref CNN training step (batch 32), in ms."""
    import statistics
    import time
    import dlref
    x, y, _, _ = load("cnn")
    dlref.set_random_seed(0)
    model = dlref.models.Sequential(layers_for("cnn", dlref.layers))
    model.build((None, 28, 28, 1))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    xb, yb = x[:32], y[:32]
    model.train_step(xb, yb)
    last = model.layers[-1]
    times = {}

    def clock(key, fn):
        t0 = time.perf_counter()
        result = fn()
        times.setdefault(key, []).append(1000 * (time.perf_counter() - t0))
        return result

    # the steps of Sequential.train_step, one by one: the softmax fuses with the loss, so the
    # last layer stops at its logits and its backward pass starts there
    for _ in range(repeats):
        h = xb
        for layer in model.layers[:-1]:
            h = clock(f"forward  {layer.name}", lambda: layer.forward(h, training=True))
        z = clock(f"forward  {last.name}", lambda: last.preactivation(h, training=True))
        _, d = clock("loss", lambda: model.loss.value_and_grad(yb, z, from_logits=True))
        d = clock(f"backward {last.name}", lambda: last.preactivation_backward(d))
        for layer in reversed(model.layers[:-1]):
            d = clock(f"backward {layer.name}", lambda: layer.backward(d))
        clock("adam update", lambda: model.optimizer.apply(
            [l.grads[k] for l in model.layers for k in l.weight_keys], model.trainable_weights))
    med = {k: statistics.median(v) for k, v in times.items()}
    total = sum(med.values())
    print(f"\nwhere one dlref CNN training step (batch 32) spends its time: {total:.2f} ms in all")
    for key, ms in sorted(med.items(), key=lambda kv: -kv[1]):
        print(f"  {key:28}{ms:8.3f} ms {100 * ms / total:6.1f} %")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--model", choices=list(MODELS), action="append")
    parser.add_argument("--profile", action="store_true", help="also profile one dlref CNN step")
    args = parser.parse_args()
    os.environ["BENCH_EPOCHS"] = str(args.epochs)
    main({k: MODELS[k] for k in (args.model or MODELS)}, initial_weights, run_dlref, run_keras)
    if args.profile:
        profile_cnn_step()
