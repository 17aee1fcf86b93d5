"""Recurrent cells and backpropagation through time (chapter 10, "Recurrent networks").

Shapes follow Keras: a sequence batch is ``(batch, timesteps, features)``;
``kernel`` maps the input ``(features, k * units)``, ``recurrent_kernel`` the
previous state ``(units, k * units)``, ``bias`` is ``(k * units,)``, with
``k = 1`` for SimpleRNN and ``k = 4`` for LSTM, whose four gate blocks are in
Keras's order **i, f, c, o** (input gate, forget gate, candidate cell, output gate).

SimpleRNN step:  ``h_t = tanh(x_t W + h_{t-1} U + b)``

LSTM step:       ``z = x_t W + h_{t-1} U + b``, split into ``z_i, z_f, z_c, z_o``;
                 ``i = sigmoid(z_i)``, ``f = sigmoid(z_f)``, ``g = tanh(z_c)``, ``o = sigmoid(z_o)``;
                 ``c_t = f * c_{t-1} + i * g``;  ``h_t = o * tanh(c_t)``.

The ``*_step_forward``/``*_step_backward`` pairs are one time step.  The
``*_forward``/``*_backward`` functions run a whole sequence: they compute the
input projections ``x_t W + b`` of all steps in one matrix product, loop over
time for the recurrence only, and in the backward pass (backpropagation
through time) collect the gradients of all pre-activations ``z_t`` so that
``dW``, ``dU`` and ``db`` are again single products.
"""
import numpy as np

from dlref._checks import as_float_array
from dlref.activations import sigmoid


def _check(x, kernel, recurrent_kernel, bias, k):
    x = as_float_array(x, "x", allow_nan=True)
    units = recurrent_kernel.shape[0]
    if recurrent_kernel.shape != (units, k * units):
        raise ValueError(f"recurrent_kernel must have shape (units, {k} * units), got {recurrent_kernel.shape}")
    if kernel.shape != (x.shape[-1], k * units):
        raise ValueError(f"kernel must have shape ({x.shape[-1]}, {k * units}) for inputs with "
                         f"{x.shape[-1]} features, got {kernel.shape}")
    if bias.shape != (k * units,):
        raise ValueError(f"bias must have shape ({k * units},), got {bias.shape}")
    return x


# -- the cells, on input projections zx = x_t W + b -----------------------
def _rnn_cell(zx, h_prev, recurrent_kernel):
    h = np.tanh(zx + h_prev @ recurrent_kernel)
    return h, (h_prev, h)


def _rnn_cell_backward(dh, cache, recurrent_kernel):
    h_prev, h = cache
    dz = dh * (1.0 - h * h)
    return dz, dz @ recurrent_kernel.T


def _lstm_cell(zx, h_prev, c_prev, recurrent_kernel):
    u = h_prev.shape[-1]
    z = zx + h_prev @ recurrent_kernel
    i, f, o = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u]), sigmoid(z[:, 3 * u:])
    g = np.tanh(z[:, 2 * u:3 * u])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    return o * tc, c, (h_prev, c_prev, i, f, g, o, tc)


def _lstm_cell_backward(dh, dc, cache, recurrent_kernel):
    h_prev, c_prev, i, f, g, o, tc = cache
    dc = dc + dh * o * (1.0 - tc * tc)
    dz = np.concatenate([dc * g * i * (1.0 - i),          # through i = sigmoid(z_i)
                         dc * c_prev * f * (1.0 - f),     # through f = sigmoid(z_f)
                         dc * i * (1.0 - g * g),          # through g = tanh(z_c)
                         dh * tc * o * (1.0 - o)], axis=1)  # through o = sigmoid(z_o)
    return dz, dz @ recurrent_kernel.T, dc * f


# -- one step -------------------------------------------------------------
def rnn_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    """One SimpleRNN step: ``(batch, features), (batch, units) -> h (batch, units), cache``."""
    h, cell = _rnn_cell(x_t @ kernel + bias, h_prev, recurrent_kernel)
    return h, (x_t, kernel, recurrent_kernel, cell)


def rnn_step_backward(dh, cache):
    """Gradients of one step: ``(dx_t, dh_prev, dkernel, drecurrent_kernel, dbias)``."""
    x_t, kernel, recurrent_kernel, cell = cache
    dz, dh_prev = _rnn_cell_backward(dh, cell, recurrent_kernel)
    return dz @ kernel.T, dh_prev, x_t.T @ dz, cell[0].T @ dz, dz.sum(axis=0)


def lstm_step_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM step: returns ``h (batch, units), c (batch, units), cache``."""
    h, c, cell = _lstm_cell(x_t @ kernel + bias, h_prev, c_prev, recurrent_kernel)
    return h, c, (x_t, kernel, recurrent_kernel, cell)


def lstm_step_backward(dh, dc, cache):
    """Gradients of one step: ``(dx_t, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias)``."""
    x_t, kernel, recurrent_kernel, cell = cache
    dz, dh_prev, dc_prev = _lstm_cell_backward(dh, dc, cell, recurrent_kernel)
    return dz @ kernel.T, dh_prev, dc_prev, x_t.T @ dz, cell[0].T @ dz, dz.sum(axis=0)


# -- whole sequences --------------------------------------------------------
def _sequence_forward(x, kernel, recurrent_kernel, bias, lstm):
    k = 4 if lstm else 1
    x = _check(x, kernel, recurrent_kernel, bias, k)
    n, steps, features = x.shape
    units = recurrent_kernel.shape[0]
    zx = (x.reshape(n * steps, features) @ kernel + bias).reshape(n, steps, k * units)
    h = np.zeros((n, units), dtype=zx.dtype)
    c = np.zeros_like(h)
    hs = np.empty((n, steps, units), dtype=zx.dtype)
    cells = []
    for t in range(steps):
        if lstm:
            h, c, cell = _lstm_cell(zx[:, t], h, c, recurrent_kernel)
        else:
            h, cell = _rnn_cell(zx[:, t], h, recurrent_kernel)
        hs[:, t] = h
        cells.append(cell)
    return hs, (x, kernel, recurrent_kernel, cells, lstm)


def _sequence_backward(dhs, cache, compute_dx=True):
    x, kernel, recurrent_kernel, cells, lstm = cache
    n, steps, features = x.shape
    units = recurrent_kernel.shape[0]
    if dhs.shape != (n, steps, units):
        raise ValueError(f"the gradient of the outputs must have shape {(n, steps, units)}, got {dhs.shape}")
    dz = np.empty((n, steps, kernel.shape[1]), dtype=dhs.dtype)
    dh = np.zeros((n, units), dtype=dhs.dtype)
    dc = np.zeros_like(dh)
    for t in reversed(range(steps)):                  # backpropagation through time
        if lstm:
            dz[:, t], dh, dc = _lstm_cell_backward(dhs[:, t] + dh, dc, cells[t], recurrent_kernel)
        else:
            dz[:, t], dh = _rnn_cell_backward(dhs[:, t] + dh, cells[t], recurrent_kernel)
    dz2 = dz.reshape(n * steps, -1)
    h_prev = np.stack([cell[0] for cell in cells], axis=1).reshape(n * steps, units)
    dkernel = x.reshape(n * steps, features).T @ dz2
    drecurrent = h_prev.T @ dz2
    dx = (dz2 @ kernel.T).reshape(x.shape) if compute_dx else None
    return dx, dkernel, drecurrent, dz2.sum(axis=0)


def rnn_forward(x, kernel, recurrent_kernel, bias):
    """SimpleRNN over a sequence from ``h_0 = 0``: ``(batch, timesteps, features)`` ->
    all states ``(batch, timesteps, units)`` and a cache."""
    return _sequence_forward(x, kernel, recurrent_kernel, bias, lstm=False)


def rnn_backward(dhs, cache, compute_dx=True):
    """BPTT for :func:`rnn_forward`; ``dhs`` is the gradient of all states.

    Returns ``(dx, dkernel, drecurrent_kernel, dbias)``.
    """
    return _sequence_backward(dhs, cache, compute_dx)


def lstm_forward(x, kernel, recurrent_kernel, bias):
    """LSTM over a sequence from ``h_0 = c_0 = 0``: ``(batch, timesteps, features)`` ->
    all hidden states ``(batch, timesteps, units)`` and a cache."""
    return _sequence_forward(x, kernel, recurrent_kernel, bias, lstm=True)


def lstm_backward(dhs, cache, compute_dx=True):
    """BPTT for :func:`lstm_forward`; returns ``(dx, dkernel, drecurrent_kernel, dbias)``."""
    return _sequence_backward(dhs, cache, compute_dx)
