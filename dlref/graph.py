"""Scalar automatic differentiation (chapter 5, "The chain rule and computational graphs").

A :class:`Value` wraps one number and remembers how it was made.  Calling
``backward()`` on the final value walks the graph from the output back to
the inputs and applies the chain rule at every node: each node adds
``local derivative * gradient of its output`` to the gradient of each input.

>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = (a * b).tanh()
>>> c.backward()
>>> print(f"{a.grad:.6f}")   # dc/da = b * (1 - tanh(ab)^2)
-0.000074
"""
import math


class Value:
    """A scalar node of a computational graph.

    Attributes
    ----------
    data : float
        The value computed in the forward pass.
    grad : float
        d(output)/d(this node), filled in by :meth:`backward`.
    """

    def __init__(self, data, _children=(), _op="", label=""):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            try:
                data = float(data)
            except (TypeError, ValueError):
                raise TypeError(f"Value holds one real number, got {type(data).__name__}") from None
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # -- operations: each sets how gradient flows to its inputs ----------
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():                      # d(a+b)/da = d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():                      # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError("Value ** k takes a constant exponent k (int or float)")
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():                      # d(a^k)/da = k a^(k-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():                      # d(e^a)/da = e^a
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log needs a positive value, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():                      # d(ln a)/da = 1/a
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():                      # d tanh(a)/da = 1 - tanh(a)^2
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():                      # 1 where a > 0, else 0
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward():                      # s (1 - s)
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * (other ** -1 if isinstance(other, Value) else 1.0 / other)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Value(other) - self

    def __rtruediv__(self, other):
        return Value(other) * self ** -1

    # -- the backward pass -----------------------------------------------
    def topological_order(self):
        """All nodes that lead to ``self``, each after its inputs (iterative, no recursion)."""
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for child in node._prev:
                if id(child) not in visited:
                    stack.append((child, False))
        return order

    def backward(self):
        """Set ``grad`` of every node to d(self)/d(node), by the chain rule, output first."""
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def draw(root, ax=None, figsize=None):
    """Draw the graph of ``root`` with matplotlib: one box per value, one circle per operation.

    Each box shows the label, ``data`` and ``grad``.  Inputs are on the left,
    the output on the right.  Returns the matplotlib ``Axes``.
    """
    import matplotlib.pyplot as plt

    order = root.topological_order()
    depth = {}
    for node in order:                          # column = longest path from an input
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
    columns = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {}
    for d, nodes in columns.items():
        for i, node in enumerate(nodes):
            pos[id(node)] = (2.0 * d, -(i - (len(nodes) - 1) / 2) * 1.2)
    if ax is None:
        ncol = max(columns) + 1
        nrow = max(len(v) for v in columns.values())
        _, ax = plt.subplots(figsize=figsize or (max(4, 2.6 * ncol), max(2, 1.1 * nrow + 0.6)))
    for node in order:
        x, y = pos[id(node)]
        for child in node._prev:
            cx, cy = pos[id(child)]
            ax.annotate("", xy=(x - 0.55, y), xytext=(cx + 0.55, cy),
                        arrowprops=dict(arrowstyle="->", color="0.4", lw=1))
        text = (f"{node.label + ' | ' if node.label else ''}{node._op + ' | ' if node._op else ''}"
                f"data {node.data:.4g}\ngrad {node.grad:.4g}")
        ax.text(x, y, text, ha="center", va="center", fontsize=8, family="monospace",
                bbox=dict(boxstyle="round", fc="#eef3fb" if node._prev else "#fdf3e1", ec="0.5"))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1, max(xs) + 1)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.axis("off")
    return ax
