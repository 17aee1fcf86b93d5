"""Conv2D, MaxPooling2D, SimpleRNN and LSTM against TensorFlow/Keras on identical weights.

For each model: outputs, the gradients of every weight (tf.GradientTape), and
the weights after three Adam steps, all in float32 with atol 1e-5.
"""
import numpy as np
import pytest

import dlref
from dlref import layers as dl, models

from conftest import require_tensorflow

pytestmark = pytest.mark.keras
tf = require_tensorflow()
import keras  # noqa: E402

kl = keras.layers
ATOL = 1e-5


def pair(spec, input_shape, seed=0):
    keras.utils.set_random_seed(seed)
    kmodel = keras.Sequential([keras.Input(input_shape)] + [k for k, _ in spec])
    dmodel = models.Sequential([d for _, d in spec])
    dmodel.build((None,) + input_shape)
    dmodel.set_weights(kmodel.get_weights())
    return kmodel, dmodel


def check_parity(spec, input_shape, n=6, classes=3, steps=3):
    kmodel, dmodel = pair(spec, input_shape)
    r = np.random.default_rng(5)
    x = r.standard_normal((n,) + input_shape).astype(np.float32)
    y = r.integers(0, classes, n)
    np.testing.assert_allclose(dmodel.predict(x), kmodel.predict(x, verbose=0), atol=ATOL)

    per_sample = keras.losses.get("sparse_categorical_crossentropy")
    with tf.GradientTape() as tape:
        loss_k = tf.reduce_mean(per_sample(y, kmodel(x, training=True)))
    kgrads = [g.numpy() for g in tape.gradient(loss_k, kmodel.trainable_weights)]
    dmodel.compile(optimizer=dlref.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    loss_d, dgrads = dmodel.compute_gradients(x, y)     # updates nothing
    assert loss_d == pytest.approx(float(loss_k), abs=ATOL)
    assert [g.shape for g in dgrads] == [g.shape for g in kgrads]
    for i, (dg, kg) in enumerate(zip(dgrads, kgrads)):
        np.testing.assert_allclose(dg, kg, atol=ATOL, err_msg=f"gradient of weight {i}")

    kmodel.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    for step in range(steps):
        kmodel.train_on_batch(x, y)
        dmodel.train_on_batch(x, y)
        for i, (wd, wk) in enumerate(zip(dmodel.get_weights(), kmodel.get_weights())):
            np.testing.assert_allclose(wd, wk, atol=ATOL, err_msg=f"weight {i} after step {step + 1}")


def head(classes=3):
    return [(kl.Flatten(), dl.Flatten()), (kl.Dense(classes, activation="softmax"),
                                           dl.Dense(classes, activation="softmax"))]


@pytest.mark.parametrize("kernel,strides,padding,size", [
    ((3, 2), (2, 2), "valid", (7, 6)),     # non-square kernel, stride 2, odd image
    ((2, 2), (1, 1), "same", (6, 6)),      # even kernel with 'same'
    ((4, 2), (2, 1), "same", (7, 5)),
    ((3, 3), (2, 2), "same", (9, 9)),
])
def test_conv2d(kernel, strides, padding, size):
    spec = [(kl.Conv2D(4, kernel, strides=strides, padding=padding, activation="relu"),
             dl.Conv2D(4, kernel, strides=strides, padding=padding, activation="relu"))] + head()
    check_parity(spec, size + (2,))


@pytest.mark.parametrize("pool,strides,padding,size", [
    ((2, 2), None, "valid", (8, 8)), ((2, 2), None, "valid", (7, 7)),
    ((3, 3), (2, 2), "valid", (9, 7)), ((2, 3), (1, 2), "same", (5, 6))])
def test_max_pooling(pool, strides, padding, size):
    spec = [(kl.Conv2D(3, 3, padding="same", activation="tanh"), dl.Conv2D(3, 3, padding="same", activation="tanh")),
            (kl.MaxPooling2D(pool, strides, padding), dl.MaxPooling2D(pool, strides, padding))] + head()
    check_parity(spec, size + (2,))


def test_max_pooling_routes_ties_like_tensorflow():
    r = np.random.default_rng(0)
    x = r.integers(0, 2, (2, 6, 6, 2)).astype(np.float32)        # many equal maxima
    dy = r.standard_normal((2, 3, 3, 2)).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = kl.MaxPooling2D(2)(xt)
        s = tf.reduce_sum(out * dy)
    expected = tape.gradient(s, xt).numpy()
    layer = dl.MaxPooling2D(2)
    np.testing.assert_array_equal(layer(x), out.numpy())
    np.testing.assert_array_equal(layer.backward(dy), expected)


@pytest.mark.parametrize("steps", [1, 5])
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM"])
def test_single_recurrent_layer(kind, steps):
    spec = [(getattr(kl, kind)(6), getattr(dl, kind)(6)), (kl.Dense(3, activation="softmax"),
                                                             dl.Dense(3, activation="softmax"))]
    check_parity(spec, (steps, 4))


@pytest.mark.parametrize("steps", [1, 7])
def test_stacked_recurrent_layers(steps):
    spec = [(kl.LSTM(6, return_sequences=True), dl.LSTM(6, return_sequences=True)),
            (kl.SimpleRNN(5, return_sequences=True), dl.SimpleRNN(5, return_sequences=True)),
            (kl.LSTM(4), dl.LSTM(4)),
            (kl.Dense(3, activation="softmax"), dl.Dense(3, activation="softmax"))]
    check_parity(spec, (steps, 3))


def test_return_sequences_output_matches():
    spec = [(kl.LSTM(5, return_sequences=True), dl.LSTM(5, return_sequences=True))]
    kmodel, dmodel = pair(spec, (4, 3))
    x = np.random.default_rng(1).standard_normal((2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(dmodel.predict(x), kmodel.predict(x, verbose=0), atol=ATOL)


def test_lstm_initial_weights_follow_keras():
    kmodel, dmodel = pair([(kl.LSTM(8), dl.LSTM(8))], (5, 3))
    bias = kmodel.get_weights()[2]
    assert bias[8:16].tolist() == [1.0] * 8                  # unit_forget_bias, gate order i f c o
    dlref.set_random_seed(3)
    fresh = models.Sequential([dl.LSTM(8)])
    fresh.build((None, 5, 3))
    U = fresh.get_weights()[1]
    np.testing.assert_allclose(U @ U.T, np.eye(8), atol=1e-5)  # orthogonal recurrent kernel
    np.testing.assert_array_equal(fresh.get_weights()[2], bias)
