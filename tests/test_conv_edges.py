"""Convolution and pooling edge cases: TensorFlow's padding arithmetic by hand, 'same'
padding with zeros (convolution) and -inf (pooling), asymmetric padding, dtypes, large
pooling windows, defaults and messages.  Expected outputs are counted by hand."""
import numpy as np
import pytest

from dlref import conv as C


@pytest.mark.parametrize("size,k,stride,padding,want", [
    (7, 3, 2, "valid", (3, 0, 0)),      # floor((7 - 3) / 2) + 1
    (7, 3, 2, "same", (4, 1, 1)),       # ceil(7 / 2); (4 - 1) 2 + 3 - 7 = 2 rows of padding
    (6, 3, 2, "same", (3, 0, 1)),       # one row, which goes after (bottom/right)
    (5, 1, 2, "same", (3, 0, 0)),       # (3 - 1) 2 + 1 - 5 = 0
    (4, 4, 1, "same", (4, 1, 2)),       # 3 rows: 1 before, 2 after
    (5, 2, 3, "same", (2, 0, 0)),       # (2 - 1) 3 + 2 - 5 = 0
])
def test_padding_amounts_by_hand(size, k, stride, padding, want):
    assert C.padding_amounts(size, k, stride, padding) == want


def test_output_size_uses_each_axis():
    assert C.output_size((1, 7, 5, 3), (3, 2), (2, 1), "valid") == (3, 4)
    assert C.output_size((1, 5, 7, 3), (2, 3), (1, 2), "same") == (5, 4)
    assert C.output_size((1, 6, 5, 1), (3, 1), (1, 1), "valid") == (4, 5)


ONES = np.ones((1, 3, 3, 1))


@pytest.mark.parametrize("conv", [C.conv2d_forward_naive, lambda *a, **k: C.conv2d_forward(*a, **k)[0]])
def test_same_padding_pads_with_zeros(conv):
    # a 3x3 kernel of ones counts the pixels of each window that lie inside the image
    out = conv(ONES, np.ones((3, 3, 1, 1)), None, padding="same")
    np.testing.assert_array_equal(out[0, :, :, 0], [[4, 6, 4], [6, 9, 6], [4, 6, 4]])
    # one row of padding, after: kernel (2, 1) reads rows (0, 1), (1, 2), (2, pad)
    out = conv(ONES, np.ones((2, 1, 1, 1)), None, padding="same")
    np.testing.assert_array_equal(out[0, :, :, 0], [[2, 2, 2], [2, 2, 2], [1, 1, 1]])
    out = conv(ONES, np.ones((1, 2, 1, 1)), None, padding="same")
    np.testing.assert_array_equal(out[0, :, :, 0], [[2, 2, 1], [2, 2, 1], [2, 2, 1]])


@pytest.mark.parametrize("pool", [C.max_pool2d_forward_naive, lambda *a, **k: C.max_pool2d_forward(*a, **k)[0]])
def test_same_pooling_never_picks_the_padding(pool):
    x = -1.0 - np.arange(9.0).reshape(1, 3, 3, 1)        # -1 ... -9, all below the zero a wrong pad would give
    out = pool(x, 2, padding="same")
    np.testing.assert_array_equal(out[0, :, :, 0], [[-1, -3], [-7, -9]])


def test_conv_backward_with_asymmetric_padding_matches_its_loops():
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((2, 4, 5, 2)), rng.standard_normal((2, 3, 2, 3))
    out, cache = C.conv2d_forward(x, k, None, strides=2, padding="same")
    dout = rng.standard_normal(out.shape)
    dx, dk, _ = C.conv2d_backward(dout, cache)
    ndx, ndk, _ = C.conv2d_backward_naive(dout, x, k, strides=2, padding="same")
    np.testing.assert_allclose(dx, ndx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dk, ndk, rtol=1e-12, atol=1e-12)


def test_defaults_are_stride_one_valid_and_pool_two():
    rng = np.random.default_rng(1)
    x, k, b = rng.standard_normal((1, 5, 5, 2)), rng.standard_normal((3, 3, 2, 1)), np.array([0.5])
    out = C.conv2d_forward_naive(x, k, b)
    assert out.shape == (1, 3, 3, 1)
    np.testing.assert_allclose(out, C.conv2d_forward(x, k, b)[0], rtol=1e-12)
    np.testing.assert_allclose(out[0, 0, 0, 0], np.sum(x[0, :3, :3] * k[..., 0]) + 0.5, rtol=1e-12)
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    for out in (C.max_pool2d_forward_naive(x), C.max_pool2d_forward(x)[0]):
        np.testing.assert_array_equal(out[0, :, :, 0], [[5, 7], [13, 15]])
    dx = C.max_pool2d_backward_naive(np.ones((1, 2, 2, 1)), x)
    np.testing.assert_array_equal(np.argwhere(dx[0, :, :, 0]), [[1, 1], [1, 3], [3, 1], [3, 3]])


def test_a_pooling_window_of_more_than_127_elements():
    x = np.zeros((1, 12, 12, 1))
    x[0, 11, 11, 0] = 1.0                                # the maximum is element 143 of the window
    out, cache = C.max_pool2d_forward(x, 12)
    assert out.shape == (1, 1, 1, 1) and out[0, 0, 0, 0] == 1.0
    dx = C.max_pool2d_backward(np.full((1, 1, 1, 1), 2.0), cache)
    assert dx[0, 11, 11, 0] == 2.0 and dx.sum() == 2.0


def test_dtypes_follow_the_inputs():
    rng = np.random.default_rng(2)
    x32, k32 = rng.standard_normal((1, 4, 4, 2)).astype(np.float32), rng.standard_normal((2, 2, 2, 3)).astype(np.float32)
    out, cache = C.conv2d_forward(x32, k32, np.zeros(3, np.float32))
    assert out.dtype == np.float32
    dx, dk, db = C.conv2d_backward(np.ones_like(out), cache)
    assert dx.dtype == dk.dtype == db.dtype == np.float32
    assert C.conv2d_forward_naive(x32, k32, None).dtype == np.float32
    assert C.conv2d_forward_naive(x32.astype(np.float64), k32, None).dtype == np.float64
    assert C.conv2d_forward_naive(x32, k32.astype(np.float64), None).dtype == np.float64
    d32 = np.ones((1, 3, 3, 3), np.float32)
    assert all(g.dtype == np.float32 for g in C.conv2d_backward_naive(d32, x32, k32))
    for args in [(d32.astype(np.float64), x32, k32), (d32, x32.astype(np.float64), k32),
                 (d32, x32, k32.astype(np.float64))]:
        assert all(g.dtype == np.float64 for g in C.conv2d_backward_naive(*args))
    p, pcache = C.max_pool2d_forward(x32)
    assert p.dtype == np.float32 and C.max_pool2d_backward(np.ones_like(p), pcache).dtype == np.float32
    assert C.max_pool2d_forward_naive(x32).dtype == np.float32
    dp32 = np.ones((1, 2, 2, 2), np.float32)
    assert C.max_pool2d_backward_naive(dp32, x32).dtype == np.float32
    assert C.max_pool2d_backward_naive(dp32.astype(np.float64), x32).dtype == np.float64
    assert C.max_pool2d_backward_naive(dp32, x32.astype(np.float64)).dtype == np.float64


def test_nan_passes_through():
    x = np.zeros((1, 2, 2, 1))
    x[0, 0, 0, 0] = np.nan
    assert np.isnan(C.conv2d_forward(x, np.ones((1, 1, 1, 1)), None)[0][0, 0, 0, 0])
    assert np.isnan(C.conv2d_forward_naive(x, np.ones((1, 1, 1, 1)), None)[0, 0, 0, 0])
    assert np.isnan(C.conv2d_forward(np.ones((1, 2, 2, 1)), np.full((1, 1, 1, 1), np.nan), None)[0]).all()
    assert np.isnan(C.max_pool2d_forward(x)[0]).all() and np.isnan(C.max_pool2d_forward_naive(x)).all()
    nan_dout = np.full((1, 1, 1, 1), np.nan)
    assert np.isnan(C.conv2d_backward_naive(nan_dout, np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)))[0]).all()
    assert np.isnan(C.max_pool2d_backward_naive(np.full((1, 1, 1, 1), np.nan), np.ones((1, 2, 2, 1)))).any()
    assert np.isfinite(C.max_pool2d_backward_naive(np.ones((1, 1, 1, 1)), x)).all()


def test_messages():
    x, k = np.ones((2, 3, 3, 1)), np.ones((2, 2, 1, 2))
    for conv in (C.conv2d_forward, C.conv2d_forward_naive):
        with pytest.raises(ValueError, match=r"^x must have 4 dimensions, got shape \(3, 3, 1\)"):
            conv(x[0], k, None)
        with pytest.raises(ValueError, match=r"^kernel must have 4 dimensions, got shape \(2, 2, 1\)"):
            conv(x, k[..., 0], None)
        with pytest.raises(ValueError, match=r"^bias must have shape \(2,\), got \(3,\)$"):
            conv(x, k, np.zeros(3))
        with pytest.raises(ValueError, match=r"^strides must be a positive int or a pair of them, got \(0, 0\)$"):
            conv(x, k, None, strides=0)
    with pytest.raises(ValueError, match=r"^strides must be a positive int or a pair of them, got \(0, 0\)$"):
        C.conv2d_backward_naive(np.ones((2, 2, 2, 2)), x, k, strides=0)
    with pytest.raises(ValueError, match=r"^dout must have 4 dimensions, got shape \(2, 2, 2\)"):
        C.conv2d_backward_naive(np.ones((2, 2, 2)), x, k)
    _, cache = C.conv2d_forward(x, k, None)
    with pytest.raises(ValueError, match=r"^dout must have shape \(2, 2, 2, 2\), got \(3, 2, 2, 2\)$"):
        C.conv2d_backward(np.ones((3, 2, 2, 2)), cache)
    for pool in (C.max_pool2d_forward, C.max_pool2d_forward_naive):
        with pytest.raises(ValueError, match=r"^x must have 4 dimensions, got shape \(3, 3, 1\)"):
            pool(x[0])
        with pytest.raises(ValueError, match=r"^pool_size must be a positive int or a pair of them, got \(0, 0\)$"):
            pool(x, 0)
        with pytest.raises(ValueError, match=r"^strides must be a positive int or a pair of them, got \(0, 0\)$"):
            pool(x, 2, strides=0)
    with pytest.raises(ValueError, match=r"^x must have 4 dimensions, got shape \(3, 3, 1\)"):
        C.max_pool2d_backward_naive(np.ones((2, 1, 1, 1)), x[0])
    with pytest.raises(ValueError, match=r"^dout must have 4 dimensions, got shape \(1, 1, 1\)"):
        C.max_pool2d_backward_naive(np.ones((1, 1, 1)), x)
    with pytest.raises(ValueError, match=r"^pool_size must be a positive int or a pair of them, got \(0, 0\)$"):
        C.max_pool2d_backward_naive(np.ones((2, 1, 1, 1)), x, 0)
    with pytest.raises(ValueError, match=r"^strides must be a positive int or a pair of them, got \(0, 0\)$"):
        C.max_pool2d_backward_naive(np.ones((2, 1, 1, 1)), x, 2, strides=0)
    _, pcache = C.max_pool2d_forward(x)
    with pytest.raises(ValueError, match=r"^dout must have shape \(2, 1, 1, 1\), got \(2, 2, 2, 1\)$"):
        C.max_pool2d_backward(np.ones((2, 2, 2, 1)), pcache)
