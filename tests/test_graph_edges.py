"""The scalar autograd beyond the centred-difference checks: forward values against plain
math, reflected operators, gradients that must accumulate, both sigmoid branches, and the
layout of the drawing."""
import math

import matplotlib
import matplotlib.pyplot as plt
import pytest

from dlref.graph import Value, draw

matplotlib.use("Agg")


def test_forward_values_against_math():
    a, b = Value(2.0), Value(-4.0)
    assert (a / b).data == -0.5
    assert (a / 8).data == 0.25
    assert (3 / b).data == -0.75
    assert (1 / a).data == 0.5
    assert (5 + a).data == 7.0
    assert (5 - a).data == 3.0
    assert (3 * b).data == -12.0
    assert (-a).data == -2.0
    assert (a - b).data == 6.0
    assert (a ** 3).data == 8.0
    assert Value(0.5).relu().data == 0.5 and Value(-0.5).relu().data == 0.0
    assert Value(0.5).log().data == math.log(0.5)
    assert Value(1.5).exp().data == math.exp(1.5)
    assert Value(0.3).tanh().data == math.tanh(0.3)


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.5, 3.0])
def test_sigmoid_both_branches(x):
    v = Value(x)
    s = v.sigmoid()
    assert s.data == pytest.approx(1.0 / (1.0 + math.exp(-x)), rel=1e-15)
    (s * 3.0).backward()
    assert v.grad == pytest.approx(3.0 * s.data * (1.0 - s.data), rel=1e-15)


def test_sigmoid_is_stable_far_out():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0


def test_reflected_operators_have_the_right_gradients():
    a = Value(4.0)
    (1 / a).backward()
    assert a.grad == pytest.approx(-1 / 16, rel=1e-15)
    (5 - a).backward()
    assert a.grad == -1.0
    (2 * a).backward()
    assert a.grad == 2.0
    (7 + a).backward()
    assert a.grad == 1.0
    b = Value(2.0)
    (a / b).backward()
    assert a.grad == 0.5 and b.grad == pytest.approx(-4.0 / 4.0, rel=1e-15)
    (a / 2).backward()
    assert a.grad == 0.5
    (-a).backward()
    assert a.grad == -1.0


@pytest.mark.parametrize("op,derivative", [
    (lambda v: v.exp(), math.exp),
    (lambda v: v.log(), lambda x: 1 / x),
    (lambda v: v.tanh(), lambda x: 1 - math.tanh(x) ** 2),
    (lambda v: v.relu(), lambda x: 1.0 if x > 0 else 0.0),
    (lambda v: v.sigmoid(), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
])
@pytest.mark.parametrize("x", [0.5, 1.7])
def test_gradients_accumulate_into_a_reused_input(op, derivative, x):
    """f = 3 op(x) + x: the op's gradient must be added to the 1 that x already has, and
    scaled by the 3 that flows into it."""
    v = Value(x)
    f = op(v) * 3.0 + v
    f.backward()
    assert v.grad == pytest.approx(3.0 * derivative(x) + 1.0, rel=1e-12)


def test_second_operand_of_a_sum_accumulates():
    a, b = Value(1.0), Value(2.0)
    ((a + b) + b).backward()
    assert (a.grad, b.grad) == (1.0, 2.0)


def test_relu_gradient_at_and_around_the_kink():
    for x, want in [(0.0, 0.0), (0.5, 2.0), (1.0, 2.0), (-0.5, 0.0)]:
        v = Value(x)
        (v.relu() * 2.0).backward()
        assert v.grad == want, x


def test_shared_inner_node_is_visited_once():
    a = Value(3.0)
    b = a * 2.0
    d = b + b                   # d = 4a
    d.backward()
    assert a.grad == 4.0 and b.grad == 2.0
    assert len(d.topological_order()) == len({id(n) for n in d.topological_order()}) == 4


def test_construction():
    v = Value(3)
    assert v.data == 3.0 and isinstance(v.data, float) and v.grad == 0.0
    assert v.label == "" and v._op == "" and v._prev == ()
    import numpy as np
    w = Value(np.float32(0.5), label="w")
    assert w.data == 0.5 and type(w.data) is float and w.label == "w"
    with pytest.raises(TypeError, match=r"^Value holds one real number, got str$"):
        Value("x")
    with pytest.raises(TypeError, match=r"^Value \*\* k takes a constant exponent k \(int or float\)$"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="positive"):
        Value(0.0).log()
    assert [(Value(1.0) + 1)._op, (Value(1.0) * 2)._op, (Value(1.0) ** 2)._op, Value(1.0).exp()._op,
            Value(1.0).log()._op, Value(1.0).tanh()._op, Value(1.0).relu()._op,
            Value(1.0).sigmoid()._op] == ["+", "*", "**2", "exp", "log", "tanh", "relu", "sigmoid"]


# -- the drawing (its layout is free; what the docstring promises is checked) ---------------------
def test_draw_shows_every_value_once_inputs_left_of_their_users():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    m = a * b
    c = m + a
    c.label = "c"
    c.backward()                                # dc/da = b + 1 = -2, dc/db = a = 2, dc/dm = 1
    ax = draw(c)
    texts = {t.get_text(): t.get_position() for t in ax.texts}
    assert len(texts) == 4
    want = {a: "data 2\ngrad -2", b: "data -3\ngrad 2", m: "data -6\ngrad 1", c: "data -4\ngrad 1"}
    pos = {}
    for node, tail in want.items():
        (text, xy), = [(t, xy) for t, xy in texts.items() if t.endswith(tail)]
        assert node.label in text.split("\n")[0]
        pos[node] = xy
    assert pos[a][0] < pos[m][0] < pos[c][0] and pos[b][0] < pos[m][0]
    assert max(x for x, _ in pos.values()) == pos[c][0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert all(x0 < x < x1 and y0 < y < y1 for x, y in pos.values())
    assert not ax.axison
    plt.close(ax.figure)


def test_neuron_grads_by_the_chain_rule():
    import numpy as np
    from dlref.graph import neuron_grads
    x, w, b, y = np.array([1.0, -2.0]), np.array([0.5, 0.25]), 0.5, 1.0
    s = 1 / (1 + math.exp(-(0.5 - 0.5 + 0.5)))           # z = w.x + b = 0.5
    dz = 2 * (s - y) * s * (1 - s)
    dw, db = neuron_grads(x, w, b, y)
    np.testing.assert_allclose(dw, dz * x, rtol=1e-14)
    assert db == pytest.approx(dz, rel=1e-14)
    dw, _ = neuron_grads(x.astype(np.float32), w.astype(np.float32), b, y)
    assert dw.dtype == np.float64
    with pytest.raises(ValueError, match=r"^x must have 1 dimensions, got shape \(1, 2\)"):
        neuron_grads(x[None], w, b, y)
    with pytest.raises(ValueError, match=r"^w must have 1 dimensions, got shape \(1, 2\)"):
        neuron_grads(x, w[None], b, y)
    with pytest.raises(ValueError, match=r"^b must have 0 dimensions, got shape \(1,\)"):
        neuron_grads(x, w, [b], y)
    with pytest.raises(ValueError, match=r"^y must have 0 dimensions, got shape \(1,\)"):
        neuron_grads(x, w, b, [y])
