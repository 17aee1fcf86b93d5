"""Loss functions and their gradients (chapter 4, "Loss functions").

Each loss follows Keras: it is computed per sample (the mean over the last
axis for MSE and binary cross-entropy, the sum over classes for categorical
cross-entropy) and then averaged over the batch, which is Keras's default
reduction ``"sum_over_batch_size"``.  Probabilities are clipped to
``[EPSILON, 1 - EPSILON]`` before any logarithm, as Keras does.

Every loss has one ``*_value_and_grad`` function that returns the batch mean
and its gradient with respect to ``y_pred`` (zero where a value was
clipped), so that the formula and its derivative sit side by side.  The
plain names (``binary_crossentropy`` ...) return the value alone and the
``*_grad`` names the gradient alone.  With ``from_logits=True`` the
cross-entropies take raw scores and use the log-sum-exp form, exact and
stable for any finite logit.
"""
from collections import namedtuple

import numpy as np

from dlref._checks import as_float_array, lookup
from dlref.activations import sigmoid

EPSILON = 1e-7  # keras.config.epsilon()


def _pair(y_true, y_pred):
    y_pred = as_float_array(y_pred, "y_pred", ndim=(1, 2, 3), allow_nan=True)
    y_true = as_float_array(y_true, "y_true", dtype=y_pred.dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; "
                         "they must match (for integer class labels use "
                         "sparse_categorical_crossentropy)")
    return y_true, y_pred


def _labels(y_true, y_pred):
    y_pred = as_float_array(y_pred, "y_pred", ndim=2, allow_nan=True)
    labels = np.asarray(y_true)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"y_true must hold integer class labels, got dtype {labels.dtype}")
    if labels.shape != y_pred.shape[:1]:
        raise ValueError(f"y_true must have shape ({y_pred.shape[0]},) to match y_pred "
                         f"{y_pred.shape}, got {labels.shape}")
    k = y_pred.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"class labels must lie in [0, {k - 1}] for {k} classes, "
                         f"got values from {labels.min()} to {labels.max()}")
    return labels, y_pred


def _log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


# -- the formulas ----------------------------------------------------------
def mse_value_and_grad(y_true, y_pred, from_logits=False):
    """``mean((y_pred - y_true)^2)`` and its gradient ``2 (y_pred - y_true) / size``."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = y_pred - y_true
    return float(np.mean(np.square(diff))), 2.0 * diff / y_pred.size


def bce_value_and_grad(y_true, y_pred, from_logits=False):
    """Binary cross-entropy and its gradient.  Shapes ``(batch, d)`` -> scalar, ``(batch, d)``.

    Probabilities: ``-mean(y log p + (1 - y) log(1 - p))`` with ``p`` clipped;
    gradient ``(-y / p + (1 - y) / (1 - p)) / size`` where ``p`` was not clipped.
    Logits ``z``: ``mean(max(z, 0) - z y + log(1 + exp(-|z|)))`` with gradient
    ``(sigmoid(z) - y) / size``; the same loss, never forming ``p``.
    This is cross-entropy for two classes only, not the general formula.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    size = y_pred.size
    if from_logits:
        z = y_pred
        per = np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
        return float(np.mean(per)), (sigmoid(z) - y_true) / size
    p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    per = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    inside = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)
    grad = np.where(inside, (-y_true / p + (1.0 - y_true) / (1.0 - p)) / size, 0.0)
    return float(np.mean(per)), grad


def cce_value_and_grad(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy ``-mean_batch(sum_k y_k log p_k)`` and its gradient.

    Shapes ``(batch, classes)``.  Logits: ``log p = log_softmax(z)`` and the
    gradient is ``(softmax(z) sum_k y_k - y) / batch``, i.e. ``(p - y) / batch``
    for one-hot targets.  Probabilities: Keras first rescales ``y_pred`` to
    sum to 1 and then clips; the gradient flows back through both steps.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    n = int(np.prod(y_pred.shape[:-1]))
    if from_logits:
        logp = _log_softmax(y_pred)
        grad = (np.exp(logp) * np.sum(y_true, axis=-1, keepdims=True) - y_true) / n
        # 0.0 - x rather than -x: a perfect prediction gives 0.0, not -0.0
        return float(0.0 - np.sum(y_true * logp) / n), grad
    s = np.sum(y_pred, axis=-1, keepdims=True)
    q = y_pred / s
    p = np.clip(q, EPSILON, 1.0 - EPSILON)
    inside = (q >= EPSILON) & (q <= 1.0 - EPSILON)
    dq = inside * (-y_true / p) / n
    grad = (dq - np.sum(dq * q, axis=-1, keepdims=True)) / s
    return float(-np.sum(y_true * np.log(p)) / n), grad


def sparse_cce_value_and_grad(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy with integer labels ``(batch,)`` and its gradient.

    Logits: ``-mean(log_softmax(z)[label])``, gradient ``(softmax(z) - onehot) / batch``.
    Probabilities: as Keras does, clip them and use their log as the logits;
    the gradient then picks up the factor ``1 / p`` where ``p`` was not clipped.
    """
    labels, y_pred = _labels(y_true, y_pred)
    n = len(labels)
    rows = np.arange(n)
    z = y_pred if from_logits else np.log(np.clip(y_pred, EPSILON, 1.0 - EPSILON))
    logp = _log_softmax(z)
    dz = np.exp(logp)
    dz[rows, labels] -= 1.0
    dz /= n
    value = float(0.0 - np.mean(logp[rows, labels]))     # 0.0, not -0.0, for a perfect prediction
    if from_logits:
        return value, dz
    inside = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)
    return value, np.where(inside, dz / np.clip(y_pred, EPSILON, 1.0 - EPSILON), 0.0)


# -- the Keras names -------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Mean squared error, ``(batch, d)`` -> scalar.  Keras names: ``'mse'``, ``'mean_squared_error'``."""
    return mse_value_and_grad(y_true, y_pred)[0]


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Binary cross-entropy, ``(batch, d)`` -> scalar; see :func:`bce_value_and_grad`."""
    return bce_value_and_grad(y_true, y_pred, from_logits)[0]


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy with one-hot targets, ``(batch, classes)`` -> scalar."""
    return cce_value_and_grad(y_true, y_pred, from_logits)[0]


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy with integer labels ``(batch,)``, -> scalar."""
    return sparse_cce_value_and_grad(y_true, y_pred, from_logits)[0]


def mean_squared_error_grad(y_true, y_pred):
    """Gradient of :func:`mean_squared_error` with respect to ``y_pred``."""
    return mse_value_and_grad(y_true, y_pred)[1]


def binary_crossentropy_grad(y_true, y_pred, from_logits=False):
    """Gradient of :func:`binary_crossentropy` with respect to ``y_pred``."""
    return bce_value_and_grad(y_true, y_pred, from_logits)[1]


def categorical_crossentropy_grad(y_true, y_pred, from_logits=False):
    """Gradient of :func:`categorical_crossentropy` with respect to ``y_pred``."""
    return cce_value_and_grad(y_true, y_pred, from_logits)[1]


def sparse_categorical_crossentropy_grad(y_true, y_pred, from_logits=False):
    """Gradient of :func:`sparse_categorical_crossentropy` with respect to ``y_pred``."""
    return sparse_cce_value_and_grad(y_true, y_pred, from_logits)[1]


def per_sample(loss, y_true, y_pred, from_logits=False):
    """Each sample's loss before the mean over the batch, shape ``(batch,)`` (chapter 4).

    Keras's loss *functions* (``keras.losses.binary_crossentropy``) return these
    values; its loss *classes* and ``compile(loss=...)`` then average them over
    the batch (reduction ``"sum_over_batch_size"``), which is what dlref's loss
    functions return.  So ``np.mean(per_sample(name, y, p))`` equals
    ``get(name).fn(y, p)``.  Sample ``i`` is the loss of the batch of one
    ``(y_true[i:i+1], y_pred[i:i+1])``.

    Parameters
    ----------
    loss : str
        A Keras loss name, such as ``'mse'`` or ``'sparse_categorical_crossentropy'``.
    y_true : array_like, shape (batch, ...)
        Targets in the form that the loss expects: integer labels ``(batch,)``
        for the sparse loss, else the shape of ``y_pred``.
    y_pred : array_like, shape (batch, ...)
    from_logits : bool
        Whether ``y_pred`` holds logits; for the cross-entropies only.

    Returns
    -------
    ndarray, shape (batch,), float64
    """
    entry = get(loss)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == 0 or y_pred.ndim == 0:
        raise ValueError(f"y_true and y_pred need a batch axis first, got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}")
    if from_logits and entry.fused_activation is None:
        raise ValueError(f"{entry.name} takes no logits; from_logits is for the cross-entropies")
    kwargs = {"from_logits": True} if from_logits else {}
    return np.array([entry.fn(y_true[i:i + 1], y_pred[i:i + 1], **kwargs)
                     for i in range(len(y_pred))], dtype=np.float64)


Loss = namedtuple("Loss", "name fn grad value_and_grad fused_activation")
Loss.__doc__ = """A loss as Sequential uses it.

``fused_activation`` names the output activation whose combination with the
loss has the simple logits gradient (softmax with cross-entropy, sigmoid with
binary cross-entropy); Sequential then skips that activation's Jacobian.
"""

_LOSSES = {
    "mean_squared_error": Loss("mean_squared_error", mean_squared_error,
                               mean_squared_error_grad, mse_value_and_grad, None),
    "binary_crossentropy": Loss("binary_crossentropy", binary_crossentropy,
                                binary_crossentropy_grad, bce_value_and_grad, "sigmoid"),
    "categorical_crossentropy": Loss("categorical_crossentropy", categorical_crossentropy,
                                     categorical_crossentropy_grad, cce_value_and_grad, "softmax"),
    "sparse_categorical_crossentropy": Loss("sparse_categorical_crossentropy",
                                            sparse_categorical_crossentropy,
                                            sparse_categorical_crossentropy_grad,
                                            sparse_cce_value_and_grad, "softmax"),
}
_LOSSES["mse"] = _LOSSES["mean_squared_error"]


def get(identifier):
    """Return the :class:`Loss` for a Keras loss name such as ``'mse'``."""
    if not isinstance(identifier, str):
        raise TypeError(f"loss must be a Keras loss name such as 'mse', got {type(identifier).__name__}")
    return lookup(_LOSSES, identifier, "loss")
