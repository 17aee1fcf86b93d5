"""Scaled dot-product attention (chapter 10, "Recurrent networks").

Every query row of ``Q`` is compared with every key row of ``K``; the scores,
divided by ``sqrt(d_k)``, go through a softmax over the keys, and the output
row is the average of the value rows ``V`` with those weights:

    ``S = Q K^T / sqrt(d_k)``,   ``A = softmax(S)`` (row by row),   ``out = A V``.

Shapes: ``q`` is ``(..., T_q, d_k)``, ``k`` is ``(..., T_k, d_k)``, ``v`` is
``(..., T_k, d_v)``, with the same leading (batch) axes, or none; the weights
``A`` are ``(..., T_q, T_k)`` and ``out`` is ``(..., T_q, d_v)``.  An optional
boolean ``mask`` of a shape that broadcasts to ``(..., T_q, T_k)`` says which
keys each query may attend to: ``True`` = attend, as ``keras.ops.dot_product_attention``
(whose arrays carry a heads axis, ``(batch, T, heads, d)``; one head here).  A
masked key gets weight exactly 0.

The backward pass follows the three steps back.  With ``dout`` the gradient
of ``out``:

    ``dV = A^T dout``,   ``dA = dout V^T``,
    ``dS = A * (dA - sum_j dA_j A_j)`` (the softmax's Jacobian, row by row),
    ``dQ = dS K / sqrt(d_k)``,   ``dK = dS^T Q / sqrt(d_k)``.
"""
from collections import namedtuple

import numpy as np

from dlref._checks import as_float_array

AttentionCache = namedtuple("AttentionCache", "q k v weights scale")


def _check_inputs(q, k, v, mask):
    q = as_float_array(q, "q")
    k = as_float_array(k, "k")
    v = as_float_array(v, "v")
    for arr, name, shape in ((q, "q", "(..., T_q, d_k)"), (k, "k", "(..., T_k, d_k)"),
                             (v, "v", "(..., T_k, d_v)")):
        if arr.ndim < 2:
            raise ValueError(f"{name} must have shape {shape} (at least 2 dimensions), got shape {arr.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"queries and keys must have the same length d_k: q has shape {q.shape}, "
                         f"k has shape {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"there must be one value per key: k has {k.shape[-2]} rows (shape {k.shape}), "
                         f"v has {v.shape[-2]} (shape {v.shape})")
    if not q.shape[:-2] == k.shape[:-2] == v.shape[:-2]:
        raise ValueError(f"q, k and v must have the same leading (batch) axes, got shapes "
                         f"{q.shape}, {k.shape} and {v.shape}")
    if q.shape[-1] == 0 or k.shape[-2] == 0:
        raise ValueError(f"attention needs d_k >= 1 and at least one key, got q {q.shape}, k {k.shape}")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != np.bool_:
            raise TypeError(f"mask must be a boolean array (True = attend), got dtype {mask.dtype}")
        target = q.shape[:-1] + (k.shape[-2],)
        try:
            mask = np.broadcast_to(mask, target)
        except ValueError:
            raise ValueError(f"mask of shape {mask.shape} does not broadcast to the scores' "
                             f"shape (..., T_q, T_k) = {target}") from None
        if not np.all(mask.any(axis=-1)):
            raise ValueError("every query must be allowed to attend to at least one key: "
                             "a row of the mask is all False")
    return q, k, v, mask


def _masked_softmax(scores, mask):
    """Softmax over the last axis; masked entries get exactly 0.  No overflow for any finite score."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))   # the largest entry of each row is e^0 = 1
    return e / e.sum(axis=-1, keepdims=True)


def scaled_dot_product_attention_forward(q, k, v, mask=None):
    """``softmax(Q K^T / sqrt(d_k)) V``, with what the backward pass needs.

    Parameters
    ----------
    q : ndarray, shape (..., T_q, d_k)
        Queries, one row per output position.
    k : ndarray, shape (..., T_k, d_k)
        Keys, one row per input position.
    v : ndarray, shape (..., T_k, d_v)
        Values, one row per input position.
    mask : ndarray of bool, broadcastable to (..., T_q, T_k), optional
        ``True`` where a query may attend to a key.  Every query needs at least one.

    Returns
    -------
    out : ndarray, shape (..., T_q, d_v)
    weights : ndarray, shape (..., T_q, T_k)
        The attention weights; every row sums to 1.
    cache : AttentionCache, for :func:`scaled_dot_product_attention_backward`
    """
    q, k, v, mask = _check_inputs(q, k, v, mask)
    scale = 1.0 / float(np.sqrt(q.shape[-1]))   # a Python float keeps float32 inputs float32
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    weights = _masked_softmax(scores, mask)
    out = weights @ v
    return out, weights, AttentionCache(q, k, v, weights, scale)


def scaled_dot_product_attention_backward(dout, cache):
    """Gradients of :func:`scaled_dot_product_attention_forward`.

    Parameters
    ----------
    dout : ndarray, shape (..., T_q, d_v)
        Gradient of the loss with respect to ``out``.
    cache : AttentionCache

    Returns
    -------
    dq, dk, dv : ndarrays with the shapes of ``q``, ``k`` and ``v``
    """
    q, k, v, weights, scale = cache
    dout = as_float_array(dout, "dout")
    expected = weights.shape[:-1] + (v.shape[-1],)
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of the output {expected}, got {dout.shape}")
    dv = np.swapaxes(weights, -1, -2) @ dout
    dweights = dout @ np.swapaxes(v, -1, -2)
    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))
    dq = (dscores @ k) * scale
    dk = (np.swapaxes(dscores, -1, -2) @ q) * scale
    return dq, dk, dv


def scaled_dot_product_attention(q, k, v, mask=None):
    """``softmax(Q K^T / sqrt(d_k)) V`` and the attention weights (see the module docstring).

    Parameters
    ----------
    q, k, v, mask : as in :func:`scaled_dot_product_attention_forward`

    Returns
    -------
    out : ndarray, shape (..., T_q, d_v)
    weights : ndarray, shape (..., T_q, T_k)
    """
    out, weights, _ = scaled_dot_product_attention_forward(q, k, v, mask)
    return out, weights
