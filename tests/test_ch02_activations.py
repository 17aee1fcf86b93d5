"""Chapter 2's activations: the explicit softmax Jacobian and the identities the chapter teaches."""
import warnings

import numpy as np
import pytest

from dlref import activations
from dlref import functional as F
from dlref.gradcheck import numerical_gradient, rel_error

TOL = 1e-7


def numerical_jacobian(f, z, h=1e-5):
    """``J[i, j] = d f(z)_i / d z_j`` by centred differences, one output at a time (float64)."""
    k_out = f(z).size
    return np.stack([numerical_gradient(lambda: f(z)[i], z, h) for i in range(k_out)])


# -- softmax_jacobian ---------------------------------------------------------------------------
def test_jacobian_matches_the_formula_entry_by_entry():
    s = activations.softmax(np.array([1.0, -0.5, 2.0, 0.0]))
    jac = activations.softmax_jacobian(s)
    for i in range(4):
        for j in range(4):
            assert jac[i, j] == pytest.approx(s[i] * ((i == j) - s[j]), rel=1e-15, abs=1e-17)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_jacobian_against_centred_differences(k, rng):
    z = rng.standard_normal(k) * 2
    num = numerical_jacobian(activations.softmax, z)
    assert rel_error(activations.softmax_jacobian(activations.softmax(z)), num) < TOL


def test_checker_catches_a_wrong_jacobian(rng):
    """Forgetting the -s s^T term (keeping only diag(s)) must fail the check by far."""
    z = rng.standard_normal(5)
    s = activations.softmax(z)
    assert rel_error(np.diag(s), numerical_jacobian(activations.softmax, z)) > 1e-2


@pytest.mark.parametrize("shape", [(6,), (4, 6), (2, 3, 6), (0, 6)])
def test_backward_is_the_jacobian_times_dout(shape, rng):
    z, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    s = activations.softmax(z)
    jac = activations.softmax_jacobian(s)
    assert jac.shape == shape + (shape[-1],)
    np.testing.assert_allclose(activations.softmax_backward(dout, z, s),
                               np.einsum("...ij,...j->...i", jac, dout), rtol=1e-12, atol=1e-15)


def test_jacobian_is_symmetric_with_zero_row_sums(rng):
    jac = activations.softmax_jacobian(activations.softmax(rng.standard_normal((3, 7))))
    np.testing.assert_allclose(jac, np.swapaxes(jac, -1, -2), rtol=0, atol=0)
    np.testing.assert_allclose(jac.sum(axis=-1), 0.0, atol=1e-16)


def test_jacobian_keeps_float32_and_handles_k_equal_one():
    s32 = activations.softmax(np.array([[0.3, -1.0, 2.0]], dtype=np.float32))
    assert activations.softmax_jacobian(s32).dtype == np.float32
    assert activations.softmax_jacobian(np.ones((2, 1))).tolist() == [[[0.0]], [[0.0]]]


def test_jacobian_explains_bad_inputs():
    with pytest.raises(ValueError, match="scalar"):
        activations.softmax_jacobian(0.5)
    with pytest.raises(ValueError, match="not the logits"):
        activations.softmax_jacobian(np.array([2.0, -1.0, 0.5]))        # logits, not s
    with pytest.raises(ValueError, match="non-negative"):
        activations.softmax_jacobian(np.array([1.5, -0.5]))
    with pytest.raises(ValueError, match="NaN"):
        activations.softmax_jacobian(np.array([np.nan, 1.0]))
    with pytest.raises(TypeError, match="numeric"):
        activations.softmax_jacobian(np.array(["a", "b"]))


# -- the identities of chapter 2 ----------------------------------------------------------------
def test_derivative_formulas_against_centred_differences(rng):
    x = rng.uniform(-4, 4, 50)
    x[np.abs(x) < 1e-3] = 0.5
    sig = activations.sigmoid
    for f, derivative in [(sig, lambda x: sig(x) * (1 - sig(x))),
                          (activations.tanh, lambda x: 1 - np.tanh(x) ** 2),
                          (activations.relu, lambda x: (x > 0) * 1.0)]:
        num = numerical_gradient(lambda: float(np.sum(f(x))), x)   # elementwise: the diagonal
        assert rel_error(derivative(x), num) < TOL


def test_relu_derivative_is_zero_at_zero():
    x = np.array([-1.0, 0.0, 1.0])
    assert activations.relu_backward(np.ones(3), x, activations.relu(x)).tolist() == [0, 0, 1]


def test_tanh_is_a_rescaled_sigmoid_and_sigmoid_derivative_is_at_most_a_quarter():
    x = np.linspace(-20, 20, 4001)
    np.testing.assert_allclose(np.tanh(x), 2 * activations.sigmoid(2 * x) - 1, rtol=0, atol=1e-15)
    s = activations.sigmoid(x)
    d = activations.sigmoid_backward(np.ones_like(x), x, s)
    assert d.max() == 0.25 and d[2000] == 0.25          # at x = 0 exactly


def test_sigmoid_is_two_class_softmax(rng):
    z = rng.standard_normal(20) * 5
    pairs = np.stack([z, np.zeros_like(z)], axis=-1)
    np.testing.assert_allclose(activations.softmax(pairs)[:, 0], activations.sigmoid(z), rtol=1e-14)


def test_softmax_shift_invariance_and_large_logits():
    z = np.array([[1.0, 2.0, 3.0], [-1000.0, -999.0, -998.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = activations.softmax(z)
        s_big = activations.softmax(z + 1000.0)
    np.testing.assert_allclose(s[0], s[1], rtol=1e-14)
    np.testing.assert_allclose(s_big, s, rtol=1e-12)


def test_two_linear_layers_collapse_to_one(rng):
    x = rng.standard_normal((5, 3))
    w1, b1, w2, b2 = (rng.standard_normal((3, 4)), rng.standard_normal(4),
                      rng.standard_normal((4, 2)), rng.standard_normal(2))
    two = F.dense_forward(F.dense_forward(x, w1, b1)[0], w2, b2)[0]
    one = F.dense_forward(x, w1 @ w2, b1 @ w2 + b2)[0]
    np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-12)
