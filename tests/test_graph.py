"""The scalar autograd of chapter 5, against centred differences."""
import math

import matplotlib
import pytest

from dlref.graph import Value, draw

matplotlib.use("Agg")


def numeric(f, xs, h=1e-6):
    grads = []
    for i in range(len(xs)):
        up = list(xs); up[i] += h
        dn = list(xs); dn[i] -= h
        grads.append((f(*up) - f(*dn)) / (2 * h))
    return grads


EXPRESSIONS = [
    lambda a, b: a * b + b ** 3 - a / b,
    lambda a, b: (a * b).tanh() + (a - b).sigmoid(),
    lambda a, b: (a * a + 1).log() * (b.exp() if isinstance(b, Value) else math.exp(b)),
    lambda a, b: (a + b).relu() * 2 - 3 / (1 + b * b),
]


def as_float(f):
    """The same expression on plain floats, through Value's data."""
    return lambda *xs: f(*[Value(x) for x in xs]).data


@pytest.mark.parametrize("f", EXPRESSIONS)
def test_gradients_match_centred_differences(f):
    xs = [0.7, -1.3]
    vals = [Value(x) for x in xs]
    out = f(*vals)
    out.backward()
    for v, g in zip(vals, numeric(as_float(f), xs)):
        assert v.grad == pytest.approx(g, rel=1e-7, abs=1e-9)


def test_shared_node_accumulates_gradient():
    a = Value(3.0)
    b = a * a + a          # db/da = 2a + 1 = 7
    b.backward()
    assert a.grad == 7.0


def test_deep_graph_needs_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(20000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_backward_twice_gives_the_same_gradients():
    a = Value(2.0)
    c = a * a
    c.backward()
    c.backward()
    assert a.grad == 4.0


def test_errors_and_drawing():
    with pytest.raises(TypeError, match="real number"):
        Value("x")
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b).tanh()
    c.label = "c"
    c.backward()
    ax = draw(c)
    texts = [t.get_text() for t in ax.texts if t.get_text()]   # arrows are empty annotations
    assert any("a" in t and "grad" in t for t in texts) and any("tanh" in t for t in texts)
    assert len(texts) == 4
