"""Gradient checking with centred differences (chapter 6, "Backpropagation").

An analytic backward pass is trusted only once it agrees with the numerical
derivative ``(f(x + h) - f(x - h)) / 2h``.  Its truncation error is O(h^2) and
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
    """Relative error ``||a - b|| / (||a|| + ||b||)`` of two arrays (0 when both are zero)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


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
