"""Edge cases of the losses that the other tests leave open (found by mutation testing).

Expected values are derived by hand from the formulas in the module docstring (Keras's
reductions and its clipping to [eps, 1 - eps], inclusive at both ends) or from
independent NumPy expressions; gradients are checked against centred differences in float64.
"""
import numpy as np
import pytest

from dlref import losses

EPS = 1e-7            # keras.config.epsilon(), written out rather than read from dlref
TOL = 1e-7


def centred(f, x, h=1e-6):
    """d f / d x by centred differences; x is float64 and is perturbed in place."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        dn = f()
        x[i] = old
        g[i] = (up - dn) / (2 * h)
    return g


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def test_epsilon_is_keras_epsilon():
    assert losses.EPSILON == EPS


# -- mean squared error ---------------------------------------------------------------------
def test_mse_uses_the_difference_with_nonzero_targets():
    y = np.array([[1.0, -2.0], [0.5, 3.0]])
    p = np.array([[2.0, 0.0], [0.5, 1.0]])
    value, grad = losses.mse_value_and_grad(y, p)
    assert value == pytest.approx((1 + 4 + 0 + 4) / 4, rel=1e-15)
    np.testing.assert_allclose(grad, [[0.5, 1.0], [0.0, -1.0]], rtol=1e-15)
    # the mse name ignores from_logits, as Keras's MSE has no such argument
    assert losses.mse_value_and_grad(y, p, from_logits=True)[0] == value


def test_losses_accept_a_single_vector_and_nan_propagates():
    assert losses.mean_squared_error([0.0, 1.0], [1.0, 1.0]) == pytest.approx(0.5)
    assert np.isnan(losses.mean_squared_error([[0.0, 1.0]], [[np.nan, 1.0]]))
    assert np.isnan(losses.sparse_categorical_crossentropy([0], [[np.nan, 1.0]], from_logits=True))


def test_float32_predictions_give_float32_gradients_with_integer_targets():
    grad = losses.mean_squared_error_grad(np.array([[1, 0]]), np.array([[0.5, 0.5]], np.float32))
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, [[-0.5, 0.5]])


def test_pair_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"^y_pred must have 1 or 2 or 3 dimensions, got shape \(1, 1, 1, 2\)"):
        losses.mean_squared_error(np.zeros((1, 1, 1, 2)), np.zeros((1, 1, 1, 2)))
    with pytest.raises(TypeError, match=r"^y_true must be a numeric array"):
        losses.mean_squared_error(np.array([["a", "b"]]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"^y_true has shape \(2, 3\) but y_pred has shape \(2, 2\); "
                                         r"they must match \(for integer class labels use "
                                         r"sparse_categorical_crossentropy\)"):
        losses.categorical_crossentropy(np.zeros((2, 3)), np.full((2, 2), 0.5))
    with pytest.raises(TypeError, match=r"^loss must be a Keras loss name such as 'mse', got int"):
        losses.get(3)


# -- integer labels ---------------------------------------------------------------------------
P = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])


def sparse_expected(labels, p):
    """Keras with probabilities: log of the clipped p as logits, then softmax cross-entropy."""
    q = np.clip(p, EPS, 1 - EPS)
    q = q / q.sum(axis=1, keepdims=True)
    return -np.mean(np.log(q[np.arange(len(labels)), labels]))


def test_sparse_labels_as_a_column_or_integral_floats():
    want = sparse_expected(np.array([2, 0]), P)
    assert losses.sparse_categorical_crossentropy(np.array([2, 0]), P) == pytest.approx(want, rel=1e-12)
    assert losses.sparse_categorical_crossentropy(np.array([[2], [0]]), P) == pytest.approx(want, rel=1e-12)
    assert losses.sparse_categorical_crossentropy(np.array([2.0, 0.0]), P) == pytest.approx(want, rel=1e-12)
    assert losses.sparse_categorical_crossentropy(np.array([[2.0], [0.0]]), P) == pytest.approx(want, rel=1e-12)
    # a (batch, 2) array is not a column of labels: it is refused, not read column by column
    with pytest.raises(ValueError, match=r"^y_true must have shape \(2,\) to match y_pred \(2, 3\), got \(2, 2\)"):
        losses.sparse_categorical_crossentropy(np.array([[2, 0], [0, 1]]), P)


def test_sparse_label_errors():
    with pytest.raises(TypeError, match=r"^y_true must hold integer class labels, got dtype float64"):
        losses.sparse_categorical_crossentropy(np.array([0.5, 1.0]), P)
    with pytest.raises(ValueError, match=r"^y_true must have shape \(2,\) to match y_pred \(2, 3\), got \(3,\)"):
        losses.sparse_categorical_crossentropy(np.array([0, 1, 2]), P)
    with pytest.raises(ValueError, match=r"class labels must lie in \[0, 2\] for 3 classes, got values from 0 to 3"):
        losses.sparse_categorical_crossentropy(np.array([0, 3]), P)
    with pytest.raises(ValueError, match=r"^y_pred must have 2 dimensions, got shape \(3,\)"):
        losses.sparse_categorical_crossentropy(np.array([0]), np.array([0.2, 0.3, 0.5]))
    # the largest valid label is k - 1
    assert np.isfinite(losses.sparse_categorical_crossentropy(np.array([2, 2]), P))


# -- log-softmax: per row, whatever the other rows hold -----------------------------------------
def test_logits_of_very_different_scale_in_one_batch():
    z = np.array([[1000.0, 999.0], [0.0, -1.0]])
    want = (np.log1p(np.e) + np.log1p(np.exp(-1.0))) / 2    # -log softmax(z)[label], by hand
    assert losses.sparse_categorical_crossentropy(np.array([1, 0]), z, from_logits=True) == \
        pytest.approx(want, rel=1e-12)
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert losses.categorical_crossentropy(y, z, from_logits=True) == pytest.approx(want, rel=1e-12)


def test_cce_on_sequences_averages_over_batch_and_time():
    """(batch, time, classes): Keras takes the sum over classes and the mean over the rest."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal((2, 3, 4))
    y = np.eye(4)[rng.integers(0, 4, (2, 3))]
    e = np.exp(z)
    want = -np.sum(y * np.log(e / e.sum(axis=2, keepdims=True))) / 6
    value, grad = losses.cce_value_and_grad(y, z, from_logits=True)
    assert value == pytest.approx(want, rel=1e-12)
    assert rel(grad, centred(lambda: losses.categorical_crossentropy(y, z, from_logits=True), z)) < TOL
    p = rng.uniform(0.1, 1.0, (2, 3, 4))
    q = p / p.sum(axis=2, keepdims=True)
    value, grad = losses.cce_value_and_grad(y, p)
    assert value == pytest.approx(-np.sum(y * np.log(q)) / 6, rel=1e-12)
    assert rel(grad, centred(lambda: losses.categorical_crossentropy(y, p), p)) < TOL


def test_cce_logits_gradient_with_soft_targets_that_do_not_sum_to_one():
    z = np.array([[0.3, -1.2, 2.0], [1.0, 0.0, -0.5]])
    y = np.array([[0.5, 0.5, 1.0], [0.25, 0.0, 0.0]])
    grad = losses.categorical_crossentropy_grad(y, z, from_logits=True)
    e = np.exp(z)
    s = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, (s * y.sum(axis=1, keepdims=True) - y) / 2, rtol=1e-12)
    assert rel(grad, centred(lambda: losses.categorical_crossentropy(y, z, from_logits=True), z)) < TOL


# -- clipping: [eps, 1 - eps] is inclusive; outside it the gradient is zero ----------------------
def test_bce_at_exactly_eps_and_one_minus_eps_is_not_clipped():
    p = np.array([[EPS, 1.0 - EPS]])
    y = np.array([[1.0, 0.0]])
    value, grad = losses.bce_value_and_grad(y, p)
    assert value == pytest.approx(-(np.log(EPS) + np.log(1.0 - (1.0 - EPS))) / 2, rel=1e-12)
    np.testing.assert_allclose(grad, [[-1.0 / EPS / 2, 1.0 / (1.0 - (1.0 - EPS)) / 2]], rtol=1e-12)


def test_cce_at_exactly_eps_is_not_clipped():
    p = np.array([[EPS, 0.25, 0.75 - EPS]])          # sums to exactly 1, so q = p
    assert p.sum() == 1.0
    y = np.array([[1.0, 0.0, 0.0]])
    value, grad = losses.cce_value_and_grad(y, p)
    assert value == pytest.approx(-np.log(EPS), rel=1e-12)
    # d/dp of -log(p0 / sum p) = -1/p0 + 1/sum, and 1/sum for the others
    np.testing.assert_allclose(grad, [[-1.0 / EPS + 1.0, 1.0, 1.0]], rtol=1e-9)


def test_a_perfect_prediction_costs_minus_log_one_minus_eps():
    """Keras clips p = 1 to 1 - eps: the loss is -log(1 - eps), about 1e-7, not 0, and no gradient flows."""
    y = np.array([[1.0, 0.0]])
    value, grad = losses.cce_value_and_grad(y, np.array([[1.0, 0.0]]))
    assert value == pytest.approx(-np.log(1.0 - EPS), rel=1e-9)
    np.testing.assert_array_equal(grad, 0.0)
    # the same with rows that do not sum to one: Keras rescales first
    value, grad = losses.cce_value_and_grad(y, np.array([[3.0, 0.0]]))
    assert value == pytest.approx(-np.log(1.0 - EPS), rel=1e-9)
    np.testing.assert_array_equal(grad, 0.0)
    value, grad = losses.bce_value_and_grad(np.array([[1.0]]), np.array([[1.0]]))
    assert value == pytest.approx(-np.log(1.0 - EPS), rel=1e-9)
    np.testing.assert_array_equal(grad, 0.0)


def test_sparse_clipping_at_both_ends():
    # confidently wrong: p = [1, 0] with label 1; both entries are clipped, so no gradient
    value, grad = losses.sparse_cce_value_and_grad(np.array([1]), np.array([[1.0, 0.0]]))
    assert value == pytest.approx(-np.log(EPS / (EPS + 1.0 - EPS)), rel=1e-9)
    np.testing.assert_array_equal(grad, 0.0)
    # exactly on the clip bounds: not clipped, gradient (softmax(log p) - onehot) / p
    p = np.array([[EPS, 1.0 - EPS]])
    value, grad = losses.sparse_cce_value_and_grad(np.array([0]), p)
    s = p / p.sum()
    assert value == pytest.approx(-np.log(s[0, 0]), rel=1e-12)
    np.testing.assert_allclose(grad, (s - [[1.0, 0.0]]) / p, rtol=1e-9)
    # entries above 1 - eps (unnormalised rows) are clipped there and get no gradient
    p = np.array([[2.0, 0.5]])
    value, grad = losses.sparse_cce_value_and_grad(np.array([1]), p)
    q = np.array([1.0 - EPS, 0.5])
    assert value == pytest.approx(-np.log(0.5 / q.sum()), rel=1e-12)
    assert grad[0, 0] == 0.0
    assert grad[0, 1] == pytest.approx((0.5 / q.sum() - 1.0) / 0.5, rel=1e-12)


def test_cce_at_exactly_one_minus_eps_is_not_clipped():
    p = np.array([[EPS, 1.0 - EPS]])
    assert p.sum() == 1.0
    value, grad = losses.cce_value_and_grad(np.array([[0.0, 1.0]]), p)
    assert value == pytest.approx(-np.log(1.0 - EPS), rel=1e-9)
    # d/dp of -log(p1 / sum p): 1/sum for p0, -1/p1 + 1/sum for p1
    np.testing.assert_allclose(grad, [[1.0, 1.0 - 1.0 / (1.0 - EPS)]], rtol=1e-9)


def test_per_sample_losses():
    np.testing.assert_allclose(losses.per_sample("mse", [0.0, 1.0], [1.0, 1.0]), [1.0, 0.0])
    np.testing.assert_allclose(losses.per_sample("mse", [[0.0, 2.0]], [[1.0, 1.0]]), [1.0])
    with pytest.raises(ValueError, match=r"^y_true and y_pred need a batch axis first, got shapes \(\) and \(1,\)$"):
        losses.per_sample("mse", 1.0, [1.0])
