"""Chapter 9's claims about convolution, padding, parameters, pooling and im2col."""
import math

import numpy as np
import pytest

from dlref import conv
from dlref.gradcheck import numerical_gradient, rel_error
from dlref.layers import Conv2D, Dense, Flatten, MaxPooling2D
from dlref.models import Sequential

TOL = 1e-7


def conv_by_definition(x, kernel, bias, stride, pad_before, pad_after):
    """The chapter's triple sum, written independently of dlref: explicit padding and sums."""
    (top, left), (bottom, right) = pad_before, pad_after
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, cin, cout = kernel.shape
    oh = (xp.shape[1] - kh) // stride + 1
    ow = (xp.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, cout))
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                for f in range(cout):
                    out[n, i, j, f] = bias[f] + sum(
                        xp[n, stride * i + u, stride * j + v, c] * kernel[u, v, c, f]
                        for u in range(kh) for v in range(kw) for c in range(cin))
    return out


@pytest.mark.parametrize("n", range(1, 14))
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_output_size_formula_and_tensorflows_same_rule(n, k, s):
    if k <= n:
        out, before, after = conv.padding_amounts(n, k, s, "valid")
        assert (before, after) == (0, 0)
        assert out == math.floor((n - k) / s) + 1
    else:
        with pytest.raises(ValueError, match="does not fit"):
            conv.padding_amounts(n, k, s, "valid")
    out, before, after = conv.padding_amounts(n, k, s, "same")
    assert out == math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    assert (before, after) == (total // 2, total - total // 2)      # the odd one goes after
    assert out == (n + before + after - k) // s + 1                 # the general formula


def test_article_shapes_and_parameter_count():
    model = Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Conv2D(64, 3, activation="relu"),
                        MaxPooling2D(2), Conv2D(64, 3, activation="relu"), Flatten(),
                        Dense(64, activation="relu"), Dense(10, activation="softmax")])
    model.build((None, 28, 28, 1))
    shape, sizes = (None, 28, 28, 1), []
    for layer in model.layers[:5]:
        shape = layer.compute_output_shape(shape)
        sizes.append(shape[1])
    assert sizes == [26, 13, 11, 5, 3]
    assert model.count_params() == 93_322          # the seed's claim, checked in CONTENT.md


@pytest.mark.parametrize("kh, kw, cin, cout", [(3, 3, 1, 32), (3, 3, 32, 64), (5, 2, 3, 7), (1, 1, 4, 2)])
def test_parameters_are_kh_kw_cin_plus_one_times_cout(kh, kw, cin, cout):
    layer = Conv2D(cout, (kh, kw))
    for size in (8, 30):                        # independent of the image size
        layer.built = False
        layer.build((None, size, size, cin))
        assert layer.count_params() == (kh * kw * cin + 1) * cout
    dense = Dense(6 * 6 * cout)                 # the dense layer with as many outputs
    dense.build((None, 8 * 8 * cin))
    assert dense.count_params() == (8 * 8 * cin + 1) * 6 * 6 * cout > layer.count_params()


@pytest.mark.parametrize("h, w, k, s, padding", [(7, 7, 3, 2, "same"), (8, 8, 3, 2, "same"), (7, 9, 4, 2, "same"),
                                                 (3, 3, 5, 1, "same"), (6, 5, 3, 1, "valid"), (5, 5, 1, 2, "valid")])
def test_conv_forward_is_the_triple_sum(h, w, k, s, padding, rng):
    x = rng.standard_normal((2, h, w, 3))
    kernel = rng.standard_normal((k, k, 3, 2))
    bias = rng.standard_normal(2)
    _, top, bottom = conv.padding_amounts(h, k, s, padding)
    _, left, right = conv.padding_amounts(w, k, s, padding)
    expected = conv_by_definition(x, kernel, bias, s, (top, left), (bottom, right))
    fast, _ = conv.conv2d_forward(x, kernel, bias, strides=s, padding=padding)
    np.testing.assert_allclose(fast, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.conv2d_forward_naive(x, kernel, bias, s, padding), expected,
                               rtol=1e-12, atol=1e-12)


def test_same_padding_with_stride_two_pads_after():
    counts = conv.conv2d_forward_naive(np.ones((1, 8, 8, 1)), np.ones((3, 3, 1, 1)), None,
                                       strides=2, padding="same")[0, :, :, 0]
    # window i covers rows 2i .. 2i + 2 of the image, cut at row 7: no padding before
    real_rows = np.array([min(2 * i + 3, 8) - 2 * i for i in range(4)])
    np.testing.assert_array_equal(counts, np.outer(real_rows, real_rows))


def test_im2col_rows_are_receptive_fields_and_the_product_is_the_convolution(rng):
    x = rng.standard_normal((2, 6, 5, 3))
    kernel = rng.standard_normal((3, 2, 3, 4))
    cols = conv.im2col(x, 3, 2, (2, 1), 2, 4)
    assert cols.shape == (2 * 2 * 4, 3 * 2 * 3)
    for r, (n, i, j) in enumerate(np.ndindex(2, 2, 4)):
        np.testing.assert_array_equal(cols[r], x[n, 2 * i:2 * i + 3, j:j + 2, :].ravel())
    product = (cols @ kernel.reshape(-1, 4)).reshape(2, 2, 4, 4)
    np.testing.assert_allclose(product, conv.conv2d_forward_naive(x, kernel, None, strides=(2, 1)),
                               rtol=1e-12, atol=1e-12)


def test_col2im_is_the_adjoint_of_im2col(rng):
    kh, kw, strides, oh, ow = 3, 3, (2, 2), 3, 3
    xp = rng.standard_normal((2, 7, 7, 2))
    c = rng.standard_normal((2 * oh * ow, kh * kw * 2))
    # col2im takes the patch gradients grouped by kernel offset: (kh * kw, rows, cin)
    grouped = c.reshape(-1, kh * kw, 2).transpose(1, 0, 2)
    lhs = np.sum(conv.im2col(xp, kh, kw, strides, oh, ow) * c)
    rhs = np.sum(xp * conv.col2im(grouped, xp.shape, kh, kw, strides, oh, ow))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_im2col_copies_each_pixel_once_per_window_that_covers_it(rng):
    x = rng.standard_normal((1, 13, 13, 1))
    cols = conv.im2col(x, 3, 3, (1, 1), 11, 11)
    assert np.sum(cols == x[0, 6, 6, 0]) == 9 and np.sum(cols == x[0, 0, 0, 0]) == 1
    assert cols.size / x.size == pytest.approx(9 * 11 * 11 / 13 ** 2)


@pytest.mark.parametrize("h, k, s, padding", [(6, 3, 2, "same"), (7, 3, 2, "same"), (5, 1, 1, "valid"),
                                              (3, 5, 1, "same")])
def test_conv_backward_passes_the_gradient_check(h, k, s, padding, rng):
    x = rng.standard_normal((2, h, h, 2))
    kernel = rng.standard_normal((k, k, 2, 3))
    bias = rng.standard_normal(3)
    out, cache = conv.conv2d_forward(x, kernel, bias, strides=s, padding=padding)
    dy = rng.standard_normal(out.shape)
    dx, dkernel, dbias = conv.conv2d_backward(dy, cache)

    def loss():
        return float(np.sum(conv.conv2d_forward(x, kernel, bias, strides=s, padding=padding)[0] * dy))

    for analytic, param in [(dx, x), (dkernel, kernel), (dbias, bias)]:
        assert rel_error(analytic, numerical_gradient(loss, param)) < TOL
    # the kernel gradient is cols^T delta, as the chapter derives
    np.testing.assert_allclose(dkernel.reshape(-1, 3), cache[3].T @ dy.reshape(-1, 3), rtol=1e-12)


def test_the_gradient_check_catches_a_flipped_kernel(rng):
    x = rng.standard_normal((2, 6, 6, 2))
    kernel = rng.standard_normal((3, 3, 2, 3))
    out, _ = conv.conv2d_forward(x, kernel, None, strides=2, padding="same")
    dy = rng.standard_normal(out.shape)
    wrong = conv.conv2d_backward_naive(dy, x, kernel[::-1, ::-1], strides=2, padding="same")[0]
    numeric = numerical_gradient(
        lambda: float(np.sum(conv.conv2d_forward(x, kernel, None, strides=2, padding="same")[0] * dy)), x)
    assert rel_error(wrong, numeric) > 1e-2


@pytest.mark.parametrize("pool, strides, padding, h", [(2, None, "valid", 6), (3, 2, "valid", 7),
                                                        (2, 2, "same", 5), (4, 1, "same", 3)])
def test_max_pool_backward_passes_the_gradient_check(pool, strides, padding, h, rng):
    x = rng.standard_normal((2, h, h, 3))          # no ties, with probability 1
    out, cache = conv.max_pool2d_forward(x, pool, strides, padding)
    dy = rng.standard_normal(out.shape)
    numeric = numerical_gradient(
        lambda: float(np.sum(conv.max_pool2d_forward(x, pool, strides, padding)[0] * dy)), x)
    assert rel_error(conv.max_pool2d_backward(dy, cache), numeric) < TOL


def test_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.array([[1, 3, 2, 0],
                  [4, 2, 0, 0],
                  [5, 1, 2, 2],
                  [0, 6, 2, 1]], dtype=float)[None, :, :, None]
    dy = np.array([[10.0, 20.0], [30.0, 40.0]])[None, :, :, None]
    out, cache = conv.max_pool2d_forward(x, 2)
    dx = conv.max_pool2d_backward(dy, cache)[0, :, :, 0]
    np.testing.assert_array_equal(out[0, :, :, 0], [[4, 2], [6, 2]])
    expected = np.zeros((4, 4))
    expected[1, 0], expected[0, 2], expected[3, 1], expected[2, 2] = 10, 20, 30, 40
    np.testing.assert_array_equal(dx, expected)
    # a window of four zeros (as after a ReLU): one gradient, not four
    _, cache = conv.max_pool2d_forward(np.zeros((1, 2, 2, 1)), 2)
    np.testing.assert_array_equal(conv.max_pool2d_backward(np.full((1, 1, 1, 1), 5.0), cache)[0, :, :, 0],
                                  [[5, 0], [0, 0]])


def test_a_centred_difference_at_a_tie_averages_the_one_sided_derivatives():
    x = np.array([[2.0, 2.0], [2.0, 1.0]])[None, :, :, None]
    numeric = numerical_gradient(lambda: float(conv.max_pool2d_forward(x, 2)[0].sum()), x)
    np.testing.assert_allclose(numeric[0, :, :, 0], [[0.5, 0.5], [0.5, 0.0]], atol=1e-9)


def test_sobel_detects_vertical_edges_only():
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)[:, :, None, None]
    ramp = np.tile(np.arange(8.0), (8, 1))[None, :, :, None]        # brighter to the right
    flat = np.full((1, 8, 8, 1), 0.7)
    np.testing.assert_allclose(conv.conv2d_forward(ramp, sobel_x, None)[0], 8.0)     # (1 + 2 + 1) * 2
    np.testing.assert_allclose(conv.conv2d_forward(np.swapaxes(ramp, 1, 2), sobel_x, None)[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(conv.conv2d_forward(flat, sobel_x, None)[0], 0.0, atol=1e-12)


def test_a_one_pixel_high_image_is_a_time_series():
    t = np.arange(40)
    signal = 0.05 * t + np.sin(t / 6.0)
    signal[25] += 1.5
    response = conv.conv2d_forward_naive(signal.reshape(1, 1, 40, 1), np.array([-1.0, 2.0, -1.0]).reshape(1, 3, 1, 1),
                                         None, padding="same")[0, 0, :, 0]
    smooth = -np.convolve(signal, [1.0, -2.0, 1.0], mode="same")   # the same stencil (it is symmetric)
    np.testing.assert_allclose(response, smooth, atol=1e-12)
    assert int(np.argmax(response)) == 25
    interior = np.delete(response, [0, 24, 25, 26, 39])
    assert np.max(np.abs(interior)) < 0.05 < 1.5 < response[25]
