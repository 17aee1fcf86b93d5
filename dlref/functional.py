"""Pure forward/backward pairs (chapters 3 and 6: "The forward pass", "Backpropagation").

Every ``*_forward`` returns ``(out, cache)``; the matching ``*_backward``
takes the upstream gradient ``dout`` (the gradient of the loss with respect
to ``out``, same shape) and that cache, and returns the gradients with
respect to each input, in the order the forward pass took them.  Nothing is
stored anywhere else, so each pair can be read, tested and graded alone.
"""

from dlref import activations
from dlref._checks import as_float_array, check_last_dim


def dense_forward(x, kernel, bias):
    """Affine map ``out = x @ kernel + bias``.

    Parameters
    ----------
    x : ndarray, shape (batch, in_features)
    kernel : ndarray, shape (in_features, units)
    bias : ndarray, shape (units,), or None for no bias

    Returns
    -------
    out : ndarray, shape (batch, units)
    cache : tuple ``(x, kernel, has_bias)`` for :func:`dense_backward`
    """
    x = as_float_array(x, "x", ndim=2, allow_nan=True)
    kernel = as_float_array(kernel, "kernel", ndim=2, allow_nan=True)
    check_last_dim(x, kernel.shape[0], "x", f"a kernel of shape {kernel.shape}")
    out = x @ kernel
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1, allow_nan=True)
        if bias.shape != (kernel.shape[1],):
            raise ValueError(f"bias must have shape ({kernel.shape[1]},) to match the kernel "
                             f"{kernel.shape}, got {bias.shape}")
        out += bias
    return out, (x, kernel, bias is not None)


def dense_backward(dout, cache, compute_dx=True):
    """Gradients of :func:`dense_forward`.

    Parameters
    ----------
    dout : ndarray, shape (batch, units)
    cache : tuple from :func:`dense_forward`
    compute_dx : bool
        Skip ``dx`` (return None) when nothing upstream needs it, as for the
        first layer of a network; it is the largest product of the three.

    Returns
    -------
    dx : ndarray, shape (batch, in_features)   ``dout @ kernel.T``
    dkernel : ndarray, shape (in_features, units)   ``x.T @ dout``
    dbias : ndarray, shape (units,), or None   ``dout`` summed over the batch
    """
    x, kernel, has_bias = cache
    if dout.shape != (x.shape[0], kernel.shape[1]):
        raise ValueError(f"dout must have shape {(x.shape[0], kernel.shape[1])}, got {dout.shape}")
    dx = dout @ kernel.T if compute_dx else None
    dkernel = x.T @ dout
    dbias = dout.sum(axis=0) if has_bias else None
    return dx, dkernel, dbias


def activation_forward(x, name):
    """Apply the activation ``name`` element-wise (softmax over the last axis).

    Returns ``(out, cache)``; shapes are unchanged.
    """
    forward, backward = activations.get(name)
    x = as_float_array(x, "x", allow_nan=True)
    out = forward(x)
    return out, (x, out, backward)


def activation_backward(dout, cache):
    """Gradient of :func:`activation_forward` with respect to its input; shape of ``dout``."""
    x, out, backward = cache
    if dout.shape != out.shape:
        raise ValueError(f"dout must have the activation's output shape {out.shape}, "
                         f"got {dout.shape}")
    return backward(dout, x, out)


# The convolutional and recurrent pairs live in their own modules (chapters 9 and 10) and are
# listed here too, so that every forward/backward pair of the course is one import away.
from dlref.conv import (conv2d_backward, conv2d_backward_naive, conv2d_forward,  # noqa: E402,F401
                        conv2d_forward_naive, max_pool2d_backward, max_pool2d_backward_naive,
                        max_pool2d_forward, max_pool2d_forward_naive)
from dlref.recurrent import (lstm_backward, lstm_cell_backward, lstm_cell_forward,  # noqa: E402,F401
                             lstm_forward, lstm_step_backward, lstm_step_forward, rnn_backward,
                             rnn_cell_backward, rnn_cell_forward, rnn_forward, rnn_step_backward,
                             rnn_step_forward)
