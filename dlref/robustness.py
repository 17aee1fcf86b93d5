"""Adversarial examples, int8 quantisation and magnitude pruning (chapter 12, applications and frontiers).

Three small functions on arrays, so that each is easy to read and to grade:

* :func:`fgsm` makes an adversarial example from an input and the gradient of the loss
  with respect to it (``Sequential.input_gradient``): the fast gradient sign method of
  Goodfellow, Shlens and Szegedy (2015), ``clip(x + epsilon * sign(dL/dx))``.
* :func:`quantize_int8` and :func:`dequantize` store a weight array as 8-bit integers and
  one scale (symmetric, per tensor): ``w ~ scale * q`` with ``q`` in ``-127 .. 127``.
* :func:`magnitude_prune` sets the smallest weights, by absolute value, to zero.
"""
import numpy as np

from dlref._checks import as_float_array

INT8_MAX = 127
"""The largest code of symmetric int8 quantisation; -127 is the smallest (-128 is not used)."""


def _number(value, name):
    if isinstance(value, bool) or np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "iuf" \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be one finite real number, got {value!r}")
    return float(value)


def fgsm(x, grad, epsilon, clip_min=0.0, clip_max=1.0):
    """Fast gradient sign method: ``clip(x + epsilon * sign(grad), clip_min, clip_max)``.

    Every input value moves by ``epsilon`` in the direction that increases the loss to
    first order (by 0 where the gradient is exactly 0), and the result is clipped back
    into the valid range of the inputs, ``[0, 1]`` for pixels scaled by 1/255.

    Parameters
    ----------
    x : ndarray, any shape
        The inputs, for example images of shape ``(batch, 784)`` in ``[0, 1]``.
    grad : ndarray, the shape of ``x``
        ``dL/dx``, the gradient of the loss with respect to ``x``
        (``Sequential.input_gradient(x, y)``); only its sign is used.
    epsilon : float
        The size of the perturbation, ``>= 0``: no value moves by more than ``epsilon``.
    clip_min, clip_max : float or None
        The valid range of the inputs, ``clip_min <= clip_max``; None leaves that side
        unclipped.

    Returns
    -------
    ndarray, the shape and floating dtype of ``x``
        The adversarial inputs; ``x`` itself is not changed.
    """
    x = as_float_array(x, "x")
    grad = as_float_array(grad, "grad")
    if grad.shape != x.shape:
        raise ValueError(f"grad must have the shape of x, {x.shape}, got {grad.shape}")
    epsilon = _number(epsilon, "epsilon")
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    lo = -np.inf if clip_min is None else _number(clip_min, "clip_min")
    hi = np.inf if clip_max is None else _number(clip_max, "clip_max")
    if lo > hi:
        raise ValueError(f"clip_min must not exceed clip_max, got {lo} > {hi}")
    return np.clip(x + epsilon * np.sign(grad), lo, hi).astype(x.dtype, copy=False)


def quantize_int8(w):
    """Symmetric per-tensor int8 quantisation: ``w ~ scale * q``.

    ``scale = max|w| / 127`` and ``q = round(w / scale)``, rounded to the nearest
    integer (``np.rint``, ties to even), so ``q`` lies in ``-127 .. 127`` and the largest
    weight in absolute value is stored exactly as ``+-127``.  Every weight comes back from
    :func:`dequantize` within ``scale / 2`` of its value.  An all-zero array has no scale
    to speak of: it gets ``scale = 1.0`` and ``q = 0``, so that nothing divides by zero.

    Parameters
    ----------
    w : ndarray, any shape
        Finite weights (a kernel, a bias).

    Returns
    -------
    q : ndarray of int8, the shape of ``w``
    scale : float
        A positive Python float.
    """
    w = as_float_array(w, "w").astype(np.float64, copy=False)
    largest = float(np.max(np.abs(w))) if w.size else 0.0
    scale = largest / INT8_MAX if largest > 0 else 1.0
    q = np.clip(np.rint(w / scale), -INT8_MAX, INT8_MAX).astype(np.int8)
    return q, scale


def dequantize(q, scale, dtype=np.float32):
    """The weights that int8 codes ``q`` with ``scale`` stand for: ``scale * q``.

    Parameters
    ----------
    q : ndarray of integers, any shape
        Codes from :func:`quantize_int8`.
    scale : float
        Its scale, a positive number.
    dtype : numpy dtype
        Of the result; float32 as in a Keras model.

    Returns
    -------
    ndarray of ``dtype``, the shape of ``q``
    """
    q = np.asarray(q)
    if q.dtype.kind not in "iu":
        raise TypeError(f"q must hold integer codes (int8), got dtype {q.dtype}")
    scale = _number(scale, "scale")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return (q.astype(np.float64) * scale).astype(dtype)


def magnitude_prune(w, sparsity):
    """Set the fraction ``sparsity`` of the weights with the smallest ``|w|`` to zero.

    ``k = round(sparsity * w.size)`` weights are pruned (``np.round``): those with the
    ``k`` smallest absolute values, ties broken by position in ``w.ravel()`` (the first
    ones go first), as a stable sort orders them.  ``sparsity = 0`` prunes nothing and
    ``sparsity = 1`` everything.

    Parameters
    ----------
    w : ndarray, any shape
        The weights.
    sparsity : float
        The fraction to prune, in ``[0, 1]``.

    Returns
    -------
    ndarray, the shape and floating dtype of ``w``
        A pruned copy; ``w`` itself is not changed.
    """
    w = as_float_array(w, "w")
    sparsity = _number(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must lie in [0, 1], got {sparsity}")
    k = int(np.round(sparsity * w.size))
    pruned = w.copy()
    smallest = np.argsort(np.abs(w), axis=None, kind="stable")[:k]
    pruned.reshape(-1)[smallest] = 0.0
    return pruned
