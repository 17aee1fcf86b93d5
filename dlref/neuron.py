"""One artificial neuron and the perceptron (chapter 1, "The neuron").

A neuron computes ``y = f(w^T x + b)``: a weighted sum of its inputs plus a
bias, passed through an activation ``f``.  The perceptron is the neuron
whose activation is the step function, trained by Rosenblatt's rule.
"""
import numpy as np

from dlref import activations
from dlref._checks import as_float_array, check_last_dim


def _neuron_args(x, w, b):
    x = as_float_array(x, "x", ndim=(1, 2))
    w = as_float_array(w, "w", ndim=1)
    check_last_dim(x, w.size, "x", f"a weight vector of {w.size} entries")
    b = as_float_array(b, "b", ndim=0)
    return x, w, b


def step(z):
    """Heaviside step: 1 where ``z > 0``, else 0 (so an input of exactly 0 gives 0)."""
    return (np.asarray(z) > 0).astype(np.int64)


def weighted_sum(x, w, b):
    """``z = w^T x + b`` for one input ``(n,)`` or a batch ``(batch, n)``; returns ``()`` or ``(batch,)``."""
    x, w, b = _neuron_args(x, w, b)
    return x @ w + b


def neuron_forward(x, w, b, activation="sigmoid"):
    """``y = f(w^T x + b)``.

    Parameters
    ----------
    x : array_like, shape (n,) or (batch, n)
    w : array_like, shape (n,)
    b : float
    activation : str
        ``'step'`` or any Keras activation name (``'sigmoid'``, ``'tanh'``, ``'relu'``, ``'linear'``).

    Returns
    -------
    ndarray, shape () or (batch,)
    """
    z = weighted_sum(x, w, b)
    if activation == "step":
        return step(z)
    if activation == "softmax":
        raise ValueError("softmax needs a vector of scores, not one neuron's output; "
                         "use 'sigmoid', 'tanh', 'relu', 'linear' or 'step'")
    forward, _ = activations.get(activation)
    return forward(z)


def perceptron_predict(x, w, b):
    """Class 0 or 1 for each input: ``step(w^T x + b)``; shape () or (batch,)."""
    return step(weighted_sum(x, w, b))


def perceptron_update(w, b, x, y, learning_rate=1.0):
    """One step of the perceptron learning rule on one example ``(x, y)``.

    ``error = y - prediction`` is 0 when the example is right (nothing
    changes), +1 or -1 when it is wrong, and then
    ``w <- w + learning_rate * error * x`` and ``b <- b + learning_rate * error``.

    Parameters
    ----------
    w : array_like, shape (n,)
    b : float
    x : array_like, shape (n,)
    y : int, 0 or 1
    learning_rate : float

    Returns
    -------
    (w_new, b_new) : ndarray of shape (n,), float
        New values; the arguments are not modified.
    """
    x, w, b = _neuron_args(x, w, b)
    if x.ndim != 1:
        raise ValueError(f"perceptron_update takes one example x of shape ({w.size},), got {x.shape}")
    if y not in (0, 1):
        raise ValueError(f"y must be the class 0 or 1, got {y!r}")
    error = y - int(step(x @ w + b))
    return w + learning_rate * error * x, float(b + learning_rate * error)


def perceptron_fit(x, y, epochs=10, learning_rate=1.0, w=None, b=0.0):
    """Train a perceptron with :func:`perceptron_update`, one example at a time, in order.

    Parameters
    ----------
    x : array_like, shape (m, n)
    y : array_like of 0/1, shape (m,)

    Returns
    -------
    w : ndarray, shape (n,)
    b : float
    errors : list of int
        Number of misclassified examples in each epoch (before its updates).
    """
    x = as_float_array(x, "x", ndim=2)
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},) to match x {x.shape}, got {y.shape}")
    w = np.zeros(x.shape[1]) if w is None else as_float_array(w, "w", ndim=1).copy()
    errors = []
    for _ in range(epochs):
        errors.append(int(np.sum(perceptron_predict(x, w, b) != y)))
        for xi, yi in zip(x, y):
            w, b = perceptron_update(w, b, xi, int(yi), learning_rate)
    return w, float(b), errors
