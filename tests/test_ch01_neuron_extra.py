"""Chapter 1's geometry of the perceptron: distances, margins and the Block-Novikoff bound."""
import numpy as np
import pytest

from dlref import neuron

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND = [0, 0, 0, 1]


def test_boundary_distance_is_signed_and_scale_free():
    w, b = np.array([3.0, 4.0]), -5.0
    # the origin lies at |b| / ||w|| = 1 on the side where the neuron is silent
    assert neuron.boundary_distance(np.zeros(2), w, b) == pytest.approx(-1.0)
    d = neuron.boundary_distance(np.array([[3.0, 4.0], [0.6, 0.8], [0.0, 0.0]]), w, b)
    np.testing.assert_allclose(d, [4.0, 0.0, -1.0], atol=1e-12)
    # (c w, c b) for c > 0 is the same boundary, so the same distances
    np.testing.assert_allclose(neuron.boundary_distance(INPUTS, 2.5 * w, 2.5 * b),
                               neuron.boundary_distance(INPUTS, w, b))
    assert neuron.boundary_distance(np.ones(3), np.ones(3), 0.0).shape == ()


def test_boundary_distance_agrees_with_the_nearest_point_of_the_line():
    rng = np.random.default_rng(0)
    for _ in range(20):
        w, b, x = rng.normal(size=3), float(rng.normal()), rng.normal(size=3)
        d = neuron.boundary_distance(x, w, b)
        foot = x - d * w / np.linalg.norm(w)          # the projection of x onto the plane
        assert w @ foot + b == pytest.approx(0.0, abs=1e-12)
        assert np.linalg.norm(x - foot) == pytest.approx(abs(d))


def test_margin_of_hand_set_and_learned_gates():
    # hand-set AND: s (w.x + b) = 1.5, 0.5, 0.5, 0.5 over ||(1, 1, -1.5)|| = sqrt(4.25)
    assert neuron.perceptron_margin(INPUTS, AND, [1.0, 1.0], -1.5) == pytest.approx(0.5 / np.sqrt(4.25))
    # the perceptron rule's AND, w = (2, 1), b = -2, passes through (1, 0): margin exactly 0, not -0
    w, b, _ = neuron.perceptron_fit(INPUTS, AND, epochs=10)
    gamma = neuron.perceptron_margin(INPUTS, AND, w, b)
    assert gamma == 0.0 and np.copysign(1.0, gamma) == 1.0
    # a misclassifying line has a negative margin
    assert neuron.perceptron_margin(INPUTS, AND, [1.0, 1.0], -0.5) < 0


def test_mistake_bound_holds_for_the_perceptron_rule():
    bound = neuron.mistake_bound(INPUTS, AND, [1.0, 1.0], -1.5)
    assert bound == pytest.approx(51.0)              # R^2 = 3, gamma^2 = 0.25 / 4.25
    rng = np.random.default_rng(1)
    for _ in range(10):                              # random separable data, random orders
        x = rng.normal(size=(30, 2))
        w_star, b_star = rng.normal(size=2), float(rng.normal(scale=0.3))
        y = (x @ w_star + b_star > 0).astype(int)
        if neuron.perceptron_margin(x, y, w_star, b_star) < 1e-3 or y.min() == y.max():
            continue
        w, b, mistakes = np.zeros(2), 0.0, 0
        for _epoch in range(200):
            for i in rng.permutation(len(x)):
                if neuron.perceptron_predict(x[i], w, b) != y[i]:
                    mistakes += 1
                w, b = neuron.perceptron_update(w, b, x[i], int(y[i]), learning_rate=0.3)
        assert np.array_equal(neuron.perceptron_predict(x, w, b), y)
        assert mistakes <= neuron.mistake_bound(x, y, w_star, b_star)


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="zero vector"):
        neuron.boundary_distance(np.ones(2), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="margin"):
        neuron.mistake_bound(INPUTS, AND, [2.0, 1.0], -2.0)     # a point on the line
    with pytest.raises(ValueError, match="classes 0 and 1"):
        neuron.perceptron_margin(INPUTS, [0, 0, 0, 2], [1.0, 1.0], -1.5)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        neuron.perceptron_margin(INPUTS, [0, 1], [1.0, 1.0], -1.5)
    with pytest.raises(ValueError, match="non-zero"):
        neuron.perceptron_margin(INPUTS, AND, [0.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="no examples"):
        neuron.mistake_bound(np.zeros((0, 2)), [], [1.0, 1.0], -1.5)
