"""Recurrent cells and backpropagation through time (chapter 10, "Recurrent networks").

Shapes follow Keras: a sequence batch is ``(batch, timesteps, features)``;
``kernel`` ``W`` maps the input ``(features, k * units)``, ``recurrent_kernel``
``U`` the previous state ``(units, k * units)``, and ``bias`` ``b`` is
``(k * units,)``, with ``k = 1`` for SimpleRNN and ``k = 4`` for LSTM, whose
four gate blocks are in Keras's order **i, f, c, o** (input gate, forget
gate, candidate cell, output gate).

SimpleRNN step:  ``h_t = tanh(x_t W + h_{t-1} U + b)``

LSTM step:       ``z = x_t W + h_{t-1} U + b``, split into ``z_i, z_f, z_c, z_o``;
                 ``i = sigmoid(z_i)``, ``f = sigmoid(z_f)``, ``c~ = tanh(z_c)``, ``o = sigmoid(z_o)``;
                 ``c_t = f * c_{t-1} + i * c~``;  ``h_t = o * tanh(c_t)``.

Three levels, each built on the one before:

* ``*_cell_forward``/``*_cell_backward``: the recurrence of one step, given the
  step's input projection ``xw = x_t W + b``;
* ``*_step_forward``/``*_step_backward``: one textbook step from ``x_t``, which
  computes ``x_t W + b`` and calls the cell;
* ``rnn_forward``/``lstm_forward`` and their backward passes: a whole sequence,
  what the layers run.  The input projections of all steps do not depend on
  the recurrence, so they are one matrix product before the loop over time;
  backpropagation through time collects the gradients ``dz_t`` of all
  pre-activations, so that ``dW``, ``dU`` and ``db`` are again single products
  after the loop.  Apart from that the loops are the step functions, applied
  in turn; a test checks that they agree with a loop over ``*_step_forward``.
"""
from collections import namedtuple

import numpy as np

from dlref._checks import as_float_array
from dlref.activations import sigmoid

RNNCellCache = namedtuple("RNNCellCache", "h_prev h recurrent_kernel")
LSTMCellCache = namedtuple("LSTMCellCache", "h_prev c_prev i f c_tilde o tanh_c recurrent_kernel")
StepCache = namedtuple("StepCache", "x_t kernel cell")
SequenceCache = namedtuple("SequenceCache", "x kernel recurrent_kernel cells")


def _check_weights(features, kernel, recurrent_kernel, bias, k):
    units = recurrent_kernel.shape[0]
    if recurrent_kernel.shape != (units, k * units):
        raise ValueError(f"recurrent_kernel must have shape (units, {k} * units), got {recurrent_kernel.shape}")
    if kernel.shape != (features, k * units):
        raise ValueError(f"kernel must have shape ({features}, {k * units}) for inputs with "
                         f"{features} features, got {kernel.shape}")
    if bias.shape != (k * units,):
        raise ValueError(f"bias must have shape ({k * units},), got {bias.shape}")


def _check_state(state, name, batch, units):
    if np.shape(state) != (batch, units):
        raise ValueError(f"{name} must have shape (batch, units) = {(batch, units)}, got {np.shape(state)}")


# -- the cells: one step of the recurrence, given xw = x_t W + b -----------------------------
def rnn_cell_forward(xw, h_prev, recurrent_kernel):
    """SimpleRNN recurrence ``h_t = tanh(xw + h_{t-1} U)``, with ``xw = x_t W + b`` given.

    Parameters
    ----------
    xw : ndarray, shape (batch, units)
    h_prev : ndarray, shape (batch, units)
    recurrent_kernel : ndarray, shape (units, units)

    Returns
    -------
    h : ndarray, shape (batch, units)
    cache : RNNCellCache
    """
    h = np.tanh(xw + h_prev @ recurrent_kernel)
    return h, RNNCellCache(h_prev, h, recurrent_kernel)


def rnn_cell_backward(dh, cache):
    """Backward of :func:`rnn_cell_forward`; ``dh`` is the gradient of ``h_t``, shape (batch, units).

    Returns ``dz`` (the gradient of ``xw``, and of ``z = xw + h_{t-1} U``) and
    ``dh_prev``, both (batch, units).  The weight gradients are ``x_t^T dz``,
    ``h_{t-1}^T dz`` and ``sum(dz)``, formed by the caller.
    """
    dz = dh * (1.0 - cache.h * cache.h)                  # tanh'(z) = 1 - h^2
    return dz, dz @ cache.recurrent_kernel.T


def lstm_cell_forward(xw, h_prev, c_prev, recurrent_kernel):
    """LSTM recurrence with ``xw = x_t W + b`` given; gate order i, f, c, o.

    Parameters
    ----------
    xw : ndarray, shape (batch, 4 * units)
    h_prev, c_prev : ndarray, shape (batch, units)
    recurrent_kernel : ndarray, shape (units, 4 * units)

    Returns
    -------
    h, c : ndarray, shape (batch, units)
    cache : LSTMCellCache
    """
    u = h_prev.shape[-1]
    z = xw + h_prev @ recurrent_kernel
    z_i, z_f, z_c, z_o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)   # input, forget and output gates
    c_tilde = np.tanh(z_c)                               # candidate cell
    c = f * c_prev + i * c_tilde
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, LSTMCellCache(h_prev, c_prev, i, f, c_tilde, o, tanh_c, recurrent_kernel)


def lstm_cell_backward(dh, dc, cache):
    """Backward of :func:`lstm_cell_forward`.

    Parameters
    ----------
    dh, dc : ndarray, shape (batch, units)
        Gradients of ``h_t`` and ``c_t`` (``dc`` is what reaches ``c_t`` from
        later steps, not through ``h_t``).
    cache : LSTMCellCache

    Returns
    -------
    dz : ndarray, shape (batch, 4 * units)   gradient of the pre-activations, order i, f, c, o
    dh_prev, dc_prev : ndarray, shape (batch, units)
    """
    h_prev, c_prev, i, f, c_tilde, o, tanh_c, recurrent_kernel = cache
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)           # h_t = o tanh(c_t) also depends on c_t
    do = dh * tanh_c
    di, df, dc_tilde = dc * c_tilde, dc * c_prev, dc * i  # c_t = f c_{t-1} + i c~
    dz = np.concatenate([di * i * (1.0 - i),             # sigmoid' = s (1 - s)
                         df * f * (1.0 - f),
                         dc_tilde * (1.0 - c_tilde * c_tilde),   # tanh' = 1 - tanh^2
                         do * o * (1.0 - o)], axis=1)
    return dz, dz @ recurrent_kernel.T, dc * f


# -- one textbook step from x_t -----------------------------------------------------------
def rnn_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    """One SimpleRNN step, ``h_t = tanh(x_t W + h_{t-1} U + b)``.

    Parameters
    ----------
    x_t : ndarray, shape (batch, features)
    h_prev : ndarray, shape (batch, units)
    kernel : ndarray, shape (features, units)
    recurrent_kernel : ndarray, shape (units, units)
    bias : ndarray, shape (units,)

    Returns
    -------
    h : ndarray, shape (batch, units)
    cache : StepCache
    """
    x_t = as_float_array(x_t, "x_t", ndim=2, allow_nan=True)
    _check_weights(x_t.shape[1], kernel, recurrent_kernel, bias, 1)
    _check_state(h_prev, "h_prev", x_t.shape[0], recurrent_kernel.shape[0])
    h, cell = rnn_cell_forward(x_t @ kernel + bias, h_prev, recurrent_kernel)
    return h, StepCache(x_t, kernel, cell)


def rnn_step_backward(dh, cache):
    """Gradients of :func:`rnn_step_forward`; ``dh`` is the gradient of ``h_t``, (batch, units).

    Returns ``(dx_t, dh_prev, dkernel, drecurrent_kernel, dbias)`` with the
    shapes of ``x_t``, ``h_prev``, ``kernel``, ``recurrent_kernel`` and ``bias``.
    """
    x_t, kernel, cell = cache
    _check_state(dh, "dh", *cell.h.shape)
    dz, dh_prev = rnn_cell_backward(dh, cell)
    return dz @ kernel.T, dh_prev, x_t.T @ dz, cell.h_prev.T @ dz, dz.sum(axis=0)


def lstm_step_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM step (see the module docstring for the equations).

    Parameters
    ----------
    x_t : ndarray, shape (batch, features)
    h_prev, c_prev : ndarray, shape (batch, units)
    kernel : ndarray, shape (features, 4 * units)
    recurrent_kernel : ndarray, shape (units, 4 * units)
    bias : ndarray, shape (4 * units,)

    Returns
    -------
    h, c : ndarray, shape (batch, units)
    cache : StepCache
    """
    x_t = as_float_array(x_t, "x_t", ndim=2, allow_nan=True)
    _check_weights(x_t.shape[1], kernel, recurrent_kernel, bias, 4)
    for state, name in ((h_prev, "h_prev"), (c_prev, "c_prev")):
        _check_state(state, name, x_t.shape[0], recurrent_kernel.shape[0])
    h, c, cell = lstm_cell_forward(x_t @ kernel + bias, h_prev, c_prev, recurrent_kernel)
    return h, c, StepCache(x_t, kernel, cell)


def lstm_step_backward(dh, dc, cache):
    """Gradients of :func:`lstm_step_forward`; ``dh``, ``dc`` are the gradients of ``h_t``, ``c_t``.

    Returns ``(dx_t, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias)``.
    """
    x_t, kernel, cell = cache
    for grad, name in ((dh, "dh"), (dc, "dc")):
        _check_state(grad, name, *cell.h_prev.shape)
    dz, dh_prev, dc_prev = lstm_cell_backward(dh, dc, cell)
    return dz @ kernel.T, dh_prev, dc_prev, x_t.T @ dz, cell.h_prev.T @ dz, dz.sum(axis=0)


# -- whole sequences: what the layers run -----------------------------------------------------
def _input_projections(x, kernel, bias):
    """``x_t W + b`` for every step ``t`` with one matrix product: (batch, timesteps, k * units)."""
    n, steps, features = x.shape
    return (x.reshape(n * steps, features) @ kernel + bias).reshape(n, steps, -1)


def _check_sequence(x, kernel, recurrent_kernel, bias, k):
    x = as_float_array(x, "x", ndim=3, allow_nan=True)
    _check_weights(x.shape[2], kernel, recurrent_kernel, bias, k)
    return x


def _check_dhs(dhs, cache):
    n, steps, _ = cache.x.shape
    units = cache.recurrent_kernel.shape[0]
    if dhs.shape != (n, steps, units):
        raise ValueError(f"the gradient of the outputs must have shape {(n, steps, units)}, got {dhs.shape}")


def _weight_gradients(dz, cache, compute_dx):
    """Sum the step gradients over time with one product each: ``dW = sum_t x_t^T dz_t`` etc.

    ``dz`` is (batch, timesteps, k * units).  Returns ``(dx, dkernel, drecurrent_kernel, dbias)``.
    """
    x, kernel, _, cells = cache
    n, steps, features = x.shape
    dz2 = dz.reshape(n * steps, -1)
    h_prev = np.stack([cell.h_prev for cell in cells], axis=1).reshape(n * steps, -1)
    dx = (dz2 @ kernel.T).reshape(x.shape) if compute_dx else None
    return dx, x.reshape(n * steps, features).T @ dz2, h_prev.T @ dz2, dz2.sum(axis=0)


def rnn_forward(x, kernel, recurrent_kernel, bias):
    """SimpleRNN over a sequence from ``h_0 = 0``.

    Parameters
    ----------
    x : ndarray, shape (batch, timesteps, features)
    kernel, recurrent_kernel, bias : as in :func:`rnn_step_forward`

    Returns
    -------
    hs : ndarray, shape (batch, timesteps, units)   all states h_1 ... h_T
    cache : SequenceCache, for :func:`rnn_backward`
    """
    x = _check_sequence(x, kernel, recurrent_kernel, bias, 1)
    n, steps, _ = x.shape
    xw = _input_projections(x, kernel, bias)            # x_t W + b for all t at once
    h = np.zeros((n, recurrent_kernel.shape[0]), dtype=xw.dtype)
    hs = np.empty((n, steps, h.shape[1]), dtype=xw.dtype)
    cells = []
    for t in range(steps):
        h, cell = rnn_cell_forward(xw[:, t], h, recurrent_kernel)
        hs[:, t] = h
        cells.append(cell)
    return hs, SequenceCache(x, kernel, recurrent_kernel, cells)


def rnn_backward(dhs, cache, compute_dx=True):
    """Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dhs : ndarray, shape (batch, timesteps, units)
        Gradient of the loss with respect to every state ``h_t`` (zeros where a state is unused).
    cache : SequenceCache
    compute_dx : bool
        Skip ``dx`` (return None) when nothing upstream needs it.

    Returns
    -------
    dx : ndarray, shape (batch, timesteps, features), or None
    dkernel, drecurrent_kernel, dbias : the shapes of the weights
    """
    _check_dhs(dhs, cache)
    dz = np.empty(dhs.shape, dtype=dhs.dtype)
    dh_next = np.zeros_like(dhs[:, 0])                   # what h_t receives from step t + 1
    for t in reversed(range(dhs.shape[1])):
        dz[:, t], dh_next = rnn_cell_backward(dhs[:, t] + dh_next, cache.cells[t])
    return _weight_gradients(dz, cache, compute_dx)


def lstm_forward(x, kernel, recurrent_kernel, bias):
    """LSTM over a sequence from ``h_0 = c_0 = 0``.

    Parameters
    ----------
    x : ndarray, shape (batch, timesteps, features)
    kernel, recurrent_kernel, bias : as in :func:`lstm_step_forward`

    Returns
    -------
    hs : ndarray, shape (batch, timesteps, units)   all hidden states h_1 ... h_T
    cache : SequenceCache, for :func:`lstm_backward`
    """
    x = _check_sequence(x, kernel, recurrent_kernel, bias, 4)
    n, steps, _ = x.shape
    xw = _input_projections(x, kernel, bias)            # x_t W + b for all t at once
    h = np.zeros((n, recurrent_kernel.shape[0]), dtype=xw.dtype)
    c = np.zeros_like(h)
    hs = np.empty((n, steps, h.shape[1]), dtype=xw.dtype)
    cells = []
    for t in range(steps):
        h, c, cell = lstm_cell_forward(xw[:, t], h, c, recurrent_kernel)
        hs[:, t] = h
        cells.append(cell)
    return hs, SequenceCache(x, kernel, recurrent_kernel, cells)


def lstm_backward(dhs, cache, compute_dx=True):
    """Backpropagation through time for :func:`lstm_forward`; arguments and results as in
    :func:`rnn_backward`, with ``dz`` four gate blocks wide."""
    _check_dhs(dhs, cache)
    n, steps, units = dhs.shape
    dz = np.empty((n, steps, 4 * units), dtype=dhs.dtype)
    dh_next = np.zeros_like(dhs[:, 0])                   # what h_t receives from step t + 1
    dc_next = np.zeros_like(dh_next)                     # what c_t receives from step t + 1
    for t in reversed(range(steps)):
        dz[:, t], dh_next, dc_next = lstm_cell_backward(dhs[:, t] + dh_next, dc_next, cache.cells[t])
    return _weight_gradients(dz, cache, compute_dx)
