"""Keras's clipping in the losses, with the gradients it implies: zero where a probability was clipped."""
import numpy as np
import pytest

from dlref import losses
from dlref.gradcheck import numerical_gradient, rel_error

EPS = losses.EPSILON


def test_bce_gradient_is_zero_where_clipped_and_exact_elsewhere():
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    p = np.array([[0.0, 1.0, 0.3, 0.6]])              # the first two lie outside [eps, 1 - eps]
    value, grad = losses.bce_value_and_grad(y, p)
    assert value == pytest.approx(np.mean([-np.log(EPS), -np.log(EPS), -np.log(0.3), -np.log(0.4)]))
    np.testing.assert_array_equal(grad[0, :2], 0.0)
    np.testing.assert_allclose(grad[0, 2:], [-1 / 0.3 / 4, 1 / 0.4 / 4], rtol=1e-12)


def test_cce_gradient_is_zero_through_clipped_probabilities():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]])   # row 2: the true class has p = 0
    value, grad = losses.cce_value_and_grad(y, p)
    assert value == pytest.approx((-np.log(0.5) - np.log(EPS)) / 2)
    np.testing.assert_array_equal(grad[1], 0.0)          # clipped: no gradient, as in Keras
    num = numerical_gradient(lambda: losses.categorical_crossentropy(y[:1], q), q := p[:1].copy())
    assert rel_error(grad[:1] * 2, num) < 1e-7           # row 1 alone: the batch mean halves it


def test_sparse_cce_gradient_is_zero_where_clipped():
    p = np.array([[0.0, 0.3, 0.7], [0.2, 0.3, 0.5]])
    value, grad = losses.sparse_cce_value_and_grad(np.array([0, 2]), p)
    assert value == pytest.approx((-np.log(EPS / (EPS + 1.0)) - np.log(0.5)) / 2, rel=1e-6)
    assert grad[0, 0] == 0.0 and np.all(np.isfinite(grad))
    num = numerical_gradient(lambda: losses.sparse_categorical_crossentropy(np.array([2]), q),
                             q := p[1:].copy())
    assert rel_error(grad[1:] * 2, num) < 1e-7


def test_cce_rescales_rows_that_do_not_sum_to_one():
    y = np.array([[0.0, 1.0]])
    assert losses.categorical_crossentropy(y, np.array([[2.0, 2.0]])) == pytest.approx(np.log(2))
    p = np.array([[1.0, 3.0]])
    grad = losses.categorical_crossentropy_grad(y, p)
    assert rel_error(grad, numerical_gradient(lambda: losses.categorical_crossentropy(y, p), p)) < 1e-7


def test_mse_is_the_mean_over_every_entry():
    y, p = np.zeros((2, 3)), np.arange(6.0).reshape(2, 3)
    value, grad = losses.mse_value_and_grad(y, p)
    assert value == pytest.approx(np.sum(p ** 2) / 6)
    np.testing.assert_allclose(grad, 2 * p / 6)


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_logits_and_probabilities_agree_away_from_the_clip(name, rng):
    z = rng.standard_normal((4, 3))
    y = np.eye(3)[[0, 2, 1, 1]]
    from dlref.activations import sigmoid, softmax
    p = sigmoid(z) if name == "binary_crossentropy" else softmax(z)
    assert losses.get(name).fn(y, z, from_logits=True) == pytest.approx(losses.get(name).fn(y, p), rel=1e-6)
