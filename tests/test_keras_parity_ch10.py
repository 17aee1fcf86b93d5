"""dlref.attention against keras.ops.dot_product_attention (chapter 10), float32, atol 1e-5.

Keras's arrays carry a heads axis, ``(batch, T, heads, d)``, and its mask is
``(batch, heads, T_q, T_k)``; dlref's are ``(..., T, d)`` with one head, so
the tests put ``heads = 1`` in the middle and take it out again.  The outputs
are compared, and the gradients of ``sum(out * dout)`` from tf.GradientTape
with dlref's backward pass.
"""
import numpy as np
import pytest

from dlref import attention

from conftest import require_tensorflow

pytestmark = pytest.mark.keras
tf = require_tensorflow()
import keras  # noqa: E402  (after TensorFlow, so that Keras picks its backend)

ATOL = 1e-5


def keras_attention(q, k, v, mask=None, **kwargs):
    """keras.ops.dot_product_attention on dlref-shaped arrays (batch, T, d), one head."""
    heads = [tf.constant(a[:, :, None, :]) for a in (q, k, v)]
    keras_mask = None if mask is None else tf.constant(mask[:, None])
    out = keras.ops.dot_product_attention(*heads, mask=keras_mask, **kwargs)
    return np.asarray(out)[:, :, 0, :]


def data(seed, batch=3, t_q=5, t_k=7, d=8, scale=1.0):
    r = np.random.default_rng(seed)
    return tuple((scale * r.standard_normal((batch, t, d))).astype(np.float32) for t in (t_q, t_k, t_k))


@pytest.mark.parametrize("seed, scale", [(0, 1.0), (1, 3.0), (2, 0.1)])
def test_outputs_match_keras(seed, scale):
    q, k, v = data(seed, scale=scale)
    out, weights = attention.scaled_dot_product_attention(q, k, v)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, keras_attention(q, k, v), atol=ATOL)


def test_a_boolean_mask_means_what_it_means_in_keras():
    q, k, v = data(3, t_q=6, t_k=6)
    r = np.random.default_rng(4)
    mask = r.random((3, 6, 6)) < 0.5
    mask[..., 0] = True
    out, weights = attention.scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(out, keras_attention(q, k, v, mask=mask), atol=ATOL)
    assert np.all(weights[~mask] == 0.0)


def test_a_causal_mask_is_keras_is_causal():
    q, k, v = data(5, t_q=6, t_k=6)
    causal = np.broadcast_to(np.tril(np.ones((6, 6), bool)), (3, 6, 6))
    out, _ = attention.scaled_dot_product_attention(q, k, v, mask=causal)
    np.testing.assert_allclose(out, keras_attention(q, k, v, is_causal=True), atol=ATOL)


def test_gradients_match_tensorflow():
    q, k, v = data(6)
    dout = np.random.default_rng(7).standard_normal((3, 5, 8)).astype(np.float32)
    tensors = [tf.Variable(a[:, :, None, :]) for a in (q, k, v)]
    with tf.GradientTape() as tape:
        out = keras.ops.dot_product_attention(*tensors)
        loss = tf.reduce_sum(out[:, :, 0, :] * dout)
    grads_tf = [g.numpy()[:, :, 0, :] for g in tape.gradient(loss, tensors)]
    _, _, cache = attention.scaled_dot_product_attention_forward(q, k, v)
    grads = attention.scaled_dot_product_attention_backward(dout, cache)
    for name, mine, theirs in zip("qkv", grads, grads_tf):
        np.testing.assert_allclose(mine, theirs, atol=ATOL, err_msg=f"d{name}")
