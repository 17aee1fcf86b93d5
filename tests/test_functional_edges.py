"""Edge cases of the dense and activation pairs: outputs against hand-computed values,
optional outputs, NaN propagation and the messages for bad shapes."""
import numpy as np
import pytest

from dlref import functional as F

X = np.array([[1.0, 2.0, -1.0], [0.0, -3.0, 0.5]])
K = np.array([[1.0, 0.0], [0.5, -1.0], [2.0, 1.0]])
B = np.array([0.25, -0.5])


def test_dense_forward_by_hand():
    out, _ = F.dense_forward(X, K, B)
    # row 1: [1 + 1 - 2, 0 - 2 - 1] + b ; row 2: [0 - 1.5 + 1, 0 + 3 + 0.5] + b
    np.testing.assert_array_equal(out, [[0.25, -3.5], [-0.25, 3.0]])
    out, cache = F.dense_forward(X, K, None)
    np.testing.assert_array_equal(out, [[0.0, -3.0], [-0.5, 3.5]])


def test_dense_backward_optional_outputs():
    dout = np.array([[1.0, -1.0], [2.0, 0.5]])
    _, cache = F.dense_forward(X, K, B)
    dx, dk, db = F.dense_backward(dout, cache, compute_dx=False)
    assert dx is None
    np.testing.assert_array_equal(dk, X.T @ dout)
    np.testing.assert_array_equal(db, [3.0, -0.5])
    _, cache = F.dense_forward(X, K, None)
    dx, dk, db = F.dense_backward(dout, cache)
    assert db is None
    np.testing.assert_array_equal(dx, [[1.0, 1.5, 1.0], [2.0, 0.5, 4.5]])


def test_dense_lets_nan_through():
    """Inputs are not screened for NaN (a diverging model should show NaN, not stop)."""
    x = X.copy()
    x[0, 0] = np.nan
    out, _ = F.dense_forward(x, K, B)
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()
    k = K.copy()
    k[0, 1] = np.inf
    with np.errstate(invalid="ignore"):              # 0 * inf in the second row
        out, _ = F.dense_forward(X, k, B)
    assert out[0, 1] == np.inf
    out, _ = F.dense_forward(X, K, np.array([np.nan, 0.0]))
    assert np.isnan(out[:, 0]).all()


def test_dense_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"^x must have 2 dimensions, got shape \(3,\)"):
        F.dense_forward(X[0], K, B)
    with pytest.raises(ValueError, match=r"^kernel must have 2 dimensions, got shape \(3,\)"):
        F.dense_forward(X, K[:, 0], B)
    with pytest.raises(ValueError, match=r"^bias must have 1 dimensions, got shape \(1, 2\)"):
        F.dense_forward(X, K, B[None])
    with pytest.raises(ValueError, match=r"^x has last dimension 2 \(shape \(2, 2\)\), "
                                         r"but a kernel of shape \(3, 2\) expects 3"):
        F.dense_forward(X[:, :2], K, B)
    with pytest.raises(ValueError, match=r"^bias must have shape \(2,\) to match the kernel \(3, 2\), got \(3,\)"):
        F.dense_forward(X, K, np.zeros(3))
    _, cache = F.dense_forward(X, K, B)
    with pytest.raises(ValueError, match=r"^dout must have shape \(2, 2\), got \(2, 3\)"):
        F.dense_backward(np.zeros((2, 3)), cache)
    _, cache = F.dense_forward(np.ones((4, 3)), K, B)
    with pytest.raises(ValueError, match=r"^dout must have shape \(4, 2\), got \(3, 2\)"):
        F.dense_backward(np.zeros((3, 2)), cache)


def test_activation_pair_by_hand():
    x = np.array([[-2.0, 0.5], [3.0, -0.1]])
    out, cache = F.activation_forward(x, "relu")
    np.testing.assert_array_equal(out, [[0.0, 0.5], [3.0, 0.0]])
    np.testing.assert_array_equal(F.activation_backward(np.ones((2, 2)), cache), [[0.0, 1.0], [1.0, 0.0]])
    out, _ = F.activation_forward([[0, 1]], "sigmoid")          # integers become float64
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[0.5, 1 / (1 + np.exp(-1))]], rtol=1e-15)
    out, _ = F.activation_forward(np.array([np.nan, 1.0]), "tanh")
    assert np.isnan(out[0]) and out[1] == pytest.approx(np.tanh(1.0))


def test_activation_errors():
    with pytest.raises(TypeError, match=r"^x must be a numeric array, got dtype <U1"):
        F.activation_forward(np.array(["a"]), "relu")
    _, cache = F.activation_forward(np.zeros((2, 3)), "tanh")
    with pytest.raises(ValueError, match=r"^dout must have the activation's output shape \(2, 3\), got \(3, 2\)"):
        F.activation_backward(np.zeros((3, 2)), cache)
