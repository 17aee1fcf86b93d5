"""Chapter 4's claims about the losses: per-sample values, the batch mean, logits, p - y."""
import numpy as np
import pytest

from dlref import losses
from dlref.activations import sigmoid, softmax
from dlref.data import one_hot
from dlref.gradcheck import numerical_gradient, rel_error

EPS = losses.EPSILON


@pytest.mark.parametrize("name, from_logits", [
    ("mse", False), ("binary_crossentropy", False), ("binary_crossentropy", True),
    ("categorical_crossentropy", False), ("categorical_crossentropy", True),
    ("sparse_categorical_crossentropy", False), ("sparse_categorical_crossentropy", True)])
def test_the_batch_loss_is_the_mean_of_the_per_sample_losses(name, from_logits, rng):
    z = rng.standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 2])
    if name == "sparse_categorical_crossentropy":
        y, pred = labels, z if from_logits else softmax(z)
    elif name == "categorical_crossentropy":
        y, pred = one_hot(labels, 3), z if from_logits else softmax(z)
    elif name == "binary_crossentropy":
        y, pred = (z > 0).astype(float), rng.standard_normal((5, 3)) if from_logits else sigmoid(z)
    else:
        y, pred = rng.standard_normal((5, 3)), z
    kwargs = {"from_logits": True} if from_logits else {}
    each = losses.per_sample(name, y, pred, **kwargs)
    assert each.shape == (5,) and each.dtype == np.float64
    assert np.mean(each) == pytest.approx(losses.get(name).fn(y, pred, **kwargs), rel=1e-12)


def test_per_sample_values_are_the_formulas_of_the_chapter():
    p = np.array([[0.0], [1e-3], [0.5], [0.9], [1.0]])
    y = np.ones_like(p)
    np.testing.assert_allclose(losses.per_sample("binary_crossentropy", y, p),
                               -np.log(np.clip(p[:, 0], EPS, 1 - EPS)), rtol=1e-12)
    np.testing.assert_allclose(losses.per_sample("mse", y, p), (1 - p[:, 0]) ** 2, rtol=1e-12)
    # MSE of a sample with d outputs is the mean over its d entries, as in Keras
    np.testing.assert_allclose(losses.per_sample("mse", np.zeros((2, 4)), np.arange(8.0).reshape(2, 4)),
                               [np.mean(np.arange(4.0) ** 2), np.mean(np.arange(4.0, 8.0) ** 2)])


def test_per_sample_rejects_what_it_cannot_split():
    with pytest.raises(ValueError, match="3 samples but y_pred has 2"):
        losses.per_sample("mse", np.zeros((3, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="takes no logits"):
        losses.per_sample("mse", np.zeros((2, 1)), np.zeros((2, 1)), from_logits=True)
    with pytest.raises(ValueError, match="batch axis"):
        losses.per_sample("mse", 1.0, 0.5)
    with pytest.raises(ValueError, match="unknown loss"):
        losses.per_sample("hinge_squared", np.zeros((2, 1)), np.zeros((2, 1)))


def test_logits_of_plus_minus_1000_are_exact():
    z = np.array([[1000.0, -1000.0, 0.0]] * 2)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is harmless
        per = losses.per_sample("sparse_categorical_crossentropy", np.array([0, 1]), z, from_logits=True)
        bce = losses.per_sample("binary_crossentropy", np.array([[1.0], [0.0], [1.0], [0.0]]),
                                np.array([[1000.0], [1000.0], [-1000.0], [-1000.0]]), from_logits=True)
    np.testing.assert_array_equal(per, [0.0, 2000.0])
    assert not np.signbit(per[0])                       # 0.0, not -0.0
    np.testing.assert_array_equal(bce, [0.0, 1000.0, 1000.0, 0.0])


def test_clipping_caps_the_loss_and_zeroes_the_gradient():
    value, grad = losses.bce_value_and_grad(np.array([[1.0]]), np.array([[0.0]]))
    assert value == pytest.approx(-np.log(EPS)) and grad[0, 0] == 0.0
    value, grad = losses.bce_value_and_grad(np.array([[1.0]]), np.array([[1000.0]]) * -1, from_logits=True)
    assert value == 1000.0 and grad[0, 0] == -1.0       # the logits form keeps learning


@pytest.mark.parametrize("k", [2, 3, 10])
def test_the_logit_gradient_is_p_minus_y(k, rng):
    z, labels = rng.standard_normal((4, k)) * 3, rng.integers(0, k, size=4)
    grad = losses.sparse_categorical_crossentropy_grad(labels, z, from_logits=True)
    np.testing.assert_allclose(grad, (softmax(z) - one_hot(labels, k)) / 4, rtol=1e-12, atol=1e-15)
    num = numerical_gradient(lambda: losses.sparse_categorical_crossentropy(labels, z, from_logits=True), z)
    assert rel_error(grad, num) < 1e-7
    # negative check: the per-sample gradient p - y, without the batch mean's 1/n, is caught
    assert rel_error(grad * 4, num) > 0.5


def test_the_binary_logit_gradient_is_p_minus_y(rng):
    z, y = rng.standard_normal((6, 1)) * 4, rng.integers(0, 2, size=(6, 1)).astype(float)
    grad = losses.binary_crossentropy_grad(y, z, from_logits=True)
    np.testing.assert_allclose(grad, (sigmoid(z) - y) / 6, rtol=1e-12)
    num = numerical_gradient(lambda: losses.binary_crossentropy(y, z, from_logits=True), z)
    assert rel_error(grad, num) < 1e-7
    assert rel_error(sigmoid(z) - y, num) > 0.5


def test_binary_is_categorical_with_two_classes(rng):
    p = rng.uniform(0.01, 0.99, size=(7, 1))
    y = rng.integers(0, 2, size=(7, 1))
    two = np.concatenate([1 - p, p], axis=1)
    assert losses.binary_crossentropy(y.astype(float), p) == pytest.approx(
        losses.categorical_crossentropy(one_hot(y[:, 0], 2), two), rel=1e-12)


def test_integer_labels_with_the_one_hot_loss_fail_with_a_hint():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(np.array([3, 0]), softmax(np.zeros((2, 10))))
