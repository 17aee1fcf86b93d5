"""Optimizers: Keras's defaults (from the Keras documentation), the pure rules with their
defaults against hand-computed steps, apply_gradients, and the messages."""
import numpy as np
import pytest

from dlref import optimizers as O

W = np.array([1.0, -2.0])
G = np.array([0.5, 4.0])


def test_keras_defaults():
    assert O.SGD().get_config() == {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}
    assert O.RMSprop().get_config() == {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7}
    assert O.Adam().get_config() == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                     "epsilon": 1e-7}
    assert repr(O.SGD(momentum=0.5)) == "SGD(learning_rate=0.01, momentum=0.5, nesterov=False)"


def test_pure_rules_with_their_defaults():
    np.testing.assert_allclose(O.sgd_update(W, G), W - 0.01 * G, rtol=1e-15)
    m = np.array([0.1, -0.2])
    w1, m1 = O.momentum_update(W, G, m)
    np.testing.assert_allclose(m1, 0.9 * m - 0.01 * G, rtol=1e-15)
    np.testing.assert_allclose(w1, W + m1, rtol=1e-15)
    v = np.array([0.25, 1.0])
    w1, v1 = O.rmsprop_update(W, G, v)
    np.testing.assert_allclose(v1, 0.9 * v + 0.1 * G ** 2, rtol=1e-15)
    np.testing.assert_allclose(w1, W - 0.001 * G / np.sqrt(v1 + 1e-7), rtol=1e-15)


def test_apply_gradients_takes_pairs():
    w = W.copy()
    O.SGD(learning_rate=0.1).apply_gradients(zip([G], [w]))
    np.testing.assert_allclose(w, W - 0.1 * G, rtol=1e-15)


def test_momentum_range():
    assert O.SGD(momentum=1.0).momentum == 1.0
    with pytest.raises(ValueError, match=r"^momentum must lie in \[0, 1\], got 1.5$"):
        O.SGD(momentum=1.5)


def test_messages():
    with pytest.raises(ValueError, match=r"^learning_rate must be a positive number or 0 \(as in Keras\), got -1$"):
        O.Adam(learning_rate=-1)
    opt = O.SGD()
    with pytest.raises(ValueError, match=r"^got 1 gradients for 2 variables$"):
        opt.apply([G], [W.copy(), W.copy()])
    with pytest.raises(TypeError, match=r"^variables must be floating NumPy arrays, updated in place; got list$"):
        opt.apply([G], [[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"^variables must be floating NumPy arrays, updated in place; got ndarray$"):
        opt.apply([G], [np.array([1, 2])])
    with pytest.raises(ValueError, match=r"^gradient of shape \(3,\) for a variable of shape \(2,\)$"):
        opt.apply([np.zeros(3)], [W.copy()])
    with pytest.raises(TypeError, match=r"^optimizer must be a name such as 'adam' or a dlref optimizer, got int$"):
        O.get(3)
