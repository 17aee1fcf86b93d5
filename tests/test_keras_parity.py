"""dlref against TensorFlow/Keras on identical weights (float32, atol 1e-5).

Each test builds the same model in both libraries, copies Keras's initial
weights into dlref with ``set_weights(keras_model.get_weights())``, and then
compares outputs, gradients, optimizer steps or a whole training history.
"""
import numpy as np
import pytest

import dlref
from dlref import layers, losses, models, optimizers

from conftest import require_tensorflow

pytestmark = pytest.mark.keras
tf = require_tensorflow()
import keras  # noqa: E402  (after TensorFlow, so that Keras picks its backend)

ATOL = 1e-5

ARCHS = {
    "relu_softmax": [(16, "relu"), (8, "tanh"), (5, "softmax")],
    "sigmoid_out": [(12, "relu"), (3, "sigmoid")],
    "linear_out": [(10, "tanh"), (2, None)],
}
LOSS_FOR = {"relu_softmax": "sparse_categorical_crossentropy", "sigmoid_out": "binary_crossentropy",
            "linear_out": "mse"}


def make_pair(arch, n_in=7, seed=0):
    keras.utils.set_random_seed(seed)
    kmodel = keras.Sequential([keras.Input((n_in,))] +
                              [keras.layers.Dense(u, activation=a) for u, a in ARCHS[arch]])
    dmodel = models.Sequential([layers.Dense(u, activation=a) for u, a in ARCHS[arch]])
    dmodel.build((None, n_in))
    dmodel.set_weights(kmodel.get_weights())
    return kmodel, dmodel


def make_data(arch, n=24, n_in=7, seed=1):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, n_in)).astype(np.float32)
    units = ARCHS[arch][-1][0]
    if LOSS_FOR[arch] == "sparse_categorical_crossentropy":
        y = r.integers(0, units, n)
    elif LOSS_FOR[arch] == "binary_crossentropy":
        y = r.integers(0, 2, (n, units)).astype(np.float32)
    else:
        y = r.standard_normal((n, units)).astype(np.float32)
    return x, y


@pytest.mark.parametrize("arch", list(ARCHS))
def test_forward_outputs(arch):
    kmodel, dmodel = make_pair(arch)
    x, _ = make_data(arch)
    np.testing.assert_allclose(dmodel.predict(x), kmodel.predict(x, verbose=0), atol=ATOL)
    assert [w.shape for w in dmodel.get_weights()] == [w.shape for w in kmodel.get_weights()]


@pytest.mark.parametrize("arch", list(ARCHS))
def test_gradients_match_gradient_tape(arch):
    kmodel, dmodel = make_pair(arch)
    x, y = make_data(arch)
    per_sample = keras.losses.get(LOSS_FOR[arch])       # Keras's loss function, per sample
    with tf.GradientTape() as tape:
        loss_k = tf.reduce_mean(per_sample(y, kmodel(x, training=True)))
    kgrads = tape.gradient(loss_k, kmodel.trainable_weights)

    dmodel.compile(optimizer="sgd", loss=LOSS_FOR[arch])
    loss_d, dgrads = dmodel.compute_gradients(x, y)     # updates nothing
    assert loss_d == pytest.approx(float(loss_k), abs=ATOL)
    for dg, kg in zip(dgrads, kgrads):
        np.testing.assert_allclose(dg, kg.numpy(), atol=ATOL)


OPTIMIZERS = {
    "sgd": (lambda: keras.optimizers.SGD(0.1), lambda: optimizers.SGD(0.1)),
    "sgd_momentum": (lambda: keras.optimizers.SGD(0.05, momentum=0.9),
                     lambda: optimizers.SGD(0.05, momentum=0.9)),
    "sgd_nesterov": (lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                     lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True)),
    "rmsprop": (lambda: keras.optimizers.RMSprop(), lambda: optimizers.RMSprop()),
    "adam": (lambda: keras.optimizers.Adam(0.01), lambda: optimizers.Adam(0.01)),
}


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_optimizer_steps(opt):
    kmodel, dmodel = make_pair("relu_softmax")
    make_k, make_d = OPTIMIZERS[opt]
    kmodel.compile(optimizer=make_k(), loss="sparse_categorical_crossentropy")
    dmodel.compile(optimizer=make_d(), loss="sparse_categorical_crossentropy")
    x, y = make_data("relu_softmax", n=16)
    for step in range(10):
        lk = kmodel.train_on_batch(x, y)
        ld = dmodel.train_on_batch(x, y)
        assert ld == pytest.approx(float(lk), abs=ATOL), f"loss at step {step}"
        for wd, wk in zip(dmodel.get_weights(), kmodel.get_weights()):
            np.testing.assert_allclose(wd, wk, atol=ATOL, err_msg=f"{opt}, step {step}")


@pytest.mark.parametrize("opt", ["sgd", "rmsprop", "adam"])
def test_optimizer_defaults_match_keras(opt):
    k = keras.optimizers.get(opt).get_config()
    d = optimizers.get(opt).get_config()
    for key, value in d.items():
        assert value == pytest.approx(k[key]), key


@pytest.mark.parametrize("arch,optimizer", [("relu_softmax", "adam"), ("sigmoid_out", "rmsprop"),
                                            ("linear_out", "sgd")])
def test_fit_history(arch, optimizer):
    kmodel, dmodel = make_pair(arch)
    x, y = make_data(arch, n=50)
    loss = LOSS_FOR[arch]
    metrics = ["accuracy"] if arch == "relu_softmax" else None
    kmodel.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    dmodel.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    hk = kmodel.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0).history
    hd = dmodel.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hd["loss"], hk["loss"], atol=ATOL)
    if metrics:
        np.testing.assert_allclose(hd["accuracy"], hk["accuracy"], atol=ATOL)
    np.testing.assert_allclose(dmodel.evaluate(x, y, verbose=0) if not metrics else
                               dmodel.evaluate(x, y, verbose=0)[0],
                               kmodel.evaluate(x, y, verbose=0) if not metrics else
                               kmodel.evaluate(x, y, verbose=0)[0], atol=ATOL)


@pytest.mark.parametrize("name,kw", [("mean_squared_error", {}), ("binary_crossentropy", {}),
                                     ("binary_crossentropy", {"from_logits": True}),
                                     ("categorical_crossentropy", {}),
                                     ("categorical_crossentropy", {"from_logits": True})])
def test_loss_values(name, kw, rng):
    y_pred = rng.uniform(0.0, 1.0, (6, 4)).astype(np.float32)
    y_pred[0, 0], y_pred[1, 1] = 0.0, 1.0        # clipped entries
    if kw:
        y_pred = rng.standard_normal((6, 4)).astype(np.float32) * 5
    y_true = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 6)]
    kloss = {"mean_squared_error": keras.losses.MeanSquaredError,
             "binary_crossentropy": keras.losses.BinaryCrossentropy,
             "categorical_crossentropy": keras.losses.CategoricalCrossentropy}[name](**kw)
    assert losses.get(name).fn(y_true, y_pred, **kw) == pytest.approx(float(kloss(y_true, y_pred)), abs=ATOL)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_loss_value(from_logits, rng):
    y_pred = rng.uniform(0.0, 1.0, (6, 4)).astype(np.float32)
    y_pred[0, 2] = 0.0
    y = rng.integers(0, 4, 6)
    kloss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    d = losses.sparse_categorical_crossentropy(y, y_pred, from_logits=from_logits)
    assert d == pytest.approx(float(kloss(y, y_pred)), abs=ATOL)


def test_initializer_statistics():
    """Same distributions as Keras (the generators differ, so compare moments)."""
    dlref.set_random_seed(0)
    shape = (400, 300)
    for name in ["glorot_uniform", "he_normal"]:
        d = dlref.initializers.get(name)(shape)
        k = keras.initializers.get(name)(shape).numpy()
        assert d.dtype == k.dtype == np.float32
        assert d.std() == pytest.approx(k.std(), rel=0.02)
        assert np.abs(d).max() == pytest.approx(np.abs(k).max(), rel=0.02)
