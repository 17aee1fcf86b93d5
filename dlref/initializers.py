"""Weight initializers with Keras's names and formulas (chapter 8, "Training an MLP").

Each initializer is ``f(shape, dtype="float32", seed=None) -> ndarray``.  Fans
are computed as Keras computes them: for a dense kernel ``(fan_in, fan_out)``;
for a convolution kernel ``(kh, kw, cin, cout)`` the receptive field
``kh * kw`` multiplies both ``cin`` and ``cout``.
"""
import numpy as np

from dlref._checks import lookup
from dlref.random import get_rng


def compute_fans(shape):
    """Return ``(fan_in, fan_out)`` for a weight of ``shape``."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def zeros(shape, dtype="float32", seed=None):
    """All zeros."""
    return np.zeros(shape, dtype=dtype)


def ones(shape, dtype="float32", seed=None):
    """All ones."""
    return np.ones(shape, dtype=dtype)


def glorot_uniform(shape, dtype="float32", seed=None):
    """Uniform on ``[-limit, limit]`` with ``limit = sqrt(6 / (fan_in + fan_out))``.

    The Keras default for ``Dense`` and ``Conv2D`` kernels (Glorot and Bengio, 2010).
    """
    fan_in, fan_out = compute_fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return get_rng(seed).uniform(-limit, limit, size=shape).astype(dtype)


def _truncated_normal(shape, stddev, rng):
    """Normal draws with those beyond two standard deviations drawn again."""
    out = rng.standard_normal(size=shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev


def he_normal(shape, dtype="float32", seed=None):
    """Truncated normal with variance ``2 / fan_in`` (He et al., 2015), for ReLU layers.

    As in Keras, the normal is truncated at two standard deviations and its
    scale is divided by 0.8796..., the standard deviation of a unit normal
    truncated there, so that the drawn weights really have variance ``2 / fan_in``.
    """
    fan_in, _ = compute_fans(shape)
    stddev = np.sqrt(2.0 / fan_in) / 0.87962566103423978
    return _truncated_normal(shape, stddev, get_rng(seed)).astype(dtype)


def orthogonal(shape, dtype="float32", seed=None):
    """A (semi-)orthogonal matrix, the Keras default for recurrent kernels."""
    rows = int(np.prod(shape[:-1]))
    cols = shape[-1]
    a = get_rng(seed).standard_normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(q.reshape(shape), dtype=dtype)


_INITIALIZERS = {
    "zeros": zeros,
    "ones": ones,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
}


def get(identifier):
    """Return the initializer for a Keras name such as ``'glorot_uniform'``."""
    return lookup(_INITIALIZERS, identifier, "initializer")
