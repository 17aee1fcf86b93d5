"""Chapter 8's additions against TensorFlow/Keras: Dropout and EarlyStopping.

Dropout draws its masks from another generator than Keras, so the masks themselves differ;
what must agree is the rest: the identity at inference (so a trained model predicts the same in
both libraries) and the inverted scaling at training (kept entries times 1 / (1 - rate)).
EarlyStopping is fed the same monitored values in both libraries, scripted and from real
training runs, and must stop at the same epoch and restore the same weights.
"""
import numpy as np
import pytest

import dlref
from dlref import layers, models
from dlref.callbacks import EarlyStopping

from conftest import require_tensorflow

pytestmark = pytest.mark.keras
tf = require_tensorflow()
import keras  # noqa: E402  (after TensorFlow, so that Keras picks its backend)

ATOL = 1e-5


def dropout_pair(rate=0.5, seed=0):
    """784-32-(dropout)-32-(dropout)-10 in both libraries with Keras's initial weights."""
    keras.utils.set_random_seed(seed)
    kmodel = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32, activation="relu"),
                               keras.layers.Dropout(rate), keras.layers.Dense(32, activation="relu"),
                               keras.layers.Dropout(rate), keras.layers.Dense(10, activation="softmax")])
    dmodel = models.Sequential([layers.Dense(32, activation="relu"), layers.Dropout(rate, seed=1),
                                layers.Dense(32, activation="relu"), layers.Dropout(rate, seed=2),
                                layers.Dense(10, activation="softmax")])
    dmodel.build((None, 784))
    dmodel.set_weights(kmodel.get_weights())
    return kmodel, dmodel


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_at_inference_predicts_as_keras(rate, rng):
    kmodel, dmodel = dropout_pair(rate)
    assert [w.shape for w in dmodel.get_weights()] == [w.shape for w in kmodel.get_weights()]
    x = rng.uniform(0, 1, (64, 784)).astype(np.float32)
    np.testing.assert_allclose(dmodel.predict(x), kmodel.predict(x, verbose=0), atol=ATOL)
    np.testing.assert_allclose(dmodel(x, training=False), kmodel(x, training=False).numpy(), atol=ATOL)
    # and the layer alone is the identity in both
    np.testing.assert_array_equal(layers.Dropout(rate)(x), keras.layers.Dropout(rate)(x, training=False).numpy())


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.8])
def test_dropout_at_training_scales_like_keras(rate):
    x = np.full((300, 400), 2.0, dtype=np.float32)
    k_out = keras.layers.Dropout(rate, seed=3)(x, training=True).numpy()
    d_out = layers.Dropout(rate, seed=3)(x, training=True)
    for out in (k_out, d_out):
        kept = out != 0
        np.testing.assert_allclose(out[kept], 2.0 / (1 - rate), rtol=1e-6)
        assert abs(1 - kept.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / x.size)
    # same scaling, so the same mean: x in expectation
    assert d_out.mean() == pytest.approx(k_out.mean(), abs=0.05)


# -- EarlyStopping ----------------------------------------------------------------------------
def tiny_keras_model():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    model.evaluate(np.zeros((2, 1)), np.zeros((2, 1)), verbose=0)   # builds the metrics, so that
    return model                                                     # mode="auto" can find "accuracy"


class StubModel:
    stop_training = False

    def __init__(self):
        self.weights = [np.zeros((1, 1), np.float32), np.zeros(1, np.float32)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def drive(callback, model, values, monitor):
    """Feed the values to a callback epoch by epoch; return the epochs run and the final weights."""
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    epochs = 0
    for epoch, value in enumerate(values):
        model.set_weights([np.full((1, 1), epoch, np.float32), np.zeros(1, np.float32)])
        epochs += 1
        callback.on_epoch_end(epoch, {"loss": 1.0, "accuracy": 0.5, monitor: float(value)})
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs, float(model.get_weights()[0][0, 0])


def scripted_cases():
    r = np.random.default_rng(80)
    cases = []
    for i in range(120):
        n = int(r.integers(1, 20))
        values = np.round(np.cumsum(r.normal(-0.02, 0.05, n)) + 1, 2)      # rounded: ties happen
        monitor = ["val_loss", "loss", "val_accuracy"][i % 3]
        kw = dict(patience=int(r.integers(0, 5)), min_delta=float(r.choice([0.0, 0.01, 0.03])),
                  restore_best_weights=bool(r.integers(0, 2)))
        if i % 4 == 1:
            kw["mode"] = str(r.choice(["min", "max"]))
        if i % 5 == 2:
            kw["baseline"] = float(np.round(r.uniform(0.8, 1.1), 2))
        if i % 7 == 3:
            kw["start_from_epoch"] = int(r.integers(1, 4))
        cases.append((values, monitor, kw))
    return cases


def test_early_stopping_stops_where_keras_stops_on_scripted_histories():
    kmodel = tiny_keras_model()
    for values, monitor, kw in scripted_cases():
        k_es = keras.callbacks.EarlyStopping(monitor=monitor, **kw)
        d_es = EarlyStopping(monitor=monitor, **kw)
        k_run = drive(k_es, kmodel, values, monitor)
        d_run = drive(d_es, StubModel(), values, monitor)
        where = f"{monitor} {kw} on {list(values)}"
        assert d_run == k_run, where                    # epochs run and the weights kept
        assert (d_es.stopped_epoch, d_es.best_epoch, d_es.wait) == (k_es.stopped_epoch, k_es.best_epoch,
                                                                   k_es.wait), where
        assert (d_es.best is None) == (k_es.best is None), where
        if d_es.best is not None:
            assert d_es.best == pytest.approx(float(k_es.best)), where


def test_early_stopping_in_fit_matches_keras():
    """Overfit 64 points with the same weights and batches: same val_loss, same stopping epoch."""
    r = np.random.default_rng(8)
    x = r.standard_normal((96, 6)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] + 0.5 * r.standard_normal(96) > 0).astype(np.int64)
    keras.utils.set_random_seed(0)
    kmodel = keras.Sequential([keras.Input((6,)), keras.layers.Dense(64, activation="relu"),
                               keras.layers.Dense(2, activation="softmax")])
    dmodel = models.Sequential([layers.Dense(64, activation="relu"), layers.Dense(2, activation="softmax")])
    dmodel.build((None, 6))
    dmodel.set_weights(kmodel.get_weights())
    kmodel.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    dmodel.compile(optimizer=dlref.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    fit = dict(batch_size=16, epochs=60, shuffle=False, verbose=0, validation_data=(x[64:], y[64:]))
    k_es = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    d_es = EarlyStopping(patience=3, restore_best_weights=True)
    hk = kmodel.fit(x[:64], y[:64], callbacks=[k_es], **fit).history
    hd = dmodel.fit(x[:64], y[:64], callbacks=[d_es], **fit).history
    assert 3 < len(hk["val_loss"]) < 60, "the run should stop early for the test to mean something"
    n = min(len(hk["val_loss"]), len(hd["val_loss"]))
    np.testing.assert_allclose(hd["val_loss"][:n], hk["val_loss"][:n], atol=1e-4)
    assert (len(hd["val_loss"]), d_es.best_epoch) == (len(hk["val_loss"]), k_es.best_epoch)
    for wd, wk in zip(dmodel.get_weights(), kmodel.get_weights()):     # the best epoch's weights
        np.testing.assert_allclose(wd, wk, atol=1e-4)
