"""Convolution and max-pooling, forward and backward (chapter 9, "Convolutional networks").

Layout follows Keras: images are NHWC ``(batch, height, width, channels)``
and a convolution kernel is ``(kh, kw, in_channels, filters)``.

``conv2d_forward_naive`` is the definition written as loops, one output
pixel at a time: slow, but it reads like the formula

    out[n, y, x, f] = bias[f] + sum_{i, j, c} xpad[n, y*sh + i, x*sw + j, c] * kernel[i, j, c, f].

``conv2d_backward_naive``, ``max_pool2d_forward_naive`` and
``max_pool2d_backward_naive`` are the loop definitions of the other passes;
tests check that each equals its fast twin.

``conv2d_forward`` computes the same thing with **im2col**: every receptive
field becomes one row of a matrix, so the whole convolution is one matrix
product.  Its backward pass runs the product backwards and scatters the
patch gradients back into the image (**col2im**).  The only Python loops are
over the ``kh * kw`` kernel offsets, never over pixels or batch items.
"""
import math

import numpy as np

from dlref._checks import as_float_array


def as_pair(value, name):
    """``3`` -> ``(3, 3)``; a pair of positive ints passes through; anything else raises."""
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return value


def padding_amounts(size, k, stride, padding):
    """``(output_size, pad_before, pad_after)`` along one axis, as TensorFlow computes them.

    ``'valid'``: no padding, ``out = floor((size - k) / stride) + 1``.
    ``'same'``: ``out = ceil(size / stride)``, padded so that the windows cover the input; an
    odd amount of padding puts the extra row or column after (bottom/right).
    """
    if check_padding(padding) == "valid":
        out = (size - k) // stride + 1
        if out < 1:
            raise ValueError(f"a window of {k} does not fit an input of size {size} with 'valid' padding")
        return out, 0, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def output_size(input_shape, window, strides, padding):
    """``(out_height, out_width)`` of a convolution or pooling of NHWC ``input_shape``."""
    return (padding_amounts(input_shape[1], window[0], strides[0], padding)[0],
            padding_amounts(input_shape[2], window[1], strides[1], padding)[0])


def check_padding(padding):
    """Return ``padding`` if it is ``'valid'`` or ``'same'``, else raise."""
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _pad(x, kh, kw, strides, padding, value=0.0):
    (oh, top, bottom), (ow, left, right) = (padding_amounts(x.shape[1], kh, strides[0], padding),
                                            padding_amounts(x.shape[2], kw, strides[1], padding))
    if top or bottom or left or right:
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)
    return x, oh, ow, (top, left)


def _check_conv(x, kernel, bias):
    x = as_float_array(x, "x", ndim=4, allow_nan=True)
    kernel = as_float_array(kernel, "kernel", ndim=4, allow_nan=True)
    if x.shape[3] != kernel.shape[2]:
        raise ValueError(f"x has {x.shape[3]} channels (shape {x.shape}, NHWC) but the kernel "
                         f"{kernel.shape} expects {kernel.shape[2]}")
    if bias is not None and np.shape(bias) != (kernel.shape[3],):
        raise ValueError(f"bias must have shape ({kernel.shape[3]},), got {np.shape(bias)}")
    return x, kernel


def conv2d_forward_naive(x, kernel, bias, strides=1, padding="valid"):
    """Reference convolution with explicit loops; same contract as :func:`conv2d_forward`."""
    x, kernel = _check_conv(x, kernel, bias)
    sh, sw = as_pair(strides, "strides")
    kh, kw, _, filters = kernel.shape
    xp, oh, ow, _ = _pad(x, kh, kw, (sh, sw), padding)
    out = np.zeros((x.shape[0], oh, ow, filters), dtype=np.result_type(x, kernel))
    for n in range(x.shape[0]):
        for y in range(oh):
            for xx in range(ow):
                patch = xp[n, y * sh:y * sh + kh, xx * sw:xx * sw + kw, :]      # (kh, kw, cin)
                out[n, y, xx, :] = np.tensordot(patch, kernel, axes=3)
    if bias is not None:
        out += bias
    return out


def conv2d_backward_naive(dout, x, kernel, strides=1, padding="valid"):
    """Reference gradients of a convolution with explicit loops (chapter 9).

    Each output pixel ``out[n, y, x, :]`` is ``bias + patch . kernel`` with
    ``patch = xpad[n, y*sh : y*sh + kh, x*sw : x*sw + kw, :]``, so its
    gradient ``g = dout[n, y, x, :]`` (one value per filter) adds

        dkernel[i, j, c, f] += patch[i, j, c] * g[f]
        dpatch[i, j, c]     += sum_f kernel[i, j, c, f] * g[f]
        dbias[f]            += g[f]

    and ``dx`` is ``dxpad`` without its padding.  Slow, but it reads like the
    formula; :func:`conv2d_backward` computes the same with two matrix products.

    Parameters
    ----------
    dout : ndarray, shape (batch, out_height, out_width, filters)
    x : ndarray, shape (batch, height, width, in_channels)
    kernel : ndarray, shape (kh, kw, in_channels, filters)
    strides : int or (int, int)
    padding : 'valid' or 'same'

    Returns
    -------
    dx : ndarray, the shape of ``x``
    dkernel : ndarray, the shape of ``kernel``
    dbias : ndarray, shape (filters,)
    """
    x, kernel = _check_conv(x, kernel, None)
    sh, sw = as_pair(strides, "strides")
    kh, kw, _, filters = kernel.shape
    xp, oh, ow, (top, left) = _pad(x, kh, kw, (sh, sw), padding)
    dout = as_float_array(dout, "dout", ndim=4, allow_nan=True)
    if dout.shape != (x.shape[0], oh, ow, filters):
        raise ValueError(f"dout must have shape {(x.shape[0], oh, ow, filters)}, got {dout.shape}")
    dtype = np.result_type(dout, x, kernel)
    dxp, dkernel = np.zeros(xp.shape, dtype=dtype), np.zeros(kernel.shape, dtype=dtype)
    for n, y, xx in np.ndindex(dout.shape[:3]):
        rows, cols = slice(y * sh, y * sh + kh), slice(xx * sw, xx * sw + kw)
        g = dout[n, y, xx]                                               # (filters,)
        dkernel += xp[n, rows, cols, :, np.newaxis] * g                  # (kh, kw, cin, filters)
        dxp[n, rows, cols, :] += kernel @ g                              # (kh, kw, cin)
    dbias = dout.sum(axis=(0, 1, 2)).astype(dtype, copy=False)
    return dxp[:, top:top + x.shape[1], left:left + x.shape[2], :], dkernel, dbias


def max_pool2d_forward_naive(x, pool_size=2, strides=None, padding="valid"):
    """Reference max-pooling with explicit loops; same arguments as :func:`max_pool2d_forward`.

    ``out[n, y, x, c] = max over i, j of xpad[n, y*sh + i, x*sw + j, c]``, where
    ``'same'`` pads with -inf, so that padding is never the maximum (chapter 9).

    Returns
    -------
    out : ndarray, shape (batch, out_height, out_width, channels)
    """
    x = as_float_array(x, "x", ndim=4, allow_nan=True)
    ph, pw = as_pair(pool_size, "pool_size")
    sh, sw = as_pair(strides if strides is not None else (ph, pw), "strides")
    xp, oh, ow, _ = _pad(x, ph, pw, (sh, sw), padding, value=-np.inf)
    out = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    for n, y, xx in np.ndindex(out.shape[:3]):
        window = xp[n, y * sh:y * sh + ph, xx * sw:xx * sw + pw, :]      # (ph, pw, channels)
        out[n, y, xx, :] = window.max(axis=(0, 1))
    return out


def max_pool2d_backward_naive(dout, x, pool_size=2, strides=None, padding="valid"):
    """Reference gradient of max-pooling with explicit loops (chapter 9).

    Each output's gradient goes to the element of its window that was the
    maximum; on ties, to the first one in row-major order (``np.argmax``'s
    rule, and TensorFlow's).  Windows that overlap add up.

    Parameters
    ----------
    dout : ndarray, shape (batch, out_height, out_width, channels)
    x : ndarray, shape (batch, height, width, channels)
    pool_size, strides, padding : as in :func:`max_pool2d_forward`

    Returns
    -------
    dx : ndarray, the shape of ``x``
    """
    x = as_float_array(x, "x", ndim=4, allow_nan=True)
    ph, pw = as_pair(pool_size, "pool_size")
    sh, sw = as_pair(strides if strides is not None else (ph, pw), "strides")
    xp, oh, ow, (top, left) = _pad(x, ph, pw, (sh, sw), padding, value=-np.inf)
    dout = as_float_array(dout, "dout", ndim=4, allow_nan=True)
    if dout.shape != (x.shape[0], oh, ow, x.shape[3]):
        raise ValueError(f"dout must have shape {(x.shape[0], oh, ow, x.shape[3])}, got {dout.shape}")
    dxp = np.zeros(xp.shape, dtype=np.result_type(dout, x))
    for n, y, xx, c in np.ndindex(dout.shape):
        window = xp[n, y * sh:y * sh + ph, xx * sw:xx * sw + pw, c]      # (ph, pw)
        i, j = np.unravel_index(np.argmax(window), window.shape)         # the first maximum
        dxp[n, y * sh + i, xx * sw + j, c] += dout[n, y, xx, c]
    return dxp[:, top:top + x.shape[1], left:left + x.shape[2], :]


def _windows(xp, ph, pw, strides, oh, ow):
    """Yield ``(k, view)``: for each of the ``ph * pw`` window offsets in row-major order, the
    strided view of ``xp`` holding that element of every window, shape ``(batch, oh, ow, c)``."""
    sh, sw = strides
    for k, (i, j) in enumerate(np.ndindex(ph, pw)):
        yield k, xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]


def im2col(xp, kh, kw, strides, oh, ow):
    """Patches of a padded NHWC image as rows: ``(batch * oh * ow, kh * kw * cin)``.

    Row ``(n, y, x)`` holds the receptive field of output pixel ``(y, x)`` of
    image ``n``, flattened in the kernel's ``(kh, kw, cin)`` order.
    """
    n, _, _, c = xp.shape
    sh, sw = strides
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j, :] = xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]
    return cols.reshape(n * oh * ow, kh * kw * c)


def col2im(dcols, padded_shape, kh, kw, strides, oh, ow):
    """Adjoint of :func:`im2col`: add each patch gradient back where the patch came from.

    ``dcols`` holds the patch gradients grouped by kernel offset, shape
    ``(kh * kw, batch * oh * ow, cin)``: block ``i * kw + j`` is what flows back
    to the pixels that kernel offset ``(i, j)`` read.  Each block is added
    into the padded image with one strided slice.
    """
    n, _, _, c = padded_shape
    dxp = np.zeros(padded_shape, dtype=dcols.dtype)
    for k, view in _windows(dxp, kh, kw, strides, oh, ow):
        view += dcols[k].reshape(n, oh, ow, c)          # a view: this adds into dxp
    return dxp


def conv2d_forward(x, kernel, bias, strides=1, padding="valid"):
    """2-D convolution (cross-correlation, as in every framework), NHWC.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, in_channels)
    kernel : ndarray, shape (kh, kw, in_channels, filters)
    bias : ndarray, shape (filters,), or None
    strides : int or (int, int)
    padding : 'valid' or 'same'

    Returns
    -------
    out : ndarray, shape (batch, out_height, out_width, filters)
    cache : for :func:`conv2d_backward`
    """
    x, kernel = _check_conv(x, kernel, bias)
    strides = as_pair(strides, "strides")
    kh, kw, cin, filters = kernel.shape
    xp, oh, ow, offset = _pad(x, kh, kw, strides, padding)
    cols = im2col(xp, kh, kw, strides, oh, ow)
    out = cols @ kernel.reshape(kh * kw * cin, filters)
    if bias is not None:
        out += bias
    cache = (x.shape, xp.shape, offset, cols, kernel, bias is not None, strides, (oh, ow))
    return out.reshape(x.shape[0], oh, ow, filters), cache


def conv2d_backward(dout, cache, compute_dx=True):
    """Gradients of :func:`conv2d_forward`.

    Returns ``(dx, dkernel, dbias)`` with the shapes of ``x``, ``kernel`` and
    ``bias`` (``dbias`` is None without a bias; ``dx`` is None when
    ``compute_dx`` is False).
    """
    x_shape, xp_shape, (top, left), cols, kernel, has_bias, strides, (oh, ow) = cache
    kh, kw, cin, filters = kernel.shape
    if dout.shape != (x_shape[0], oh, ow, filters):
        raise ValueError(f"dout must have shape {(x_shape[0], oh, ow, filters)}, got {dout.shape}")
    d = dout.reshape(-1, filters)
    dkernel = (cols.T @ d).reshape(kernel.shape)
    dbias = d.sum(axis=0) if has_bias else None
    if not compute_dx:
        return None, dkernel, dbias
    # patch gradients d @ kernel^T, one (batch*oh*ow, cin) block per kernel offset
    dcols = np.matmul(d, kernel.transpose(0, 1, 3, 2).reshape(kh * kw, filters, cin))
    dxp = col2im(dcols, xp_shape, kh, kw, strides, oh, ow)
    return dxp[:, top:top + x_shape[1], left:left + x_shape[2], :], dkernel, dbias


def max_pool2d_forward(x, pool_size=2, strides=None, padding="valid"):
    """Max-pooling over ``pool_size`` windows, NHWC; ``strides`` defaults to ``pool_size``.

    Returns ``(out, cache)``, ``out`` of shape ``(batch, out_height, out_width, channels)``.
    The cache keeps, for every output, which window element was the maximum;
    on ties it is the first in row-major order, as in TensorFlow.
    """
    x = as_float_array(x, "x", ndim=4, allow_nan=True)
    ph, pw = as_pair(pool_size, "pool_size")
    strides = as_pair(strides if strides is not None else (ph, pw), "strides")
    xp, oh, ow, offset = _pad(x, ph, pw, strides, padding, value=-np.inf)
    views = [view for _, view in _windows(xp, ph, pw, strides, oh, ow)]
    out = views[0].copy()
    for view in views[1:]:
        np.maximum(out, view, out=out)
    # argmax = number of window elements before the first one equal to the maximum
    argmax = np.zeros(out.shape, dtype=np.int8 if len(views) < 128 else np.int32)
    found = views[0] == out
    for view in views[1:]:
        argmax += ~found
        found |= view == out
    return out, (x.shape, xp.shape, offset, argmax, (ph, pw), strides)


def max_pool2d_backward(dout, cache):
    """Gradient of :func:`max_pool2d_forward`: each output's gradient goes to its window's maximum."""
    x_shape, xp_shape, (top, left), argmax, (ph, pw), strides = cache
    if dout.shape != argmax.shape:
        raise ValueError(f"dout must have shape {argmax.shape}, got {dout.shape}")
    oh, ow = argmax.shape[1:3]
    dxp = np.zeros(xp_shape, dtype=dout.dtype)
    for k, view in _windows(dxp, ph, pw, strides, oh, ow):
        view += dout * (argmax == k)                   # a view: this adds into dxp
    return dxp[:, top:top + x_shape[1], left:left + x_shape[2], :]
