"""Activation functions and their derivatives (chapter 2, "Activation functions").

Each activation ``f`` has a forward function ``f(x)`` and a backward function
``f_backward(dout, x, out)`` that returns ``dout * f'(x)``.  The backward
functions take both the input ``x`` and the output ``out = f(x)`` so that each
can use whichever is cheaper and more stable: sigmoid and tanh reuse ``out``,
ReLU looks at ``x``.  All functions keep the shape and the floating dtype of
their input.
"""
import numpy as np

from dlref._checks import as_float_array, lookup


def linear(x):
    """Identity, ``f(x) = x``.  Keras name: ``'linear'`` (also ``None``)."""
    return x


def linear_backward(dout, x, out):
    """``f'(x) = 1``."""
    return dout


def sigmoid_textbook(x):
    """Logistic sigmoid written as the formula, ``1 / (1 + exp(-x))`` (chapter 2).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, the shape of ``x``, values in [0, 1]

    Notes
    -----
    For very negative ``x`` the intermediate ``exp(-x)`` overflows: beyond
    ``x < -709.78`` in float64 (``-88.72`` in float32) it becomes ``inf`` and
    NumPy emits ``RuntimeWarning: overflow encountered in exp``.  The result
    is still right: ``1 / (1 + inf)`` is exactly 0, the limit, and the true
    value there (below about 1e-308) is too small to matter.  For positive
    ``x`` nothing overflows and ``exp(-x)`` tends to 0, giving 1.  So the
    formula is accurate but noisy; :func:`sigmoid` is the same function
    without any overflow, and the one the layers use.
    """
    return 1.0 / (1.0 + np.exp(-np.asarray(x)))


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, stable for any ``x`` (chapter 2).

    The same function as :func:`sigmoid_textbook`, rearranged so that no
    exponent is ever positive.  With ``e = exp(-|x|)``, which lies in (0, 1]:

    * for ``x >= 0``: ``sigmoid(x) = 1 / (1 + e)``, the formula itself;
    * for ``x < 0``:  ``sigmoid(x) = e / (1 + e)``, the formula multiplied by
      ``exp(x) / exp(x)``.

    Nothing overflows, nothing cancels (both quotients are within a few
    rounding errors of the true value relative to it, for every ``x``), and
    ``x = -1e4`` and ``1e4`` give exactly 0 and 1 without warnings (``e``
    underflows to 0 there, which is harmless and which NumPy ignores).  Both
    branches share ``e`` and are computed for the whole array at once, so
    there is no Python loop and no branch.  (The identity
    ``sigmoid(x) = (1 + tanh(x / 2)) / 2`` is stable too, but ``1 + tanh``
    cancels for negative ``x``: at ``x = -30`` its relative error is about 1e-4.)

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, the shape and floating dtype of ``x``, values in [0, 1]
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))              # in (0, 1]: the exponent is never positive
    s = np.maximum(x >= 0, e)           # the numerator: 1 where x >= 0, else e (as e <= 1);
    s /= 1.0 + e                        # quicker than np.where(x >= 0, 1.0, e)
    return s


def sigmoid_backward(dout, x, out):
    """``f'(x) = f(x) (1 - f(x))``."""
    return dout * out * (1.0 - out)


def tanh(x):
    """Hyperbolic tangent; NumPy's is already stable."""
    return np.tanh(x)


def tanh_backward(dout, x, out):
    """``f'(x) = 1 - tanh(x)^2``."""
    return dout * (1.0 - out * out)


def relu(x):
    """Rectified linear unit ``max(x, 0)``."""
    return np.maximum(x, 0)


def relu_backward(dout, x, out):
    """``f'(x) = 1`` for ``x > 0`` and 0 otherwise (0 at ``x = 0``, as in TensorFlow)."""
    return dout * (x > 0)


def softmax(x, axis=-1):
    """Softmax over ``axis``: ``exp(x_i - max x) / sum_j exp(x_j - max x)``.

    Subtracting the maximum first changes nothing mathematically and keeps
    every exponent at most 0, so no input overflows.
    """
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dout, x, out):
    """Jacobian-vector product of softmax over the last axis.

    ``dx_i = s_i (dout_i - sum_j dout_j s_j)``, which avoids building the
    ``(n, n)`` Jacobian ``diag(s) - s s^T``.
    """
    return out * (dout - np.sum(dout * out, axis=-1, keepdims=True))


def softmax_jacobian(s):
    """Explicit Jacobian of softmax, ``diag(s) - s s^T``, from its output ``s`` (chapter 2).

    Entry ``[..., i, j]`` is ``ds_i / dz_j = s_i (delta_ij - s_j)``.  The matrix
    is symmetric and each of its rows and columns sums to 0 (softmax's outputs
    always sum to 1).  :func:`softmax_backward` computes the product
    ``J @ dout`` without building ``J``; this function builds it, for teaching
    and for tests, at the cost of ``k * k`` numbers per vector.

    Parameters
    ----------
    s : array_like, shape (..., k)
        Softmax outputs along the last axis, ``s = softmax(z)``: non-negative,
        each vector summing to 1.  Any leading (batch) axes are kept.

    Returns
    -------
    ndarray, shape (..., k, k), the floating dtype of ``s``

    Raises
    ------
    ValueError
        If ``s`` is a scalar, holds NaN or inf, or is not a probability
        vector along its last axis (for example the logits ``z`` themselves).
    """
    s = as_float_array(s, "s")
    if s.ndim == 0:
        raise ValueError("s must have shape (..., k), one softmax output vector along the last "
                         "axis; got a scalar")
    totals = np.sum(s, axis=-1)
    tol = np.sqrt(np.finfo(s.dtype).eps)      # about 1.5e-8 in float64, 3.5e-4 in float32
    if np.any(s < 0) or np.any(np.abs(totals - 1) > tol):
        worst = np.unravel_index(np.argmax(np.abs(totals - 1)), totals.shape) if totals.ndim else ()
        raise ValueError("s must hold softmax outputs: non-negative numbers that sum to 1 along "
                         f"the last axis; got sums like {float(totals[worst]):.6g} and a minimum "
                         f"of {float(np.min(s)) if s.size else 0.0:.6g} (pass softmax(z), not the "
                         "logits z)")
    jac = -s[..., :, None] * s[..., None, :]         # -s_i s_j
    diag = np.arange(s.shape[-1])
    jac[..., diag, diag] += s                        # + s_i on the diagonal
    return jac


_ACTIVATIONS = {
    "linear": (linear, linear_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
    "softmax": (softmax, softmax_backward),
}


def get(identifier):
    """Return the ``(forward, backward)`` pair for a Keras activation name.

    ``None`` means ``'linear'``, as in Keras.  An unknown name raises a
    ``ValueError`` that lists the known ones.
    """
    if identifier is None:
        identifier = "linear"
    if callable(identifier):
        raise TypeError("dlref needs an activation name such as 'relu', so that it can "
                        f"find the matching backward pass; got the callable {identifier!r}")
    return lookup(_ACTIVATIONS, identifier, "activation")
