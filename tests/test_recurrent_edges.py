"""Recurrent cells and sequences: a SimpleRNN step by hand, dtypes kept through BPTT, NaN
propagation and the messages for wrong shapes."""
import numpy as np
import pytest

from dlref import recurrent as R


def test_rnn_step_by_hand():
    x = np.array([[1.0, -1.0]])
    h = np.array([[0.5]])
    W, U, b = np.array([[0.2], [0.1]]), np.array([[2.0]]), np.array([-0.3])
    out, _ = R.rnn_step_forward(x, h, W, U, b)
    assert out[0, 0] == pytest.approx(np.tanh(0.2 - 0.1 + 1.0 - 0.3), rel=1e-15)


@pytest.mark.parametrize("k,forward,backward", [(1, R.rnn_forward, R.rnn_backward),
                                                (4, R.lstm_forward, R.lstm_backward)])
def test_float32_stays_float32_through_bptt(k, forward, backward):
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)
    x, W, U, b = f32(2, 3, 4), f32(4, 2 * k), f32(2, 2 * k), f32(2 * k)
    hs, cache = forward(x, W, U, b)
    assert hs.dtype == np.float32
    grads = backward(f32(2, 3, 2), cache)
    assert [g.dtype for g in grads] == [np.float32] * 4


@pytest.mark.parametrize("k,forward", [(1, R.rnn_forward), (4, R.lstm_forward)])
def test_nan_inputs_give_nan_states(k, forward):
    x = np.zeros((1, 2, 1))
    x[0, 0, 0] = np.nan
    hs, _ = forward(x, np.ones((1, k)), np.ones((1, k)), np.zeros(k))
    assert np.isnan(hs).all()
    h, _ = R.rnn_step_forward(x[:, 0], np.zeros((1, 1)), np.ones((1, 1)), np.ones((1, 1)), np.zeros(1))
    assert np.isnan(h).all()
    h, c, _ = R.lstm_step_forward(x[:, 0], np.zeros((1, 1)), np.zeros((1, 1)), np.ones((1, 4)),
                                  np.ones((1, 4)), np.zeros(4))
    assert np.isnan(h).all() and np.isnan(c).all()


def test_messages():
    x = np.ones((2, 3))
    W, U, b = np.ones((3, 8)), np.ones((2, 8)), np.zeros(8)
    h = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"^recurrent_kernel must have shape \(units, 4 \* units\), got \(2, 2\)$"):
        R.lstm_step_forward(x, h, h, W, np.ones((2, 2)), b)
    with pytest.raises(ValueError, match=r"^bias must have shape \(8,\), got \(3,\)$"):
        R.lstm_step_forward(x, h, h, W, U, np.zeros(3))
    with pytest.raises(ValueError, match=r"^x_t must have 2 dimensions, got shape \(1, 2, 3\)"):
        R.lstm_step_forward(x[None], h, h, W, U, b)
    with pytest.raises(ValueError, match=r"^c_prev must have shape \(batch, units\) = \(2, 2\), got \(2, 3\)$"):
        R.lstm_step_forward(x, h, np.zeros((2, 3)), W, U, b)
    _, _, cache = R.lstm_step_forward(x, h, h, W, U, b)
    with pytest.raises(ValueError, match=r"^dh must have shape \(batch, units\) = \(2, 2\), got \(2, 3\)$"):
        R.lstm_step_backward(np.zeros((2, 3)), h, cache)
    with pytest.raises(ValueError, match=r"^dc must have shape \(batch, units\) = \(2, 2\), got \(1, 2\)$"):
        R.lstm_step_backward(h, np.zeros((1, 2)), cache)
    W1, U1, b1 = np.ones((3, 2)), np.ones((2, 2)), np.zeros(2)
    with pytest.raises(ValueError, match=r"^x_t must have 2 dimensions, got shape \(3,\)"):
        R.rnn_step_forward(x[0], h, W1, U1, b1)
    with pytest.raises(ValueError, match=r"^h_prev must have shape \(batch, units\) = \(2, 2\), got \(2, 3\)$"):
        R.rnn_step_forward(x, np.zeros((2, 3)), W1, U1, b1)
    _, cache = R.rnn_step_forward(x, h, W1, U1, b1)
    with pytest.raises(ValueError, match=r"^dh must have shape \(batch, units\) = \(2, 2\), got \(3, 2\)$"):
        R.rnn_step_backward(np.zeros((3, 2)), cache)
