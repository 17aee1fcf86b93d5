"""Conv2D, MaxPooling2D, SimpleRNN and LSTM: gradient checks in float64, the readable loop
version against the vectorised one, and the errors they give."""
import numpy as np
import pytest

from dlref import functional as F
from dlref import models
from dlref.gradcheck import check_layer, numerical_gradient, numerical_vjp, rel_error
from dlref.layers import LSTM, Conv2D, Dense, Flatten, MaxPooling2D, SimpleRNN

TOL = 1e-7

CONV_CASES = [  # (height, width, kernel, strides, padding): square and non-square, odd sizes
    (5, 5, (3, 3), (1, 1), "valid"),
    (7, 6, (3, 2), (2, 2), "valid"),
    (6, 6, (2, 2), (1, 1), "same"),      # even kernel: the extra padding goes after
    (7, 5, (4, 2), (2, 1), "same"),
    (9, 9, (3, 3), (2, 2), "same"),
]


@pytest.mark.parametrize("h,w,k,s,p", CONV_CASES)
def test_im2col_matches_the_loop_definition(h, w, k, s, p, rng):
    x = rng.standard_normal((3, h, w, 2))
    kernel, bias = rng.standard_normal(k + (2, 4)), rng.standard_normal(4)
    fast, _ = F.conv2d_forward(x, kernel, bias, s, p)
    slow = F.conv2d_forward_naive(x, kernel, bias, s, p)
    assert fast.shape == slow.shape
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("h,w,k,s,p", CONV_CASES)
def test_conv2d_layer_gradients(h, w, k, s, p, rng):
    layer = Conv2D(3, k, strides=s, padding=p, activation="tanh", dtype="float64")
    layer.build((2, h, w, 2))
    layer.params["bias"][...] = rng.standard_normal(3)
    errors = check_layer(layer, rng.standard_normal((2, h, w, 2)))
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("pool,strides,padding,h,w", [((2, 2), None, "valid", 6, 6), ((2, 2), None, "valid", 7, 5),
                                                     ((3, 3), (2, 2), "valid", 7, 7), ((2, 3), (1, 2), "same", 5, 6)])
def test_max_pool_gradients(pool, strides, padding, h, w, rng):
    layer = MaxPooling2D(pool, strides, padding, dtype="float64")
    assert check_layer(layer, rng.standard_normal((2, h, w, 3)))["x"] < TOL


def test_max_pool_ties_go_to_the_first_maximum():
    x = np.zeros((1, 2, 2, 1))
    out, cache = F.max_pool2d_forward(x, 2)
    dx = F.max_pool2d_backward(np.ones_like(out), cache)
    assert dx[0, :, :, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM])
@pytest.mark.parametrize("steps,return_sequences", [(1, False), (1, True), (5, False), (5, True)])
def test_recurrent_layer_gradients(cls, steps, return_sequences, rng):
    layer = cls(4, return_sequences=return_sequences, dtype="float64")
    layer.build((3, steps, 2))
    layer.params["bias"][...] = 0.3 * rng.standard_normal(layer.params["bias"].shape)
    errors = check_layer(layer, rng.standard_normal((3, steps, 2)))
    assert set(errors) == {"x", "kernel", "recurrent_kernel", "bias"}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("step_pair", ["rnn", "lstm"])
def test_single_step_functions(step_pair, rng):
    n, d, u = 3, 2, 4
    k = 4 if step_pair == "lstm" else 1
    x, h = rng.standard_normal((n, d)), rng.standard_normal((n, u))
    c = rng.standard_normal((n, u))
    W, U, b = rng.standard_normal((d, k * u)), rng.standard_normal((u, k * u)), rng.standard_normal(k * u)
    dh, dc = rng.standard_normal((n, u)), rng.standard_normal((n, u))
    if step_pair == "rnn":
        fwd = lambda x_, h_, W_, U_, b_: F.rnn_step_forward(x_, h_, W_, U_, b_)[0]
        _, cache = F.rnn_step_forward(x, h, W, U, b)
        grads = F.rnn_step_backward(dh, cache)
        args = [x, h, W, U, b]
        numeric = [numerical_vjp(lambda v, i=i: fwd(*[v if j == i else a for j, a in enumerate(args)]), a, dh)
                   for i, a in enumerate(args)]
    else:
        def scalar(*a):
            h_new, c_new, _ = F.lstm_step_forward(*a)
            return float(np.sum(h_new * dh) + np.sum(c_new * dc))
        _, _, cache = F.lstm_step_forward(x, h, c, W, U, b)
        dx, dh_prev, dc_prev, dW, dU, db = F.lstm_step_backward(dh, dc, cache)
        grads = [dx, dh_prev, dc_prev, dW, dU, db]
        args = [x, h, c, W, U, b]
        numeric = [numerical_gradient(lambda: scalar(*args), a) for a in args]
    for g, num in zip(grads, numeric):
        assert rel_error(g, num) < TOL


def test_stacked_recurrent_model_and_lstm_forget_bias():
    m = models.Sequential([LSTM(5, return_sequences=True), SimpleRNN(3, return_sequences=True),
                           LSTM(4), Dense(2, activation="softmax")])
    m.build((None, 6, 3))
    assert m.output_shape == (None, 2)
    bias = m.layers[0].params["bias"]
    assert bias[5:10].tolist() == [1.0] * 5 and not bias[:5].any() and not bias[10:].any()
    assert [w.shape for w in m.get_weights()][:3] == [(3, 20), (5, 20), (20,)]


def test_cnn_output_shapes():
    m = models.Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Conv2D(64, 3, activation="relu"),
                           MaxPooling2D(2), Conv2D(64, 3, activation="relu"), Flatten(),
                           Dense(64, activation="relu"), Dense(10, activation="softmax")])
    m.build((None, 28, 28, 1))
    shapes = [None]
    shape = (None, 28, 28, 1)
    for layer in m.layers:
        shape = layer.compute_output_shape(shape)
        shapes.append(shape)
    assert shapes[1:6] == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64),
                           (None, 3, 3, 64)]
    assert m.count_params() == 93322            # the figure keras.Model.summary() gives for this CNN


def test_conv_and_recurrent_errors():
    with pytest.raises(ValueError, match=r"x has 3 channels .* expects 1"):
        F.conv2d_forward(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 1, 2)), None)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same', got 'full'"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d_forward(np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1)), None)
    with pytest.raises(ValueError, match="Conv2D expects images of shape"):
        models.Sequential([Conv2D(2, 3)]).build((None, 28, 28))
    with pytest.raises(ValueError, match="LSTM expects sequences of shape"):
        models.Sequential([LSTM(2)]).build((None, 28))
    with pytest.raises(ValueError, match="kernel_size must be a positive int or a pair"):
        Conv2D(2, (3, 0))


# -- gradient checks of the loop definitions and of the recurrent cells --------------------------
@pytest.mark.parametrize("h,w,k,s,p", CONV_CASES[:4])
def test_conv2d_backward_naive_gradients(h, w, k, s, p, rng):
    x, kernel, bias = rng.standard_normal((2, h, w, 2)), rng.standard_normal(k + (2, 3)), rng.standard_normal(3)
    dout = rng.standard_normal(F.conv2d_forward_naive(x, kernel, bias, s, p).shape)
    dx, dkernel, dbias = F.conv2d_backward_naive(dout, x, kernel, s, p)
    forward = lambda _: F.conv2d_forward_naive(x, kernel, bias, s, p)    # reads the perturbed arrays
    for analytic, wrt in ((dx, x), (dkernel, kernel), (dbias, bias)):
        assert rel_error(analytic, numerical_vjp(forward, wrt, dout)) < TOL


@pytest.mark.parametrize("pool,strides,padding,h,w", [
    ((2, 2), None, "valid", 5, 4), ((3, 3), (1, 1), "valid", 5, 5),
    ((2, 3), (1, 2), "same", 5, 6), ((3, 3), (2, 2), "same", 6, 6)])
def test_max_pool_backward_naive_gradients(pool, strides, padding, h, w, rng):
    x = rng.permutation(2 * h * w * 3).reshape(2, h, w, 3) * 0.01     # distinct values: no ties, no kinks
    out = F.max_pool2d_forward_naive(x, pool, strides, padding)
    dout = rng.standard_normal(out.shape)
    dx = F.max_pool2d_backward_naive(dout, x, pool, strides, padding)
    num = numerical_vjp(lambda v: F.max_pool2d_forward_naive(v, pool, strides, padding), x, dout)
    assert rel_error(dx, num) < TOL


def test_recurrent_cell_gradients(rng):
    n, u = 3, 4
    xw1, xw4 = rng.standard_normal((n, u)), rng.standard_normal((n, 4 * u))
    h, c, dh, dc = (rng.standard_normal((n, u)) for _ in range(4))
    U1, U4 = 0.5 * rng.standard_normal((u, u)), 0.5 * rng.standard_normal((u, 4 * u))
    _, cache = F.rnn_cell_forward(xw1, h, U1)
    dz, dh_prev = F.rnn_cell_backward(dh, cache)
    rnn_h = lambda: F.rnn_cell_forward(xw1, h, U1)[0]
    assert rel_error(dz, numerical_vjp(lambda v: rnn_h(), xw1, dh)) < TOL
    assert rel_error(dh_prev, numerical_vjp(lambda v: rnn_h(), h, dh)) < TOL
    assert rel_error(h.T @ dz, numerical_vjp(lambda v: rnn_h(), U1, dh)) < TOL

    def lstm_loss():
        h_new, c_new, _ = F.lstm_cell_forward(xw4, h, c, U4)
        return float(np.sum(h_new * dh) + np.sum(c_new * dc))
    _, _, cache = F.lstm_cell_forward(xw4, h, c, U4)
    dz, dh_prev, dc_prev = F.lstm_cell_backward(dh, dc, cache)
    for analytic, wrt in ((dz, xw4), (dh_prev, h), (dc_prev, c), (h.T @ dz, U4)):
        assert rel_error(analytic, numerical_gradient(lstm_loss, wrt)) < TOL
