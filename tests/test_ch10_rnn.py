"""Chapter 10's claims: the recurrent Jacobian, vanishing gradients, the LSTM's gates and cell
path, and dlref.attention (forward, masks, scaling, and its backward pass checked numerically)."""
import numpy as np
import pytest

from dlref import attention, recurrent
from dlref.activations import sigmoid, softmax
from dlref.gradcheck import numerical_gradient, numerical_vjp, rel_error
from dlref.layers import LSTM, SimpleRNN

A = attention


def attention_by_loops(q, k, v, mask=None):
    """The formula softmax(q k^T / sqrt(d_k)) v, one query row at a time (2-D inputs)."""
    d_k = q.shape[-1]
    out = np.zeros((q.shape[0], v.shape[1]))
    weights = np.zeros((q.shape[0], k.shape[0]))
    for i in range(q.shape[0]):
        keep = np.ones(k.shape[0], bool) if mask is None else mask[i]
        s = np.array([q[i] @ k[j] / np.sqrt(d_k) for j in range(k.shape[0])])
        w = np.where(keep, np.exp(s - s[keep].max()), 0.0)
        weights[i] = w / w.sum()
        out[i] = sum(weights[i, j] * v[j] for j in range(k.shape[0]))
    return out, weights


# -- scaled dot-product attention: forward ------------------------------------------------------
@pytest.mark.parametrize("t_q, t_k, d_k, d_v", [(1, 1, 1, 1), (3, 5, 4, 2), (6, 6, 8, 8), (4, 1, 3, 5)])
def test_attention_is_the_formula_of_the_chapter(t_q, t_k, d_k, d_v, rng):
    q, k, v = rng.normal(size=(t_q, d_k)), rng.normal(size=(t_k, d_k)), rng.normal(size=(t_k, d_v))
    out, weights = A.scaled_dot_product_attention(q, k, v)
    out_ref, weights_ref = attention_by_loops(q, k, v)
    np.testing.assert_allclose(weights, weights_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out, out_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(weights, softmax(q @ k.T / np.sqrt(d_k)), rtol=1e-12)


def test_one_key_gets_all_the_weight_and_returns_its_value(rng):
    q, k, v = rng.normal(size=(4, 3)), rng.normal(size=(1, 3)), rng.normal(size=(1, 2))
    out, weights = A.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(weights, np.ones((4, 1)))
    np.testing.assert_allclose(out, np.repeat(v, 4, axis=0), rtol=1e-15)


def test_leading_batch_axes_are_independent_problems(rng):
    q, k, v = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(2, 3, 6, 2))
    out, weights = A.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 4, 2) and weights.shape == (2, 3, 4, 6)
    for a in range(2):
        for b in range(3):
            o, w = attention_by_loops(q[a, b], k[a, b], v[a, b])
            np.testing.assert_allclose(out[a, b], o, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(weights[a, b], w, rtol=1e-12, atol=1e-15)


def test_a_causal_mask_is_attention_over_the_prefix(rng):
    t, d = 5, 3
    q, k, v = rng.normal(size=(t, d)), rng.normal(size=(t, d)), rng.normal(size=(t, 2))
    causal = np.tril(np.ones((t, t), bool))
    out, weights = A.scaled_dot_product_attention(q, k, v, mask=causal)
    assert np.all(weights[~causal] == 0.0)                  # exactly zero, not just small
    for i in range(t):
        o, w = A.scaled_dot_product_attention(q[i:i + 1], k[:i + 1], v[:i + 1])
        np.testing.assert_allclose(out[i], o[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(weights[i, :i + 1], w[0], rtol=1e-12)
    out_loop, _ = attention_by_loops(q, k, v, causal)
    np.testing.assert_allclose(out, out_loop, rtol=1e-12, atol=1e-15)


def test_a_mask_broadcasts_over_the_batch(rng):
    q, k, v = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    keys_kept = np.array([True, False, True, True])          # (T_k,): the same for every query
    _, weights = A.scaled_dot_product_attention(q, k, v, mask=keys_kept)
    assert np.all(weights[..., 1] == 0.0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


def test_large_scores_do_not_overflow(rng):
    q = np.array([[2000.0, 0.0], [-2000.0, 0.0]])        # scores of +-1414 and 0
    k = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    v = np.eye(3)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, weights = A.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(weights, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(out, weights)


def test_dividing_by_sqrt_dk_keeps_the_scores_at_unit_variance(rng):
    # the chapter's argument: q . k of unit-variance entries has variance d_k
    for d_k in (4, 64, 256):
        q, k = rng.normal(size=(400, d_k)), rng.normal(size=(400, d_k))
        raw = q @ k.T
        assert raw.var() == pytest.approx(d_k, rel=0.1)
        assert (raw / np.sqrt(d_k)).var() == pytest.approx(1.0, rel=0.1)


def test_float32_stays_float32(rng):
    q, k, v = (rng.normal(size=(2, 3, 4)).astype(np.float32) for _ in range(3))
    out, weights, _ = A.scaled_dot_product_attention_forward(q, k, v)
    assert out.dtype == np.float32 and weights.dtype == np.float32
    dq, dk, dv = A.scaled_dot_product_attention_backward(np.ones_like(out), _)
    assert dq.dtype == dk.dtype == dv.dtype == np.float32


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((np.zeros((2, 3)), np.zeros((4, 2)), np.zeros((4, 1))), {}, ValueError, "same length d_k"),
    ((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((5, 1))), {}, ValueError, "one value per key"),
    ((np.zeros(3), np.zeros((4, 3)), np.zeros((4, 1))), {}, ValueError, "at least 2 dimensions"),
    ((np.zeros((2, 2, 3)), np.zeros((3, 4, 3)), np.zeros((3, 4, 1))), {}, ValueError, "leading"),
    ((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((4, 1))), {"mask": np.ones((2, 4))}, TypeError, "boolean"),
    ((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((4, 1))), {"mask": np.ones((3, 4), bool)}, ValueError,
     "does not broadcast"),
    ((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((4, 1))),
     {"mask": np.array([[True] * 4, [False] * 4])}, ValueError, "at least one key"),
    ((np.full((2, 3), np.nan), np.zeros((4, 3)), np.zeros((4, 1))), {}, ValueError, "NaN"),
    ((np.zeros((2, 0)), np.zeros((4, 0)), np.zeros((4, 1))), {}, ValueError, "d_k >= 1"),
])
def test_bad_inputs_fail_with_a_clear_message(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        A.scaled_dot_product_attention(*args, **kwargs)


def test_backward_rejects_a_gradient_of_the_wrong_shape(rng):
    _, _, cache = A.scaled_dot_product_attention_forward(*(rng.normal(size=(3, 2)) for _ in range(3)))
    with pytest.raises(ValueError, match="shape of the output"):
        A.scaled_dot_product_attention_backward(np.ones((3, 3)), cache)


# -- scaled dot-product attention: backward, checked by centred differences ------------------------
def attention_gradient_errors(backward, q, k, v, mask, dout):
    """Relative errors of ``backward``'s (dq, dk, dv) against centred differences, in float64."""
    _, _, cache = A.scaled_dot_product_attention_forward(q, k, v, mask)
    analytic = backward(dout, cache)
    errors = []
    for i, x in enumerate((q, k, v)):
        def f(_):
            return A.scaled_dot_product_attention(q, k, v, mask)[0]
        errors.append(rel_error(analytic[i], numerical_vjp(f, x, dout)))
    return errors


@pytest.mark.parametrize("shape_q, shape_k, d_v, masked", [
    ((3, 4), (5, 4), 2, False), ((3, 4), (5, 4), 2, True), ((2, 4, 3), (2, 4, 3), 3, True),
    ((1, 1), (1, 1), 1, False), ((2, 3, 2), (2, 1, 2), 4, False)])
def test_attention_backward_passes_the_gradient_check(shape_q, shape_k, d_v, masked, rng):
    q = rng.normal(size=shape_q)
    k = rng.normal(size=shape_k)
    v = rng.normal(size=shape_k[:-1] + (d_v,))
    mask = None
    if masked:
        mask = rng.random(size=shape_q[:-1] + (shape_k[-2],)) < 0.6
        mask[..., 0] = True                                # every query keeps one key
    dout = rng.normal(size=shape_q[:-1] + (d_v,))
    errors = attention_gradient_errors(A.scaled_dot_product_attention_backward, q, k, v, mask, dout)
    assert max(errors) < 1e-7, errors


def test_the_gradient_check_catches_a_broken_attention_backward(rng):
    q, k, v, dout = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2)), rng.normal(size=(3, 2))

    def no_softmax_correction(dout_, cache):     # forgets the "- sum_j dA_j A_j" of the softmax
        dv = cache.weights.T @ dout_
        dscores = cache.weights * (dout_ @ cache.v.T)
        return (dscores @ cache.k) * cache.scale, (dscores.T @ cache.q) * cache.scale, dv

    def no_scale(dout_, cache):                   # forgets the 1 / sqrt(d_k) on the way back
        dq, dk, dv = A.scaled_dot_product_attention_backward(dout_, cache)
        return dq / cache.scale, dk / cache.scale, dv

    for broken in (no_softmax_correction, no_scale):
        errors = attention_gradient_errors(broken, q, k, v, None, dout)
        assert errors[2] < 1e-7                   # dv is still right ...
        assert min(errors[:2]) > 1e-2, (broken.__name__, errors)   # ... and the checker sees dq, dk wrong


# -- the recurrent step and BPTT ------------------------------------------------------------------
def test_the_rnn_jacobian_is_diag_one_minus_h_squared_times_u_transposed(rng):
    units, features = 4, 3
    W, U, b = rng.normal(size=(features, units)), rng.normal(size=(units, units)) * 0.5, rng.normal(size=units)
    x_t, h_prev = rng.normal(size=(1, features)), rng.normal(size=(1, units))
    h, _ = recurrent.rnn_step_forward(x_t, h_prev, W, U, b)
    jac = np.diag(1 - h[0] ** 2) @ U.T                 # J[i, j] = d h_t[i] / d h_{t-1}[j]
    numeric = np.zeros((units, units))
    for j in range(units):
        e = np.zeros((1, units))
        e[0, j] = 1e-6
        numeric[:, j] = (recurrent.rnn_step_forward(x_t, h_prev + e, W, U, b)[0]
                         - recurrent.rnn_step_forward(x_t, h_prev - e, W, U, b)[0])[0] / 2e-6
    assert rel_error(jac, numeric) < 1e-8
    assert rel_error(U.T, numeric) > 1e-2 and rel_error(np.diag(1 - h[0] ** 2) @ U, numeric) > 1e-2
    # row convention: the backward pass multiplies the row gradient by J from the right
    _, cache = recurrent.rnn_step_forward(x_t, h_prev, W, U, b)
    dh = rng.normal(size=(1, units))
    np.testing.assert_allclose(recurrent.rnn_step_backward(dh, cache)[1], dh @ jac, rtol=1e-12)


def test_bptt_sums_the_weight_gradients_over_time(rng):
    n, steps, features, units = 2, 4, 3, 5
    x = rng.normal(size=(n, steps, features))
    W, U, b = rng.normal(size=(features, units)), rng.normal(size=(units, units)) * 0.4, rng.normal(size=units)
    dhs = rng.normal(size=(n, steps, units))
    hs, cache = recurrent.rnn_forward(x, W, U, b)
    _, dW, dU, db = recurrent.rnn_backward(dhs, cache)
    for grad, param in ((dW, W), (dU, U), (db, b)):
        num = numerical_gradient(lambda: float(np.sum(recurrent.rnn_forward(x, W, U, b)[0] * dhs)), param)
        assert rel_error(grad, num) < 1e-7
    # only the last step's own term (what a network without the sum over time would get) is wrong
    _, last = recurrent.rnn_step_forward(x[:, -1], hs[:, -2], W, U, b)
    dW_last = recurrent.rnn_step_backward(dhs[:, -1], last)[2]
    assert rel_error(dW_last, dW) > 0.1


def product_of_jacobians_norm(U, hs):
    """Spectral norm of dh_T/dh_0 = J_T ... J_1, J_t = diag(1 - h_t^2) U^T, for one sequence."""
    prod = np.eye(U.shape[0])
    for h in hs:
        prod = (np.diag(1 - h ** 2) @ U.T) @ prod
    return np.linalg.norm(prod, 2)


def test_the_gradient_shrinks_at_least_as_fast_as_the_largest_singular_value_to_the_lag(rng):
    units, steps = 6, 30
    for gamma in (0.5, 0.9):
        Q, _ = np.linalg.qr(rng.normal(size=(units, units)))
        U = gamma * Q                                     # every singular value is gamma
        x = rng.normal(size=(1, steps, 2))
        hs, _ = recurrent.rnn_forward(x, rng.normal(size=(2, units)), U, np.zeros(units))
        for lag in (1, 10, 30):
            assert product_of_jacobians_norm(U, hs[0, steps - lag:]) <= gamma ** lag * (1 + 1e-12)


def test_near_zero_states_make_the_jacobian_u_transposed_so_norms_go_as_gamma_to_the_lag(rng):
    units, steps = 5, 40
    Q, _ = np.linalg.qr(rng.normal(size=(units, units)))
    x = 1e-6 * rng.normal(size=(1, steps, units))          # tiny inputs keep tanh linear
    ratios = {}
    for gamma in (0.9, 1.1):
        hs, cache = recurrent.rnn_forward(x, np.eye(units), gamma * Q, np.zeros(units))
        dhs = np.zeros_like(hs)
        dhs[:, -1] = rng.normal(size=units)
        dx = recurrent.rnn_backward(dhs, cache)[0]
        norms = np.linalg.norm(dx[0], axis=1)
        ratios[gamma] = norms[0] / norms[-1]
        assert ratios[gamma] == pytest.approx(gamma ** (steps - 1), rel=1e-4)
    assert ratios[0.9] < 0.02 and ratios[1.1] > 40         # vanishing and exploding


def lag_profile(layer, steps=60, n=32, features=8, seed=0):
    """Mean over the batch of ||d(h_T . g)/d x_{T - lag}|| for lag = 0 .. steps - 1, as in the figure."""
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, steps, features))
    y = layer(x, training=True)
    layer.compute_input_grad = True
    dx = layer.backward(r.normal(size=y.shape))
    return np.linalg.norm(dx, axis=2).mean(axis=0)[::-1]


def test_at_keras_initialisation_the_lstm_gradient_outlives_the_simple_rnn_one():
    import dlref
    dlref.set_random_seed(0)
    rnn, lstm = SimpleRNN(32, dtype="float64"), LSTM(32, dtype="float64")
    rnn.build((None, 60, 8))
    lstm.build((None, 60, 8))
    g_rnn, g_lstm = lag_profile(rnn), lag_profile(lstm)
    # both vanish at initialisation ...
    assert g_rnn[50] < 1e-5 * g_rnn[0] and g_lstm[50] < 1e-2 * g_lstm[0]
    # ... but relative to its own lag-0 gradient the LSTM keeps orders of magnitude more at lag 40
    assert (g_lstm[40] / g_lstm[0]) > 30 * (g_rnn[40] / g_rnn[0])
    # a forget gate near 1 (bias 3) keeps the gradient from vanishing over 60 steps
    lstm.params["bias"][32:64] = 3.0
    g_remember = lag_profile(lstm)
    assert g_remember[59] > 0.1 * g_remember[0]


# -- the LSTM's gates -----------------------------------------------------------------------------
def test_lstm_gate_blocks_are_in_keras_order_i_f_c_o(rng):
    units, features = 2, 3
    b_i, b_f, b_c, b_o = 2.0, -1.0, 0.5, -2.0                # asymmetric: every order gives other numbers
    bias = np.repeat([b_i, b_f, b_c, b_o], units)
    c_prev, h_prev = rng.normal(size=(4, units)), rng.normal(size=(4, units))
    zeros_w, zeros_u = np.zeros((features, 4 * units)), np.zeros((units, 4 * units))
    h, c, _ = recurrent.lstm_step_forward(rng.normal(size=(4, features)), h_prev, c_prev, zeros_w, zeros_u, bias)
    c_expected = sigmoid(b_f) * c_prev + sigmoid(b_i) * np.tanh(b_c)
    np.testing.assert_allclose(c, c_expected, rtol=1e-12)
    np.testing.assert_allclose(h, sigmoid(b_o) * np.tanh(c_expected), rtol=1e-12)
    # the CS231n order i, f, o, g read with Keras's weights gives another cell
    c_wrong = sigmoid(b_f) * c_prev + sigmoid(b_i) * np.tanh(b_o)
    assert not np.allclose(c, c_wrong, atol=1e-3)


def test_the_cell_path_multiplies_the_gradient_by_the_forget_gate_only(rng):
    units, steps = 3, 25
    x = rng.normal(size=(2, steps, 2))
    for b_f in (1.0, 5.0):
        bias = np.zeros(4 * units)
        bias[units:2 * units] = b_f
        # no recurrent kernel, so the only path from c_{t-1} to c_t is f * c_{t-1}
        W = rng.normal(size=(2, 4 * units)) * 0.5
        W[:, units:2 * units] = 0.0                       # f = sigmoid(b_f) exactly at every step
        U = np.zeros((units, 4 * units))
        hs, cache = recurrent.lstm_forward(x, W, U, bias)
        dc = np.ones((2, units))
        for t in reversed(range(steps)):
            _, _, dc = recurrent.lstm_cell_backward(np.zeros((2, units)), dc, cache.cells[t])
        np.testing.assert_allclose(dc, sigmoid(b_f) ** steps, rtol=1e-12)
    assert sigmoid(5.0) ** 25 > 0.8 > 1e-3 > sigmoid(1.0) ** 25
