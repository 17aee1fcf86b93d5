"""Chapter 5: numerical derivatives, one neuron's gradients by the chain rule, and graph drawing."""
import math
import warnings

import matplotlib
import numpy as np
import pytest

from dlref.gradcheck import numerical_derivative, numerical_gradient, rel_error
from dlref.graph import Value, _layout, draw, neuron_grads

matplotlib.use("Agg")
TOL = 1e-7

FUNCTIONS = [  # f, f', a point
    (math.sin, math.cos, 0.7),
    (math.exp, math.exp, -1.3),
    (lambda t: t ** 3 - 2 * t, lambda t: 3 * t ** 2 - 2, 1.1),
    (lambda t: math.log(1 + math.exp(t)), lambda t: 1 / (1 + math.exp(-t)), 0.4),
]


@pytest.mark.parametrize("f, df, x", FUNCTIONS)
def test_centred_difference_matches_the_derivative(f, df, x):
    assert rel_error(numerical_derivative(f, x), df(x)) < TOL


def test_forward_difference_is_first_order_and_centred_second_order():
    x = 0.5
    for h in (1e-2, 1e-3):
        forward = numerical_derivative(math.exp, x, h, method="forward") - math.exp(x)
        centred = numerical_derivative(math.exp, x, h) - math.exp(x)
        assert forward == pytest.approx(h / 2 * math.exp(x), rel=0.02)       # h f''/2
        assert centred == pytest.approx(h ** 2 / 6 * math.exp(x), rel=0.02)  # h^2 f'''/6


def test_centred_difference_formula_and_its_step():
    # (x+h)^3 - (x-h)^3 = 6 x^2 h + 2 h^3, so the centred difference of x^3 is 3 x^2 + h^2
    assert numerical_derivative(lambda t: t ** 3, 2.0, h=0.1) == pytest.approx(12.01, abs=1e-12)
    assert numerical_derivative(lambda t: t ** 3, 2.0, h=0.1, method="forward") == pytest.approx(12.61, abs=1e-12)
    assert numerical_derivative(lambda t: t * t, 3, h=0.5) == pytest.approx(6.0, abs=1e-12)  # exact for quadratics
    assert isinstance(numerical_derivative(np.sin, np.float64(0.2)), float)


def test_a_wrong_derivative_is_caught():
    """The negative check: the numerical derivative exposes a wrong analytic one."""
    wrong = lambda t: math.cos(t) + 1e-3           # noqa: E731
    assert rel_error(numerical_derivative(math.sin, 0.7), wrong(0.7)) > 1e-4


@pytest.mark.parametrize("kwargs, match", [
    (dict(h=0.0), "positive"), (dict(h=-1e-5), "positive"), (dict(h=float("nan")), "finite"),
    (dict(method="backward"), "unknown method"),
])
def test_numerical_derivative_rejects_bad_steps(kwargs, match):
    with pytest.raises(ValueError, match=match):
        numerical_derivative(math.sin, 0.5, **kwargs)


def test_numerical_derivative_rejects_bad_points_and_functions():
    for bad in (np.array([1.0, 2.0]), float("inf"), "1", True):
        with pytest.raises(ValueError, match="one finite real number"):
            numerical_derivative(math.sin, bad)
    with pytest.raises(TypeError, match="function"):
        numerical_derivative(3.0, 0.5)


def neuron_loss(x, w, b, y):
    z = float(np.dot(w, x)) + b
    return (1 / (1 + math.exp(-z)) - y) ** 2


def test_neuron_grads_match_autograd_and_centred_differences(rng):
    for n in (1, 2, 5):
        x, w, b, y = rng.standard_normal(n), rng.standard_normal(n), float(rng.standard_normal()), 0.3
        dw, db = neuron_grads(x, w, b, y)
        assert dw.shape == (n,) and dw.dtype == np.float64 and isinstance(db, float)
        wb = np.append(w, b)
        num = numerical_gradient(lambda: neuron_loss(x, wb[:n], wb[n], y), wb)
        assert rel_error(np.append(dw, db), num) < TOL
        # the same gradients from the scalar autograd
        ws, bs = [Value(v) for v in w], Value(b)
        z = bs
        for wi, xi in zip(ws, x):
            z = z + wi * float(xi)
        loss = (z.sigmoid() - y) ** 2
        loss.backward()
        assert rel_error(np.array([v.grad for v in ws] + [bs.grad]), np.append(dw, db)) < 1e-12


def test_neuron_grads_negative_check(rng):
    """A chain rule that drops the sigmoid's local derivative is caught."""
    x, w, b, y = rng.standard_normal(3), rng.standard_normal(3), 0.2, 1.0
    z = x @ w + b
    s = 1 / (1 + np.exp(-z))
    wrong = 2 * (s - y) * x                       # forgot ds/dz = s (1 - s)
    assert rel_error(neuron_grads(x, w, b, y)[0], wrong) > 0.1


def test_neuron_grads_worked_example_and_edges():
    dw, db = neuron_grads([1.5], [0.8], 0.1, 1.0)
    s = 1 / (1 + math.exp(-1.3))
    assert db == pytest.approx(2 * (s - 1) * s * (1 - s), rel=1e-14)
    assert dw[0] == pytest.approx(1.5 * db, rel=1e-14)
    dw, db = neuron_grads(np.zeros(3), np.ones(3), 0.0, 0.5)    # sigmoid(0) = 0.5 = y
    assert np.all(dw == 0) and db == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for z in (-1000.0, 1000.0):                              # saturated: no overflow, gradient 0
            dw, db = neuron_grads([1.0], [z], 0.0, 0.5)
            assert abs(db) < 1e-300 and np.all(np.isfinite(dw))


def test_neuron_grads_rejects_bad_shapes():
    with pytest.raises(ValueError, match="same shape"):
        neuron_grads(np.ones(3), np.ones(2), 0.0, 1.0)
    with pytest.raises(ValueError, match="1 dimensions"):
        neuron_grads(np.ones((2, 3)), np.ones(3), 0.0, 1.0)
    with pytest.raises(ValueError, match="0 dimensions"):
        neuron_grads(np.ones(3), np.ones(3), np.zeros(2), 1.0)


def test_subtraction_is_one_node_with_the_right_gradients():
    a, b = Value(2.0), Value(5.0)
    c = a - b
    assert c._op == "-" and c._prev == (a, b) and c.data == -3.0
    (c * c).backward()                             # d(c^2)/da = 2c, d(c^2)/db = -2c
    assert (a.grad, b.grad) == (-6.0, 6.0)
    d = 1.0 - a                                    # a constant on the left
    d.backward()
    assert d.data == -1.0 and a.grad == -1.0


def test_sum_over_paths_on_a_diamond():
    x, y = Value(2.0), Value(3.0)
    a, b = x * y, x + y
    c = a * b
    c.backward()
    # dc/dx = dc/da da/dx + dc/db db/dx = b y + a
    assert (x.grad, y.grad) == (5.0 * 3.0 + 6.0, 5.0 * 2.0 + 6.0)


def test_layout_puts_inputs_beside_their_user_and_boxes_apart():
    x, w, b, y = Value(1.5), Value(0.8), Value(0.1), Value(1.0)
    loss = ((w * x + b).sigmoid() - y) ** 2
    order, pos = _layout(loss)
    assert len(pos) == len(order) == 9
    assert pos[id(y)][0] == pos[id(loss._prev[0]._prev[0])][0]     # y sits in the column of sigmoid
    assert pos[id(x)][0] == pos[id(w)][0] == 0.0
    for node in order:
        for child in node._prev:
            assert pos[id(child)][0] < pos[id(node)][0]           # arrows run left to right
    cells = {}
    for node in order:
        cells.setdefault(pos[id(node)][0], []).append(pos[id(node)][1])
    for rows in cells.values():
        rows.sort()
        assert all(b - a >= 1.25 - 1e-12 for a, b in zip(rows, rows[1:]))


def test_draw_shows_every_value_once():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    c = x * y + x
    c.label = "c"
    c.backward()
    ax = draw(c)
    texts = [t.get_text() for t in ax.texts if t.get_text()]
    assert len(texts) == 4
    assert any(t.startswith("x\n") and "grad 4" in t for t in texts)
    assert any(t.startswith("c (+)") and "data 8" in t for t in texts)
    with pytest.raises(TypeError, match="Value"):
        draw(3.0)
