"""Textbook form first: every formula the book teaches has its literal form in dlref, and where
Keras parity or speed needs another form, the two are checked to agree here (float64)."""
import math
import warnings

import numpy as np
import pytest

from dlref import activations, optimizers
from dlref import functional as F
from dlref import recurrent as R
from dlref.gradcheck import rel_error


# -- sigmoid ---------------------------------------------------------------------------------
def test_stable_sigmoid_equals_the_formula(rng):
    x = np.concatenate([np.linspace(-29.999, 29.999, 20001), rng.uniform(-30, 30, 1000), [0.0, -0.0]])
    np.testing.assert_allclose(activations.sigmoid(x), activations.sigmoid_textbook(x), rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_sigmoid_has_exact_limits_and_no_warnings(dtype):
    x = np.array([-1e4, -800.0, 0.0, 800.0, 1e4], dtype=dtype)
    # no overflow, no inf - inf or 0 / 0; exp(-1e4) does underflow to 0, which is harmless
    # and which NumPy ignores by default
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = activations.sigmoid(x)
    assert s.dtype == dtype
    assert s.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_textbook_sigmoid_overflows_noisily_but_gives_the_limit():
    with pytest.warns(RuntimeWarning, match="overflow"):
        s = activations.sigmoid_textbook(np.array([-1e4, 1e4]))
    assert s.tolist() == [0.0, 1.0]
    assert activations.sigmoid_textbook(np.float32(2.0)).dtype == np.float32


# -- optimizers ---------------------------------------------------------------------------------
def _steps(rng, shape=(4, 3), n=6, scale=1.0):
    return [scale * rng.standard_normal(shape) for _ in range(n)]


def test_adam_keras_form_is_the_textbook_form_with_a_scaled_epsilon(rng):
    """Keras's step with epsilon equals the paper's step with epsilon / sqrt(1 - beta_2^t)."""
    eps, b1, b2, lr = 1e-3, 0.9, 0.999, 0.01
    w0 = rng.standard_normal((4, 3))
    grads = _steps(rng, scale=1e-2)            # small gradients, so that epsilon matters
    opt = optimizers.Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps)
    w_opt = w0.copy()
    w_keras, w_text, w_text_same_eps = w0.copy(), w0.copy(), w0.copy()
    mk = vk = mt = vt = ms = vs = np.zeros_like(w0)
    for t, g in enumerate(grads, start=1):
        opt.apply([g], [w_opt])
        w_keras, mk, vk = optimizers.adam_update(w_keras, g, mk, vk, t, lr, b1, b2, eps)
        w_text, mt, vt = optimizers.adam_update_textbook(w_text, g, mt, vt, t, lr, b1, b2,
                                                         eps / math.sqrt(1 - b2 ** t))
        w_text_same_eps, ms, vs = optimizers.adam_update_textbook(w_text_same_eps, g, ms, vs, t,
                                                                  lr, b1, b2, eps)
        np.testing.assert_allclose(w_opt, w_keras, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(w_text, w_keras, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(mk, mt, rtol=1e-12)
    # with the same epsilon the two forms differ, and the difference is epsilon's doing
    assert np.max(np.abs(w_text_same_eps - w_keras)) > 1e-6


def test_adam_forms_agree_approximately_with_the_same_epsilon(rng):
    w = rng.standard_normal(50)
    wk, wt, mk, vk, mt, vt = w, w, 0.0, 0.0, 0.0, 0.0
    for t, g in enumerate(_steps(rng, shape=(50,), n=20), start=1):
        wk, mk, vk = optimizers.adam_update(wk, g, mk, vk, t)
        wt, mt, vt = optimizers.adam_update_textbook(wt, g, mt, vt, t)
    assert rel_error(wt - w, wk - w) < 1e-5          # the steps taken, not just the weights


def test_rmsprop_and_sgd_classes_run_their_formulas(rng):
    w0 = rng.standard_normal((5, 2))
    grads = _steps(rng, shape=(5, 2))
    rms, w_rms, w_f, v = optimizers.RMSprop(0.01, rho=0.8, epsilon=1e-4), w0.copy(), w0.copy(), 0.0
    for g in grads:
        rms.apply([g], [w_rms])
        w_f, v = optimizers.rmsprop_update(w_f, g, v, 0.01, 0.8, 1e-4)
        np.testing.assert_allclose(w_rms, w_f, rtol=1e-12)
    for nesterov in (False, True):
        sgd, w_sgd, w_f, m = optimizers.SGD(0.1, momentum=0.9, nesterov=nesterov), w0.copy(), w0.copy(), 0.0
        for g in grads:
            sgd.apply([g], [w_sgd])
            w_f, m = optimizers.momentum_update(w_f, g, m, 0.1, 0.9, nesterov)
            np.testing.assert_allclose(w_sgd, w_f, rtol=1e-12)
    plain, w_sgd = optimizers.SGD(0.1), w0.copy()
    plain.apply([grads[0]], [w_sgd])
    np.testing.assert_allclose(w_sgd, optimizers.sgd_update(w0, grads[0], 0.1), rtol=1e-12)


@pytest.mark.parametrize("cls", [optimizers.Adam, optimizers.RMSprop])
def test_optimizers_keep_float32(cls, rng):
    w = rng.standard_normal((3, 4)).astype(np.float32)
    opt = cls(0.01)
    opt.apply([np.ones_like(w)], [w])
    assert w.dtype == np.float32
    assert all(s.dtype == np.float32 for s in opt._slots[id(w)][1].values())


@pytest.mark.parametrize("cls", [optimizers.SGD, optimizers.RMSprop, optimizers.Adam])
def test_learning_rate_zero_is_allowed_and_changes_nothing(cls, rng):
    w = rng.standard_normal((3, 2))
    w0 = w.copy()
    opt = cls(learning_rate=0)
    opt.apply([rng.standard_normal((3, 2))], [w])
    assert opt.learning_rate == 0.0 and opt.get_config()["learning_rate"] == 0.0
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("bad", [-1, -1e-9, float("nan"), "0.1", None, True, [0.1]])
def test_learning_rate_must_be_a_non_negative_number(bad):
    with pytest.raises(ValueError, match="learning_rate must be a positive number or 0"):
        optimizers.Adam(learning_rate=bad)


# -- recurrent: the sequence functions are loops over the textbook steps ---------------------
def _recurrent_case(rng, k, n=3, steps=5, features=4, units=6):
    x = rng.standard_normal((n, steps, features))
    w = 0.5 * rng.standard_normal((features, k * units))
    u = 0.5 * rng.standard_normal((units, k * units))
    b = 0.3 * rng.standard_normal(k * units)
    return x, w, u, b, rng.standard_normal((n, steps, units))


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_rnn_sequence_equals_a_loop_of_textbook_steps(rng):
    x, w, u, b, dhs = _recurrent_case(rng, 1)
    hs, cache = R.rnn_forward(x, w, u, b)
    h, caches = np.zeros((x.shape[0], u.shape[0])), []
    for t in range(x.shape[1]):
        h, step_cache = R.rnn_step_forward(x[:, t], h, w, u, b)
        _close(hs[:, t], h)
        caches.append(step_cache)
    dx, dw, du, db = R.rnn_backward(dhs, cache)
    dh_next = np.zeros_like(h)
    sums = [np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)]
    for t in reversed(range(x.shape[1])):
        dx_t, dh_next, *dweights = R.rnn_step_backward(dhs[:, t] + dh_next, caches[t])
        _close(dx[:, t], dx_t)
        sums = [s + d for s, d in zip(sums, dweights)]
    for total, got in zip(sums, (dw, du, db)):
        _close(got, total)
    assert R.rnn_backward(dhs, cache, compute_dx=False)[0] is None


def test_lstm_sequence_equals_a_loop_of_textbook_steps(rng):
    x, w, u, b, dhs = _recurrent_case(rng, 4)
    hs, cache = R.lstm_forward(x, w, u, b)
    h = c = np.zeros((x.shape[0], u.shape[0]))
    caches = []
    for t in range(x.shape[1]):
        h, c, step_cache = R.lstm_step_forward(x[:, t], h, c, w, u, b)
        _close(hs[:, t], h)
        caches.append(step_cache)
    dx, dw, du, db = R.lstm_backward(dhs, cache)
    dh_next = dc_next = np.zeros_like(h)
    sums = [np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)]
    for t in reversed(range(x.shape[1])):
        dx_t, dh_next, dc_next, *dweights = R.lstm_step_backward(dhs[:, t] + dh_next, dc_next, caches[t])
        _close(dx[:, t], dx_t)
        sums = [s + d for s, d in zip(sums, dweights)]
    for total, got in zip(sums, (dw, du, db)):
        _close(got, total)


def test_lstm_step_is_the_textbook_formula(rng):
    """Gate order i, f, c, o, written out with the textbook sigmoid."""
    x, w, u, b, _ = _recurrent_case(rng, 4, steps=1)
    h_prev, c_prev = rng.standard_normal((3, 6)), rng.standard_normal((3, 6))
    z_i, z_f, z_c, z_o = np.split(x[:, 0] @ w + h_prev @ u + b, 4, axis=1)
    sig = activations.sigmoid_textbook
    c = sig(z_f) * c_prev + sig(z_i) * np.tanh(z_c)
    h_got, c_got, cache = R.lstm_step_forward(x[:, 0], h_prev, c_prev, w, u, b)
    _close(c_got, c)
    _close(h_got, sig(z_o) * np.tanh(c))
    assert cache.cell.h_prev is h_prev and cache.x_t.shape == (3, 4)
    h_rnn, _ = R.rnn_step_forward(x[:, 0], h_prev, w[:, :6], u[:, :6], b[:6])
    _close(h_rnn, np.tanh(x[:, 0] @ w[:, :6] + h_prev @ u[:, :6] + b[:6]))


def test_recurrent_functions_reject_bad_shapes(rng):
    x, w, u, b, dhs = _recurrent_case(rng, 4)
    with pytest.raises(ValueError, match=r"h_prev must have shape \(batch, units\) = \(3, 6\)"):
        R.lstm_step_forward(x[:, 0], np.zeros((3, 5)), np.zeros((3, 6)), w, u, b)
    with pytest.raises(ValueError, match=r"kernel must have shape \(4, 6\)"):
        R.rnn_step_forward(x[:, 0], np.zeros((3, 6)), w, u[:, :6], b[:6])
    with pytest.raises(ValueError, match="x must have 3 dimensions"):
        R.lstm_forward(x[:, 0], w, u, b)
    _, cache = R.lstm_forward(x, w, u, b)
    with pytest.raises(ValueError, match="gradient of the outputs must have shape"):
        R.lstm_backward(dhs[:, 1:], cache)


# -- convolution and pooling: the loop definitions against the fast versions ---------------------
CASES = [  # (height, width, window, strides, padding)
    (5, 5, (3, 3), (1, 1), "valid"),
    (7, 6, (3, 2), (2, 2), "valid"),
    (6, 6, (2, 2), (1, 1), "same"),
    (7, 5, (3, 2), (2, 1), "same"),
    (8, 8, (2, 2), (2, 2), "same"),
]


@pytest.mark.parametrize("h,w,k,s,p", CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_backward_naive_equals_im2col(h, w, k, s, p, with_bias, rng):
    x, kernel = rng.standard_normal((2, h, w, 3)), rng.standard_normal(k + (3, 4))
    bias = rng.standard_normal(4) if with_bias else None
    out, cache = F.conv2d_forward(x, kernel, bias, s, p)
    dout = rng.standard_normal(out.shape)
    dx, dk, db = F.conv2d_backward(dout, cache)
    ndx, ndk, ndb = F.conv2d_backward_naive(dout, x, kernel, s, p)
    np.testing.assert_allclose(ndx, dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ndk, dk, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ndb, dout.sum(axis=(0, 1, 2)), rtol=1e-12)
    assert (db is None) == (not with_bias)


@pytest.mark.parametrize("h,w,pool,s,p", CASES + [(6, 7, (3, 3), (1, 2), "same")])
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_naive_equals_the_strided_version(h, w, pool, s, p, ties, rng):
    x = rng.integers(0, 3, (2, h, w, 3)).astype(np.float64) if ties else rng.standard_normal((2, h, w, 3))
    out, cache = F.max_pool2d_forward(x, pool, s, p)
    np.testing.assert_array_equal(F.max_pool2d_forward_naive(x, pool, s, p), out)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(F.max_pool2d_backward_naive(dout, x, pool, s, p),
                               F.max_pool2d_backward(dout, cache), rtol=1e-12, atol=1e-15)


def test_naive_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.array([[0.0, 2.0], [2.0, 1.0]]).reshape(1, 2, 2, 1)
    dx = F.max_pool2d_backward_naive(np.ones((1, 1, 1, 1)), x, 2)
    assert dx[0, :, :, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_naive_backward_passes_reject_a_wrong_dout():
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 3, 3, 2\)"):
        F.conv2d_backward_naive(np.zeros((1, 3, 3, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 2)))
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 2, 1\)"):
        F.max_pool2d_backward_naive(np.zeros((1, 3, 3, 1)), np.zeros((1, 4, 4, 1)), 2)
