"""Chapter 1's neuron and perceptron."""
import numpy as np
import pytest

from dlref import neuron

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def test_neuron_forward_one_input_and_batch():
    x, w, b = np.array([0.5, -1.0, 2.0]), np.array([0.8, 0.2, -0.5]), 0.1
    assert neuron.weighted_sum(x, w, b) == pytest.approx(-0.7)
    assert neuron.neuron_forward(x, w, b) == pytest.approx(1 / (1 + np.exp(0.7)))
    assert neuron.neuron_forward(x, w, b, activation="step") == 0
    assert neuron.neuron_forward(x, w, b, activation="relu") == 0.0
    batch = neuron.neuron_forward(np.stack([x, np.zeros(3)]), w, b, activation="tanh")
    assert batch.shape == (2,) and batch[1] == pytest.approx(np.tanh(0.1))


@pytest.mark.parametrize("gate,w,b,truth", [
    ("AND", [1, 1], -1.5, [0, 0, 0, 1]), ("OR", [1, 1], -0.5, [0, 1, 1, 1]),
    ("NAND", [-1, -1], 1.5, [1, 1, 1, 0])])
def test_hand_set_gates(gate, w, b, truth):
    assert neuron.perceptron_predict(INPUTS, np.array(w, float), b).tolist() == truth


def test_step_is_zero_at_zero():
    assert neuron.step(0.0) == 0 and neuron.step(1e-12) == 1 and neuron.step(-3) == 0


def test_update_rule_and_purity():
    w = np.array([0.0, 0.0])
    w1, b1 = neuron.perceptron_update(w, 0.0, np.array([1.0, 1.0]), 1, learning_rate=0.5)
    np.testing.assert_array_equal(w1, [0.5, 0.5])
    assert b1 == 0.5 and w.tolist() == [0.0, 0.0]
    w2, b2 = neuron.perceptron_update(w1, b1, np.array([1.0, 0.0]), 0, learning_rate=0.5)
    np.testing.assert_array_equal(w2, [0.0, 0.5])
    assert b2 == 0.0


@pytest.mark.parametrize("truth", [[0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 0]])
def test_fit_learns_separable_gates(truth):
    w, b, errors = neuron.perceptron_fit(INPUTS, truth, epochs=20)
    assert neuron.perceptron_predict(INPUTS, w, b).tolist() == truth
    assert errors[-1] == 0


def test_fit_cannot_learn_xor():
    w, b, errors = neuron.perceptron_fit(INPUTS, [0, 1, 1, 0], epochs=50)
    assert min(errors) >= 1
    assert neuron.perceptron_predict(INPUTS, w, b).tolist() != [0, 1, 1, 0]


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="x has last dimension 3.*expects 2"):
        neuron.neuron_forward(np.ones(3), np.ones(2), 0.0)
    with pytest.raises(TypeError, match="numeric"):
        neuron.neuron_forward(np.array(["a", "b"]), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="NaN"):
        neuron.neuron_forward(np.array([np.nan, 1.0]), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="unknown activation 'sigmod'.*'sigmoid'"):
        neuron.neuron_forward(np.ones(2), np.ones(2), 0.0, activation="sigmod")
    with pytest.raises(ValueError, match="class 0 or 1"):
        neuron.perceptron_update(np.ones(2), 0.0, np.ones(2), 2)
    with pytest.raises(ValueError, match="one example"):
        neuron.perceptron_update(np.ones(2), 0.0, np.ones((3, 2)), 1)
