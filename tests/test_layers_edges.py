"""Layers: Keras's automatic names, dtypes, weights built once, shapes and messages."""
import uuid

import numpy as np
import pytest

from dlref import layers as L
from dlref.gradcheck import check_layer


def test_automatic_names_count_per_kind():
    # a class name no other test uses, so that its count starts at zero in any test order
    Probe = type(f"Probe{uuid.uuid4().hex[:8]}", (L.Activation,), {})
    kind = Probe.__name__.lower()
    names = [Probe("relu").name for _ in range(3)]
    assert names == [kind, f"{kind}_1", f"{kind}_2"]
    assert Probe("relu", name="mine").name == "mine"


def test_dtype_is_checked_and_used():
    with pytest.raises(TypeError, match=r"^dtype must be a floating dtype such as 'float32', got 'int32'$"):
        L.Dense(2, dtype="int32")
    layer = L.Dense(2)
    out = layer(np.ones((3, 4)))                     # float64 data into a float32 layer
    assert out.dtype == np.float32 and layer.params["kernel"].dtype == np.float32
    assert L.Dense(2, input_shape=[4]).input_shape == (4,)


def test_weights_are_built_once():
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3))
    for layer, data in [(L.Dense(3), x[:, 0, 0]), (L.Conv2D(2, 3), x),
                        (L.SimpleRNN(2), x[:, 0]), (L.LSTM(2), x[:, 0])]:
        first = layer(data)
        np.testing.assert_array_equal(layer(data), first)
        assert layer.built


def test_activation_build_marks_it_built():
    layer = L.Activation("relu")
    layer.build((2, 3))
    assert layer.built


def test_layer_lets_nan_through_and_names_itself_in_errors():
    layer = L.Dense(2, name="d")
    assert np.isnan(layer(np.array([[np.nan, 1.0]]))).all()
    with pytest.raises(TypeError, match=r"^input of layer 'd' must be a numeric array"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match=r"^layer 'd' expects 2 arrays \(kernel, bias\), got 1$"):
        layer.set_weights([np.zeros((2, 2))])


def test_first_layer_skips_its_input_gradient():
    layer = L.Dense(2)
    layer(np.ones((3, 4)))
    layer.compute_input_grad = False
    assert layer.backward(np.ones((3, 2))) is None
    conv = L.Conv2D(1, 2)
    conv(np.ones((1, 3, 3, 1)))
    conv.compute_input_grad = False
    assert conv.backward(np.ones((1, 2, 2, 1))) is None
    rnn = L.SimpleRNN(2)
    rnn(np.ones((1, 3, 2)))
    rnn.compute_input_grad = False
    assert rnn.backward(np.ones((1, 2))) is None


def test_shapes():
    assert L.Flatten().compute_output_shape((5, 2, 3)) == (5, 6)
    rnn = L.SimpleRNN(4, return_sequences=True)
    assert rnn.compute_output_shape((2, 7, 3)) == (2, 7, 4)
    assert L.SimpleRNN(4).return_sequences is False
    assert L.LSTM(4)(np.ones((2, 7, 3))).shape == (2, 4)
    x = np.ones((1, 5, 5, 1))
    assert L.Conv2D(1, 3, padding="same")(x).shape == (1, 5, 5, 1)
    assert L.MaxPooling2D(2, strides=1)(x).shape == (1, 4, 4, 1)
    assert L.MaxPooling2D(2, padding="same")(x).shape == (1, 3, 3, 1)
    out = L.Conv2D(2, 1, activation="relu", kernel_initializer="ones", bias_initializer="zeros")(-x)
    np.testing.assert_array_equal(out, 0.0)          # relu of -1


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM])
def test_recurrent_layer_gradients_through_the_last_state(cls):
    layer = cls(3, dtype="float64")
    x = np.random.default_rng(1).standard_normal((2, 4, 2))
    errors = check_layer(layer, x)
    assert max(errors.values()) < 1e-7, errors
    # rel_error gives inf for NaN; the gradients are also checked to be finite directly
    assert all(np.isfinite(g).all() for g in layer.grads.values())
    f32 = cls(3)
    f32(x.astype(np.float32))
    f32.backward(np.ones((2, 3), np.float32))
    assert all(g.dtype == np.float32 for g in f32.grads.values())


def test_repr_and_messages():
    assert repr(L.Dense(3, activation="relu")) == (
        "Dense(dtype='float32', units=3, activation='relu', use_bias=True, "
        "kernel_initializer='glorot_uniform', bias_initializer='zeros')")
    with pytest.raises(ValueError, match=r"^units must be a positive integer, got 0$"):
        L.Dense(0)
    with pytest.raises(ValueError, match=r"^units must be a positive integer, got 0$"):
        L.LSTM(0)
    with pytest.raises(ValueError, match=r"^filters must be a positive integer, got 0$"):
        L.Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"^strides must be a positive int or a pair of them, got \(0, 0\)$"):
        L.Conv2D(1, 3, strides=0)
    with pytest.raises(ValueError, match=r"^pool_size must be a positive int or a pair of them, got \(0, 0\)$"):
        L.MaxPooling2D(0)
    with pytest.raises(ValueError, match=r"^strides must be a positive int or a pair of them, got \(0, 0\)$"):
        L.MaxPooling2D(2, strides=0)
    with pytest.raises(ValueError, match=r"put a Flatten layer before it$"):
        L.Dense(2).build((1, 2, 3))
    with pytest.raises(ValueError, match=r"^Conv2D expects images of shape \(batch, height, width, channels\), "
                                         r"got \(1, 2, 3\)$"):
        L.Conv2D(1, 2).build((1, 2, 3))
    with pytest.raises(ValueError, match=r"^unknown layer class 'BatchNormalization'; expected one of \['Activation', "):
        L.from_config("BatchNormalization", {})
