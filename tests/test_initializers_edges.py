"""Initializers: Keras's fans, default dtype, seeds, and the statistics each formula promises."""
import math

import numpy as np
import pytest

from dlref import initializers as I


@pytest.mark.parametrize("shape,fans", [
    ((), (1, 1)),
    ((5,), (5, 5)),
    ((3, 4), (3, 4)),
    ((7, 2, 3), (7 * 2, 7 * 3)),                 # Conv1D kernel (k, cin, cout)
    ((3, 5, 2, 4), (3 * 5 * 2, 3 * 5 * 4)),      # Conv2D kernel (kh, kw, cin, cout)
])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans
    assert I.compute_fans(list(shape)) == fans


@pytest.mark.parametrize("name", ["zeros", "ones", "glorot_uniform", "he_normal", "orthogonal"])
def test_default_dtype_is_float32_and_seeds_repeat(name):
    f = I.get(name)
    w = f((4, 3), seed=11)
    assert w.dtype == np.float32 and w.shape == (4, 3)
    np.testing.assert_array_equal(w, f((4, 3), seed=11))
    assert f((4, 3), dtype="float64").dtype == np.float64


def test_constant_initializers():
    np.testing.assert_array_equal(I.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.ones((2, 3)), np.ones((2, 3)))


def test_random_initializers_use_their_seed():
    for f in (I.glorot_uniform, I.he_normal, I.orthogonal):
        assert not np.array_equal(f((6, 5), seed=1), f((6, 5), seed=2))


def test_glorot_uniform_limit():
    shape = (200, 300)
    limit = math.sqrt(6.0 / (200 + 300))
    w = I.glorot_uniform(shape, dtype="float64", seed=0)
    assert w.min() >= -limit and w.max() <= limit
    # 60000 uniform draws come within 0.1 % of both ends and average about zero
    assert w.min() < -0.999 * limit and w.max() > 0.999 * limit
    assert abs(w.mean()) < 0.01 * limit
    assert w.var() == pytest.approx(limit ** 2 / 3, rel=0.02)


def test_glorot_uniform_conv_fans():
    w = I.glorot_uniform((3, 3, 4, 8), dtype="float64", seed=0)
    limit = math.sqrt(6.0 / (3 * 3 * 4 + 3 * 3 * 8))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit


def test_he_normal_is_truncated_with_variance_two_over_fan_in():
    fan_in = 400
    w = I.he_normal((fan_in, 500), dtype="float64", seed=0)
    # a unit normal truncated at +-2 has variance 1 - 4 phi(2) / (2 Phi(2) - 1)
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2.0 / math.sqrt(2.0))
    stddev = math.sqrt(2.0 / fan_in) / math.sqrt(1.0 - 4.0 * phi2 / mass)
    assert np.abs(w).max() <= 2.0 * stddev
    assert np.abs(w).max() > 0.999 * 2.0 * stddev             # 200000 draws reach the cut
    assert w.var() == pytest.approx(2.0 / fan_in, rel=0.01)
    assert abs(w.mean()) < 0.01 * math.sqrt(2.0 / fan_in)


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (2, 2, 3, 4), (2, 2, 3, 20)])
def test_orthogonal_is_gram_schmidt_of_a_seeded_gaussian(shape):
    """Keras: QR of a (max, min) Gaussian matrix with R's diagonal made positive, transposed
    when there are fewer rows than columns.  So W (or W.T) times the Gaussian is upper
    triangular with a positive diagonal, and W has orthonormal rows or columns."""
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    w = I.orthogonal(shape, dtype="float64", seed=3)
    assert w.shape == shape
    m = w.reshape(rows, cols)
    a = np.random.default_rng(3).standard_normal((max(rows, cols), min(rows, cols)))
    q = m if rows >= cols else m.T
    np.testing.assert_allclose(q.T @ q, np.eye(min(rows, cols)), atol=1e-12)
    r = q.T @ a
    np.testing.assert_allclose(np.tril(r, -1), 0.0, atol=1e-12)
    assert np.all(np.diag(r) > 0)


def test_unknown_initializer_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"^unknown initializer 'glorot'; expected one of 'glorot_uniform'"):
        I.get("glorot")
    assert I.get(I.ones) is I.ones
