"""Chapter 3, the forward pass: preprocessing helpers of dlref.data and the claims the chapter makes."""
import numpy as np
import pytest

from dlref import data
from dlref.functional import activation_forward, dense_forward
from dlref.layers import Dense, Flatten
from dlref.models import Sequential


# -- flatten_and_scale -------------------------------------------------------------------------
def test_flatten_and_scale_batch_shape_dtype_and_values():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    out = data.flatten_and_scale(images)
    assert out.shape == (5, 784) and out.dtype == np.float32
    np.testing.assert_allclose(out, images.reshape(5, 784) / 255.0, rtol=1e-6)
    # row i is image i read row by row
    np.testing.assert_array_equal(np.rint(out[3] * 255).astype(np.uint8).reshape(28, 28), images[3])


def test_flatten_and_scale_extremes_and_non_square_images():
    images = np.zeros((2, 5, 7), dtype=np.uint8)
    images[1] = 255
    out = data.flatten_and_scale(images)
    assert out.shape == (2, 35)
    assert out[0].max() == 0.0 and out[1].min() == 1.0


def test_flatten_and_scale_single_image_is_a_batch_of_one():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = data.flatten_and_scale(image)
    assert out.shape == (1, 12)
    np.testing.assert_allclose(out[0], np.arange(12) / 255.0, rtol=1e-6)
    batch_of_one = data.flatten_and_scale(image[None])
    np.testing.assert_array_equal(out, batch_of_one)


def test_flatten_and_scale_accepts_float_pixels_and_leaves_them_alone():
    images = np.array([[[0.0, 127.5], [255.0, 51.0]]])
    before = images.copy()
    out = data.flatten_and_scale(images)
    np.testing.assert_array_equal(images, before)
    np.testing.assert_allclose(out, [[0.0, 0.5, 1.0, 0.2]], rtol=1e-6)
    assert not np.shares_memory(out, images)


def test_flatten_and_scale_on_mnist():
    (x_train, _), _ = data.load_mnist()
    out = data.flatten_and_scale(x_train[:100])
    assert out.shape == (100, 784) and out.min() == 0.0 and out.max() == 1.0


@pytest.mark.parametrize("images, message", [
    (np.zeros((2, 28, 28, 1)), r"shape \(n, height, width\).*got shape \(2, 28, 28, 1\)"),
    (np.zeros(784), r"got shape \(784,\)"),
    (np.full((1, 2, 2), 256), r"\[0, 255\].*256"),
    (np.full((1, 2, 2), -1.0), r"\[0, 255\]"),
    (np.array([[[np.nan, 0.0]]]), "NaN"),
])
def test_flatten_and_scale_rejects_bad_input(images, message):
    with pytest.raises(ValueError, match=message):
        data.flatten_and_scale(images)


def test_flatten_and_scale_rejects_non_numeric_input():
    with pytest.raises(TypeError, match="numeric"):
        data.flatten_and_scale(np.array([["a", "b"], ["c", "d"]]))


# -- standardization ---------------------------------------------------------------------------
def test_standardization_per_feature_gives_zero_mean_unit_std_on_the_training_data():
    rng = np.random.default_rng(1)
    x = rng.normal(loc=[3.0, -2.0, 10.0], scale=[0.5, 2.0, 7.0], size=(200, 3))
    mean, std = data.standardization_stats(x)
    assert mean.shape == (3,) and std.shape == (3,)
    z = data.standardize(x, mean, std)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(z, (x - x.mean(axis=0)) / x.std(axis=0), rtol=1e-12)


def test_standardization_reuses_the_training_statistics_on_other_data():
    train = np.array([[0.0, 1.0], [2.0, 3.0]])
    test = np.array([[4.0, 5.0]])
    mean, std = data.standardization_stats(train)
    np.testing.assert_allclose(data.standardize(test, mean, std), [[3.0, 3.0]])


def test_standardization_constant_feature_is_only_centred():
    x = np.array([[0.0, 1.0], [0.0, 3.0]])
    mean, std = data.standardization_stats(x)
    np.testing.assert_array_equal(std, [1.0, 1.0])
    np.testing.assert_allclose(data.standardize(np.array([[0.5, 2.0]]), mean, std), [[0.5, 0.0]])


def test_standardization_global_statistics_are_scalars():
    x = np.array([[0.0, 2.0], [4.0, 6.0]])
    mean, std = data.standardization_stats(x, axis=None)
    assert mean.shape == () and std.shape == ()
    assert mean == 3.0 and np.isclose(std, np.sqrt(5.0))
    assert data.standardize(x, mean, std).shape == (2, 2)


def test_standardization_rejects_bad_input():
    with pytest.raises(ValueError, match="axis must be 0"):
        data.standardization_stats(np.ones((2, 2)), axis=1)
    with pytest.raises(ValueError, match="no samples"):
        data.standardization_stats(np.ones((0, 3)))
    with pytest.raises(ValueError, match="2 dimensions"):
        data.standardization_stats(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(3,\) or \(\)"):
        data.standardize(np.ones((2, 3)), np.zeros(2), np.ones(3))
    with pytest.raises(ValueError, match="positive"):
        data.standardize(np.ones((2, 3)), np.zeros(3), np.zeros(3))


# -- the chapter's claims ----------------------------------------------------------------------
def test_a_batch_is_one_matrix_product():
    rng = np.random.default_rng(2)
    x, kernel, bias = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    batch, _ = dense_forward(x, kernel, bias)
    rows = np.stack([dense_forward(row[None, :], kernel, bias)[0][0] for row in x])
    np.testing.assert_allclose(batch, rows, rtol=1e-12)
    # the column form W x + b with W = kernel.T, one sample at a time
    np.testing.assert_allclose(batch, (kernel.T @ x.T + bias[:, None]).T, rtol=1e-12)


@pytest.mark.parametrize("sizes, total", [((784, 128, 10), 101_770), ((784, 512, 512, 10), 669_706)])
def test_parameter_counts_of_the_articles_mlps(sizes, total):
    model = Sequential([Dense(n, activation="relu") for n in sizes[1:]])
    model.build((None, sizes[0]))
    by_formula = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    assert model.count_params() == by_formula == total
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[-1] == f"Total params: {total:,}"


def test_an_untrained_mlp_outputs_probabilities_for_scaled_mnist():
    (x_train, _), _ = data.load_mnist()
    model = Sequential([Flatten(), Dense(128, activation="relu"), Dense(10, activation="softmax")])
    model.build((None, 28, 28))
    probs = model.predict(x_train[:32] / 255.0)
    assert probs.shape == (32, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # the same forward pass with the functional pieces and the model's weights
    kernel1, bias1, kernel2, bias2 = model.get_weights()
    h = activation_forward(dense_forward(data.flatten_and_scale(x_train[:32]), kernel1, bias1)[0], "relu")[0]
    p = activation_forward(dense_forward(h, kernel2, bias2)[0], "softmax")[0]
    np.testing.assert_allclose(p, probs, rtol=1e-5, atol=1e-7)
