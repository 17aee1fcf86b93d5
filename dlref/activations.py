"""Activation functions and their derivatives (chapter 2, "Activation functions").

Each activation ``f`` has a forward function ``f(x)`` and a backward function
``f_backward(dout, x, out)`` that returns ``dout * f'(x)``.  The backward
functions take both the input ``x`` and the output ``out = f(x)`` so that each
can use whichever is cheaper and more stable: sigmoid and tanh reuse ``out``,
ReLU looks at ``x``.  All functions keep the shape and the floating dtype of
their input.
"""
import numpy as np

from dlref._checks import lookup


def linear(x):
    """Identity, ``f(x) = x``.  Keras name: ``'linear'`` (also ``None``)."""
    return x


def linear_backward(dout, x, out):
    """``f'(x) = 1``."""
    return dout


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, stable for any finite ``x``.

    Computed through the identity ``sigmoid(x) = (1 + tanh(x / 2)) / 2``:
    ``tanh`` never overflows, so logits of +-1e4 give exactly 1 and 0 instead
    of overflow warnings and NaN, and it is one pass over the array.
    """
    return 0.5 * np.tanh(0.5 * np.asarray(x)) + 0.5


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
