"""Chapter 1's neuron and perceptron: defaults, a hand-traced training run, and the messages."""
import numpy as np
import pytest

from dlref import neuron

AND_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND_Y = [0, 0, 0, 1]


def test_update_uses_learning_rate_one_by_default():
    w, b = neuron.perceptron_update(np.array([0.5, 0.0]), 0.0, np.array([-1.0, 2.0]), 1)
    # prediction step(-0.5) = 0, error +1: w + x, b + 1
    np.testing.assert_array_equal(w, [-0.5, 2.0])
    assert b == 1.0


def test_fit_by_hand_on_and():
    """Traced by hand from w = 0, b = 0, learning rate 1, examples in order.

    epoch 1: all predicted 0, one error (1,1) -> w = [1, 1], b = 1
    epoch 2: errors before its updates: 3; updates (0,0): b = 0; (0,1): w = [1, 0], b = -1;
             (1,0): right; (1,1): w = [2, 1], b = 0
    """
    w, b, errors = neuron.perceptron_fit(AND_X, AND_Y, epochs=2)
    np.testing.assert_array_equal(w, [2.0, 1.0])
    assert b == 0.0 and errors == [1, 3]
    # every update scales with the learning rate, and from zero the predictions do not change
    w, b, errors = neuron.perceptron_fit(AND_X, AND_Y, epochs=2, learning_rate=0.5)
    np.testing.assert_array_equal(w, [1.0, 0.5])
    assert b == 0.0 and errors == [1, 3]


def test_fit_defaults_and_a_starting_point():
    _, _, errors = neuron.perceptron_fit(AND_X, AND_Y)
    assert len(errors) == 10
    w0 = np.array([3.0, -1.0])
    w, b, errors = neuron.perceptron_fit(AND_X, AND_Y, epochs=0, w=w0, b=0.5)
    np.testing.assert_array_equal(w, [3.0, -1.0])
    assert b == 0.5 and errors == []
    # one epoch from (w0, 0.5): predictions 1, 0, 1, 1 -> two errors; (0,0): b = -0.5;
    # (0,1): right; (1,0): z = 2.5 -> w = [2, -1], b = -1.5; (1,1): z = -0.5 -> w = [3, 0], b = -0.5
    w, b, errors = neuron.perceptron_fit(AND_X, AND_Y, epochs=1, w=w0, b=0.5)
    np.testing.assert_array_equal(w, [3.0, 0.0])
    assert b == -0.5 and errors == [2]
    assert w0.tolist() == [3.0, -1.0]                      # the caller's array is untouched


def test_argument_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"^x must have 1 or 2 dimensions, got shape \(1, 1, 2\)"):
        neuron.weighted_sum(np.ones((1, 1, 2)), np.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"^w must have 1 dimensions, got shape \(1, 2\)"):
        neuron.weighted_sum(np.ones(2), np.ones((1, 2)), 0.0)
    with pytest.raises(ValueError, match=r"^b must have 0 dimensions, got shape \(1,\)"):
        neuron.weighted_sum(np.ones(2), np.ones(2), np.zeros(1))
    with pytest.raises(ValueError, match=r"^x has last dimension 3 \(shape \(3,\)\), "
                                         r"but a weight vector of 2 entries expects 2"):
        neuron.weighted_sum(np.ones(3), np.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"^softmax needs a vector of scores, not one neuron's output; "
                                         r"use 'sigmoid', 'tanh', 'relu', 'linear' or 'step'$"):
        neuron.neuron_forward(np.ones(2), np.ones(2), 0.0, activation="softmax")


def test_fit_errors():
    with pytest.raises(ValueError, match=r"^x must have 2 dimensions, got shape \(4,\)"):
        neuron.perceptron_fit(np.ones(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"^y must have shape \(4,\) to match x \(4, 2\), got \(3,\)"):
        neuron.perceptron_fit(AND_X, [0, 0, 1])
    with pytest.raises(ValueError, match=r"^w must have 1 dimensions, got shape \(1, 2\)"):
        neuron.perceptron_fit(AND_X, AND_Y, w=np.zeros((1, 2)))


# -- margin and the convergence bound -------------------------------------------------------------
MX = np.array([[-1.0, 0.0], [1.0, 0.5], [0.0, 3.0]])
MY = np.array([0, 1, 1])


def test_margin_and_mistake_bound_by_hand():
    # z = w.x + b = [-2, 0.5, 2]; signed by 2y - 1: [2, 0.5, 2]; ||(w, b)|| = sqrt(3)
    gamma = neuron.perceptron_margin(MX, MY, np.array([1.0, 1.0]), -1.0)
    assert gamma == pytest.approx(0.5 / np.sqrt(3), rel=1e-15)
    # R^2 = max ||(x, 1)||^2 = 9 + 1; (R / gamma)^2 = 10 * 3 / 0.25
    assert neuron.mistake_bound(MX, MY, np.array([1.0, 1.0]), -1.0) == pytest.approx(120.0, rel=1e-12)
    np.testing.assert_allclose(neuron.boundary_distance(MX, np.array([3.0, 4.0]), 5.0),
                               [2 / 5, 10 / 5, 17 / 5], rtol=1e-15)


def test_margin_messages():
    with pytest.raises(ValueError, match=r"^w is the zero vector, so w\.x \+ b = 0 defines no boundary; "
                                         r"expected at least one non-zero weight$"):
        neuron.boundary_distance(MX, np.zeros(2), 1.0)
    with pytest.raises(ValueError, match=r"^w = 0 and b = 0 is no classifier; expected a non-zero \(w, b\)$"):
        neuron.perceptron_margin(MX, MY, np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=r"^x must have 2 dimensions, got shape \(3,\)"):
        neuron.perceptron_margin(MX[:, 0], MY, np.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"^x holds no examples; expected at least one row$"):
        neuron.perceptron_margin(np.zeros((0, 2)), np.zeros(0), np.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"^y must hold the classes 0 and 1, got values like \[0 2 1 0\]$"):
        neuron.perceptron_margin(np.zeros((5, 2)), np.array([0, 2, 1, 0, 1]), np.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"the bound needs a separator with every example strictly on its "
                                         r"own side \(margin > 0\)$"):
        neuron.mistake_bound(MX, 1 - MY, np.array([1.0, 1.0]), -1.0)
