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


def boundary_distance(x, w, b):
    """Signed distance ``(w^T x + b) / ||w||`` from points to the boundary ``w^T x + b = 0`` (chapter 1).

    Positive on the side where the perceptron fires, negative on the other side,
    0 on the boundary itself.  At the origin it is ``b / ||w||``, so the boundary
    lies at the distance ``|b| / ||w||`` from the origin.

    Parameters
    ----------
    x : array_like, shape (n,) or (batch, n)
    w : array_like, shape (n,), not all zero
    b : float

    Returns
    -------
    ndarray, shape () or (batch,)
    """
    x, w, b = _neuron_args(x, w, b)
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError("w is the zero vector, so w.x + b = 0 defines no boundary; "
                         "expected at least one non-zero weight")
    return (x @ w + b) / norm


def _labelled(x, y):
    x = as_float_array(x, "x", ndim=2)
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},) to match x {x.shape}, got {y.shape}")
    if len(x) == 0:
        raise ValueError("x holds no examples; expected at least one row")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"y must hold the classes 0 and 1, got values like {y[:4]}")
    return x, y


def perceptron_margin(x, y, w, b):
    """Margin of the perceptron ``(w, b)`` on labelled data, as in the convergence theorem (chapter 1).

    With the bias folded into the weights, ``x~ = (x, 1)`` and ``w~ = (w, b)``,
    and the labels as signs ``s = 2 y - 1`` (-1 or +1)::

        gamma = min_i  s_i (w^T x_i + b) / ||(w, b)||  =  min_i  s_i (w~ . x~_i) / ||w~||

    It is positive when ``(w, b)`` puts every example strictly on its own side,
    0 when an example lies on the boundary, negative when one is on the wrong side.

    Parameters
    ----------
    x : array_like, shape (m, n)
    y : array_like of 0/1, shape (m,)
    w : array_like, shape (n,)
    b : float
        ``(w, b)`` must not be all zero.

    Returns
    -------
    float
    """
    x, y = _labelled(x, y)
    z = weighted_sum(x, w, b)
    norm = np.sqrt(np.sum(np.square(as_float_array(w, "w"))) + float(b) ** 2)
    if norm == 0:
        raise ValueError("w = 0 and b = 0 is no classifier; expected a non-zero (w, b)")
    return float(np.min((2 * y - 1) * z) / norm) + 0.0   # + 0.0 turns -0.0 into 0.0


def mistake_bound(x, y, w, b):
    """Block and Novikoff's bound ``(R / gamma)^2`` on the perceptron rule's mistakes (chapter 1).

    If ``(w, b)`` separates the data with margin ``gamma`` (:func:`perceptron_margin`)
    and every ``||(x_i, 1)|| <= R``, then the perceptron rule started from
    ``w = 0, b = 0`` makes at most ``(R / gamma)^2`` mistakes (updates), whatever
    the order of the examples and the learning rate.  Any separator gives a
    valid bound; the larger its margin, the tighter the bound.

    Parameters
    ----------
    x : array_like, shape (m, n)
    y : array_like of 0/1, shape (m,)
    w : array_like, shape (n,)
    b : float

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``(w, b)`` does not separate the data with a positive margin.
    """
    x, y = _labelled(x, y)
    gamma = perceptron_margin(x, y, w, b)
    if gamma <= 0:
        raise ValueError(f"(w, b) has margin {gamma:.4g} on these data; the bound needs a "
                         "separator with every example strictly on its own side (margin > 0)")
    r = float(np.sqrt(np.max(np.sum(np.square(x), axis=1)) + 1.0))
    return (r / gamma) ** 2
