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

import numpy as np

from dlref._checks import as_float_array


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
        """sigmoid(self) = 1 / (1 + exp(-self)); no exponent is positive, so nothing overflows."""
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
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data - other.data, (self, other), "-")

        def _backward():                      # d(a-b)/da = 1, d(a-b)/db = -1
            self.grad += out.grad
            other.grad -= out.grad
        out._backward = _backward
        return out

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


def neuron_grads(x, w, b, y):
    """Gradients of one sigmoid neuron's squared error, by the chain rule (chapter 5).

    The loss is ``L = (sigmoid(w . x + b) - y) ** 2``.  With ``z = w . x + b`` and
    ``s = sigmoid(z)``, the chain rule multiplies the local derivatives along the one path
    from each parameter to ``L``::

        dL/dw_i = dL/ds * ds/dz * dz/dw_i = 2 (s - y) * s (1 - s) * x_i
        dL/db   = dL/ds * ds/dz * dz/db   = 2 (s - y) * s (1 - s) * 1

    Parameters
    ----------
    x : array_like, shape (n,)
        One input.
    w : array_like, shape (n,)
        The weights.
    b : float
        The bias.
    y : float
        The target.

    Returns
    -------
    dw : ndarray, shape (n,), float64
        ``dL/dw``.
    db : float
        ``dL/db``.
    """
    x = as_float_array(x, "x", ndim=1, dtype=np.float64)
    w = as_float_array(w, "w", ndim=1, dtype=np.float64)
    if x.shape != w.shape:
        raise ValueError(f"x and w must have the same shape (n,), got {x.shape} and {w.shape}")
    b = float(as_float_array(b, "b", ndim=0))
    y = float(as_float_array(y, "y", ndim=0))
    z = float(x @ w) + b
    e = math.exp(-abs(z))                       # stable sigmoid: the exponent is never positive
    s = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
    dz = 2.0 * (s - y) * s * (1.0 - s)         # dL/dz = dL/ds * ds/dz
    return dz * x, dz


# what each operation is called in a drawing
_OP_NAMES = {"*": "×", "+": "+", "-": "−", "sigmoid": "σ", "tanh": "tanh", "exp": "exp", "log": "log",
             "relu": "ReLU"}


def _layout(root):
    """Column and row of every node: inputs left, ``root`` right, each input beside its user."""
    order = root.topological_order()
    users = {id(n): [] for n in order}
    depth = {}
    for node in order:                          # longest path from an input
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
        for child in node._prev:
            users[id(child)].append(node)
    column = {}
    for node in order:                          # an input sits one column left of its first user
        column[id(node)] = depth[id(node)] if node._prev or not users[id(node)] else \
            min(depth[id(u)] for u in users[id(node)]) - 1
    row = {id(root): 0.0}
    for node in reversed(order):                # from the output back: inputs fan out around a node
        children = list(dict.fromkeys(node._prev))
        for i, child in enumerate(children):
            row.setdefault(id(child), row[id(node)] + ((len(children) - 1) / 2 - i) * 1.3)
    by_column = {}
    for node in order:
        by_column.setdefault(column[id(node)], []).append(node)
    for nodes in by_column.values():            # no two boxes of a column overlap
        nodes.sort(key=lambda n: -row[id(n)])
        for above, below in zip(nodes, nodes[1:]):
            row[id(below)] = min(row[id(below)], row[id(above)] - 1.25)
    return order, {id(n): (3.0 * column[id(n)], row[id(n)]) for n in order}


def draw(root, ax=None, figsize=None):
    """Draw the computational graph of ``root`` with matplotlib (chapter 5).

    One box per value, inputs on the left and ``root`` on the right, each input placed
    just left of the operation that first uses it.  A box shows the value's label and the
    operation that made it, then ``data`` (the forward pass) and ``grad`` (d root / d value,
    after ``root.backward()``).  Inputs are shaded grey, computed values blue; arrows point
    from an operation's inputs to its result.

    Parameters
    ----------
    root : Value
        The output of the graph.
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure sized to the graph.
    figsize : (float, float), optional
        The size of that new figure, in inches.

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw takes the Value at the end of a graph, got {type(root).__name__}")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from dlref.plot import PALETTE

    order, pos = _layout(root)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    width, height = 1.9, 0.95                  # of a box, in data units
    x_lo, x_hi = min(xs) - width / 2 - 0.1, max(xs) + width / 2 + 0.1
    y_lo, y_hi = min(ys) - height / 2 - 0.1, max(ys) + height / 2 + 0.1
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (0.72 * (x_hi - x_lo), 0.72 * (y_hi - y_lo) + 0.2))
    for node in order:
        x, y = pos[id(node)]
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0,rounding_size=0.15", lw=1,
                                    ec=PALETTE["black"] if node is root else "0.45",
                                    fc=PALETTE["light_blue"] if node._prev else PALETTE["light_grey"]))
        op = node._op if not node._op.startswith("**") else "^" + node._op[2:]
        head = " ".join(filter(None, [node.label, f"({_OP_NAMES.get(op, op)})" if op else ""]))
        ax.text(x, y, f"{head}\ndata {node.data:.4g}\ngrad {node.grad:.4g}".lstrip("\n"),
                ha="center", va="center", fontsize=8, family="monospace", linespacing=1.3)
        for child in dict.fromkeys(node._prev):
            cx, cy = pos[id(child)]
            ax.add_patch(FancyArrowPatch((cx + width / 2, cy), (x - width / 2, y),
                                         arrowstyle="-|>", mutation_scale=9, lw=1, color="0.35",
                                         shrinkA=1, shrinkB=1))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
