"""Numerical derivatives and gradient checking (chapters 5 and 6, chain rule and backpropagation).

Chapter 5 differentiates a function of one number with :func:`numerical_derivative`;
chapter 6 checks whole backward passes.  An analytic backward pass is trusted only once
it agrees with the numerical derivative ``(f(x + h) - f(x - h)) / 2h``.  Its truncation error is O(h^2) and
its rounding error about ``1e-16 |f| / h``; in float64 ``h = 1e-5`` balances the
two, so a correct backward pass agrees to a relative error well below 1e-7
while a wrong one is off by orders of magnitude.

The relative error compares whole arrays, ``|a - b| / (|a| + |b|)`` in the
Euclidean norm, so that one entry whose true gradient is nearly zero (a sum
that happens to cancel) does not dominate the verdict.
"""
import numpy as np

from dlref.random import get_rng


def rel_error(a, b):
    """Relative error ``||a - b|| / (||a|| + ||b||)`` of two arrays (chapters 5 and 6).

    The norms are Euclidean norms over all entries.  The result lies in ``[0, 1]``: 0 when
    the arrays are equal (also when both are zero, or empty), 1 when one of them is zero and
    the other is not, or when they point in opposite directions.

    Parameters
    ----------
    a, b : array_like of real numbers, the same shape (any)

    Returns
    -------
    float
        The relative error, or ``inf`` when either array holds a NaN or an infinity.  A
        gradient check asks ``rel_error(analytic, numeric) < 1e-7``; with ``inf`` a NaN or
        infinite gradient fails it, instead of passing as it would if NaN norms were
        treated as zero.

    Raises
    ------
    ValueError
        When the shapes differ.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")                   # NaN or inf: never a passing check
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def numerical_derivative(f, x, h=1e-5, method="centred"):
    r"""Derivative of a function of one number by finite differences (chapter 5).

    * ``method="centred"``: ``(f(x + h) - f(x - h)) / (2 h)``, truncation error
      about ``h**2 |f'''(x)| / 6``;
    * ``method="forward"``: ``(f(x + h) - f(x)) / h``, truncation error about
      ``h |f''(x)| / 2``.

    Both also carry a rounding error of about ``1e-16 |f(x)| / h`` in float64, which
    grows as ``h`` shrinks; ``h = 1e-5`` is near the best step of the centred difference.

    Parameters
    ----------
    f : callable
        ``f(x)`` takes one number and returns one number.
    x : float
        The point: one finite real number (shape ``()``).
    h : float
        The step: a finite positive number.
    method : {"centred", "forward"}

    Returns
    -------
    float
        The estimate of ``f'(x)``.  Either method calls ``f`` twice.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one number, got {type(f).__name__}")
    for name, v in (("x", x), ("h", h)):
        if (isinstance(v, bool) or np.ndim(v) != 0 or np.asarray(v).dtype.kind not in "iuf"
                or not np.isfinite(v)):
            raise ValueError(f"{name} must be one finite real number, got {v!r}")
    if not h > 0:
        raise ValueError(f"h must be a positive step, got {h!r}")
    x, h = float(x), float(h)
    if method == "centred":
        return float((f(x + h) - f(x - h)) / (2.0 * h))
    if method == "forward":
        return float((f(x + h) - f(x)) / h)
    raise ValueError(f"unknown method {method!r}; expected 'centred' or 'forward'")


def numerical_gradient(f, x, h=1e-5):
    """Centred-difference gradient of the scalar function ``f`` at the array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored; it must
    be float64, or the differences drown in rounding.  Returns an array of
    ``x``'s shape.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 NumPy array to perturb, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):           # works for any memory layout of x
        old = x[idx]
        x[idx] = old + h
        fp = f()
        x[idx] = old - h
        fm = f()
        x[idx] = old
        grad[idx] = (fp - fm) / (2.0 * h)
    return grad


def numerical_vjp(f, x, dout, h=1e-5):
    """Numerical vector-Jacobian product ``dout^T J`` of ``f`` at ``x``, by centred differences.

    With ``J`` the Jacobian of ``f`` at ``x``, this is the gradient of the
    scalar ``sum(f(x) * dout)`` with respect to ``x``:
    ``result[k] = sum_m dout[m] * d f(x)[m] / d x[k]``.  It is what a backward
    pass ``backward(dout, cache)`` must return for ``x``, so it checks one
    without building ``J``.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns an array of ``dout``'s shape; it is called with
        ``x`` itself, perturbed in place one element at a time.
    x : ndarray, float64, any shape
    dout : ndarray, the shape of ``f(x)``
    h : float
        The step of the centred differences.

    Returns
    -------
    ndarray, the shape of ``x``
    """
    return numerical_gradient(lambda: float(np.sum(f(x) * dout)), x, h)


def check_layer(layer, x, seed=0, h=1e-5):
    """Compare a layer's ``backward`` with centred differences.

    The layer must have been made with ``dtype="float64"``.  A random upstream
    gradient ``dy`` defines the scalar ``L = sum(layer(x) * dy)``; its exact
    gradients are what ``backward(dy)`` must return.

    Returns
    -------
    dict
        ``{"x": rel_error, "kernel": rel_error, ...}`` for the input and every weight.
    """
    if layer.dtype != np.float64:
        raise TypeError("check_layer needs a layer made with dtype='float64'")
    x = np.array(x, dtype=np.float64)
    out = layer(x, training=True)
    dy = get_rng(seed).standard_normal(out.shape)
    layer.compute_input_grad = True
    dx = layer.backward(dy)
    analytic = {"x": dx, **{k: layer.grads[k].copy() for k in layer.params}}

    def loss():
        return float(np.sum(layer.forward(x, training=True) * dy))

    errors = {"x": rel_error(dx, numerical_gradient(loss, x, h))}
    for key, param in layer.params.items():
        errors[key] = rel_error(analytic[key], numerical_gradient(loss, param, h))
    return errors
