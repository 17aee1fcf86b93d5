"""The gradient checker's own edge cases: zero and empty arrays, its step h, and its messages."""
import numpy as np
import pytest

from dlref.gradcheck import check_layer, numerical_gradient, numerical_vjp, rel_error
from dlref.layers import Dense


def test_rel_error_edge_cases():
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([0.1], [0.2]) == pytest.approx(0.1 / 0.3, rel=1e-12)
    assert rel_error([3.0, 4.0], [0.0, 0.0]) == 1.0


def test_the_step_h_is_used():
    """For x^3 the centred difference is exactly 3 x^2 + h^2."""
    x = np.array([1.0, 2.0])
    got = numerical_vjp(lambda v: v ** 3, x, np.ones(2), h=0.5)
    np.testing.assert_allclose(got, 3 * np.array([1.0, 4.0]) + 0.25, rtol=1e-12)
    got = numerical_gradient(lambda: float(np.sum(x ** 3)), x, h=0.5)
    np.testing.assert_allclose(got, 3 * np.array([1.0, 4.0]) + 0.25, rtol=1e-12)


def test_check_layer_uses_its_step_and_accepts_lists():
    layer = Dense(2, activation="tanh", dtype="float64")
    x = [[1, 2, 0], [0, -1, 3]]                       # a nested list of ints is fine
    assert max(check_layer(layer, x).values()) < 1e-7
    coarse = check_layer(layer, x, h=0.5)             # truncation error O(h^2) shows
    assert coarse["x"] > 1e-4 and coarse["kernel"] > 1e-4


def test_messages():
    with pytest.raises(TypeError, match=r"^numerical_gradient needs a float64 NumPy array to perturb, got float32$"):
        numerical_gradient(lambda: 0.0, np.zeros(2, np.float32))
    with pytest.raises(TypeError, match=r"^numerical_gradient needs a float64 NumPy array to perturb, got list$"):
        numerical_gradient(lambda: 0.0, [0.0])
    with pytest.raises(TypeError, match=r"^check_layer needs a layer made with dtype='float64'$"):
        check_layer(Dense(2), np.zeros((1, 2)))


def test_numerical_derivative_checks_its_arguments():
    from dlref.gradcheck import numerical_derivative
    assert numerical_derivative(lambda t: t ** 3, 1.0, h=0.5) == pytest.approx(3.25, rel=1e-12)
    with pytest.raises(TypeError, match=r"^f must be a function of one number, got int$"):
        numerical_derivative(3, 1.0)
    with pytest.raises(ValueError, match=r"^x must be one finite real number, got 'a'$"):
        numerical_derivative(abs, "a")
    with pytest.raises(ValueError, match=r"^h must be one finite real number, got nan$"):
        numerical_derivative(abs, 1.0, h=float("nan"))
