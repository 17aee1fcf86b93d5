"""Activations: the kink of ReLU, softmax per row whatever the other rows hold, softmax's
backward pass on sequences, and the name lookup."""
import numpy as np
import pytest

from dlref import activations as A


def centred_vjp(f, x, dout, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = np.sum(f(x) * dout)
        x[i] = old - h
        dn = np.sum(f(x) * dout)
        x[i] = old
        g[i] = (up - dn) / (2 * h)
    return g


def test_relu_gradient_is_zero_at_zero():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(A.relu_backward(np.ones(3), x, A.relu(x)), [0.0, 0.0, 1.0])


def test_softmax_rows_of_very_different_scale():
    out = A.softmax(np.array([[1000.0, 999.0], [0.0, -1.0]]))
    e = 1 / (1 + np.exp(-1.0))                       # softmax([a, a - 1])[0], by hand
    np.testing.assert_allclose(out, [[e, 1 - e], [e, 1 - e]], rtol=1e-14)


def test_softmax_backward_over_the_last_axis_of_a_sequence():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4))
    dout = rng.standard_normal((2, 3, 4))
    s = A.softmax(x)
    dx = A.softmax_backward(dout, x, s)
    num = centred_vjp(A.softmax, x, dout)
    assert np.max(np.abs(dx - num)) < 1e-8


def test_get_none_is_linear_and_callables_are_refused():
    forward, backward = A.get(None)
    x = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(forward(x), x)
    np.testing.assert_array_equal(backward(np.array([1.0, -1.0]), x, x), [1.0, -1.0])
    with pytest.raises(TypeError, match=r"^dlref needs an activation name such as 'relu', so that it can "
                                        r"find the matching backward pass; got the callable"):
        A.get(np.tanh)


def test_softmax_jacobian_accepts_exact_zeros_and_float32_rounding():
    np.testing.assert_array_equal(A.softmax_jacobian(np.array([0.0, 1.0])), np.zeros((2, 2)))
    s = np.array([0.25, 0.75 + 3e-7], np.float32)      # sums to 1 within float32's rounding only
    assert abs(float(s.sum()) - 1) > 1e-7
    jac = A.softmax_jacobian(s)
    assert jac.dtype == np.float32
    np.testing.assert_allclose(jac, np.diag(s) - np.outer(s, s), rtol=1e-6)


def test_softmax_jacobian_messages():
    with pytest.raises(ValueError, match=r"^s must have shape \(\.\.\., k\), one softmax output vector along "
                                         r"the last axis; got a scalar$"):
        A.softmax_jacobian(0.5)
    with pytest.raises(TypeError, match=r"^s must be a numeric array"):
        A.softmax_jacobian(np.array(["a"]))
    want = r"^s must hold softmax outputs: non-negative numbers that sum to 1 along the last axis; "
    with pytest.raises(ValueError, match=want + r"got sums like 3 and a minimum of 1 \(pass softmax\(z\), "
                                                r"not the logits z\)$"):
        A.softmax_jacobian(np.array([1.0, 2.0]))              # logits, not probabilities
    # the row that is furthest from summing to 1 is named
    with pytest.raises(ValueError, match=r"got sums like 0\.3 and a minimum of 0\.1 "):
        A.softmax_jacobian(np.array([[0.6, 1.0], [0.1, 0.2]]))
    with pytest.raises(ValueError, match=r"got sums like 2\.5 and a minimum of 0\.4 "):
        A.softmax_jacobian(np.array([[1.0, 1.5], [0.4, 0.5]]))
    with pytest.raises(ValueError, match=r"got sums like 0 and a minimum of 0 "):
        A.softmax_jacobian(np.zeros((2, 0)))
