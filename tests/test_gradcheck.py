"""Every backward pass against centred differences, in float64."""
import numpy as np
import pytest

from dlref import activations, losses
from dlref import functional as F
from dlref.gradcheck import check_layer, numerical_gradient, numerical_vjp, rel_error
from dlref.layers import Activation, Dense, Flatten

TOL = 1e-7


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "softmax"])
def test_activation_backward(name, rng):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.5          # keep ReLU's kink away from the differences
    dout = rng.standard_normal((4, 5))
    out, cache = F.activation_forward(x, name)
    dx = F.activation_backward(dout, cache)
    num = numerical_vjp(lambda v: F.activation_forward(v, name)[0], x, dout)
    assert rel_error(dx, num) < TOL


def test_dense_backward(rng):
    x, k, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((3, 5))
    _, cache = F.dense_forward(x, k, b)
    dx, dk, db = F.dense_backward(dout, cache)
    f = lambda: float(np.sum(F.dense_forward(x, k, b)[0] * dout))
    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    assert rel_error(dk, numerical_gradient(f, k)) < TOL
    assert rel_error(db, numerical_gradient(f, b)) < TOL


@pytest.mark.parametrize("activation", [None, "sigmoid", "tanh", "relu", "softmax"])
def test_dense_layer(activation, rng):
    layer = Dense(6, activation=activation, dtype="float64")
    layer.build((5, 7))
    layer.params["bias"][...] = rng.standard_normal(6)
    errors = check_layer(layer, rng.standard_normal((5, 7)))
    assert set(errors) == {"x", "kernel", "bias"}
    assert max(errors.values()) < TOL, errors


def test_activation_and_flatten_layers(rng):
    assert check_layer(Activation("tanh", dtype="float64"), rng.standard_normal((3, 4)))["x"] < TOL
    assert check_layer(Flatten(dtype="float64"), rng.standard_normal((2, 3, 4)))["x"] < TOL


LOSS_CASES = [
    ("mean_squared_error", False, lambda r: (r.standard_normal((4, 3)), r.standard_normal((4, 3)))),
    ("binary_crossentropy", False, lambda r: (r.integers(0, 2, (4, 3)) * 1.0, r.uniform(0.05, 0.95, (4, 3)))),
    ("binary_crossentropy", True, lambda r: (r.integers(0, 2, (4, 3)) * 1.0, r.standard_normal((4, 3)))),
    ("categorical_crossentropy", False, lambda r: (np.eye(3)[r.integers(0, 3, 4)], r.uniform(0.1, 1.0, (4, 3)))),
    ("categorical_crossentropy", True, lambda r: (np.eye(3)[r.integers(0, 3, 4)], r.standard_normal((4, 3)))),
    ("sparse_categorical_crossentropy", False, lambda r: (r.integers(0, 3, 4), r.uniform(0.1, 0.6, (4, 3)))),
    ("sparse_categorical_crossentropy", True, lambda r: (r.integers(0, 3, 4), r.standard_normal((4, 3)))),
]


@pytest.mark.parametrize("name,from_logits,make", LOSS_CASES)
def test_loss_grad(name, from_logits, make, rng):
    y_true, y_pred = make(rng)
    loss = losses.get(name)
    kw = {"from_logits": True} if from_logits else {}
    grad = loss.grad(y_true, y_pred, **kw)
    num = numerical_gradient(lambda: loss.fn(y_true, y_pred, **kw), y_pred)
    assert rel_error(grad, num) < TOL


def test_checker_catches_a_wrong_backward_pass(rng):
    """A sigmoid backward that forgets the factor (1 - s) must fail the check by far."""
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    wrong = dout * activations.sigmoid(x)
    num = numerical_vjp(activations.sigmoid, x, dout)
    assert rel_error(wrong, num) > 1e-2


def test_checker_catches_a_wrong_layer(rng):
    class BrokenDense(Dense):
        def backward(self, dy):
            dx = super().backward(dy)
            self.grads["kernel"] = 0.5 * self.grads["kernel"]   # half the true gradient
            return dx

    layer = BrokenDense(3, activation="tanh", dtype="float64")
    errors = check_layer(layer, rng.standard_normal((2, 4)))
    assert errors["kernel"] > 0.1
    assert errors["x"] < TOL and errors["bias"] < TOL


def test_rel_error_and_checker_inputs():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError, match="float64"):
        check_layer(Dense(2), np.zeros((1, 2)))


def test_numerical_vjp_is_dout_transposed_times_the_jacobian(rng):
    """For f(x) = A x the Jacobian is A, so the vector-Jacobian product is A^T dout."""
    a, x, dout = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    np.testing.assert_allclose(numerical_vjp(lambda v: a @ v, x, dout), a.T @ dout, rtol=1e-9)


def test_numerical_gradient_perturbs_any_memory_layout():
    """A Fortran-ordered or transposed weight must be perturbed in place, not through a copy."""
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    g = numerical_gradient(lambda: float(np.sum(a ** 2)), a)
    np.testing.assert_allclose(g, 2 * a, rtol=1e-9)
    t = np.arange(6.0).reshape(3, 2).T
    np.testing.assert_allclose(numerical_gradient(lambda: float(np.sum(t ** 2)), t), 2 * t, rtol=1e-9)
