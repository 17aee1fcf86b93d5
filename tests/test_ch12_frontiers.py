"""Chapter 12's claims and its dlref code: Sequential.input_gradient, FGSM, int8, pruning, FedAvg."""
import numpy as np
import pytest

import dlref
from dlref.activations import softmax
from dlref.data import flatten_and_scale, load_mnist, one_hot
from dlref.gradcheck import numerical_gradient, rel_error
from dlref.layers import Conv2D, Dense, Flatten
from dlref.models import Sequential
from dlref.optimizers import SGD
from dlref.robustness import dequantize, fgsm, magnitude_prune, quantize_int8


def mlp(d=6, h=5, k=4, output="softmax", dtype="float64", loss="sparse_categorical_crossentropy"):
    model = Sequential([Dense(h, activation="relu", input_shape=(d,), dtype=dtype),
                        Dense(k, activation=output, dtype=dtype)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def numerical_input_gradient(model, x, y):
    return numerical_gradient(lambda: model.evaluate(x, y, batch_size=len(x), verbose=0), x)


# -- Sequential.input_gradient ---------------------------------------------------------------
@pytest.mark.parametrize("loss, output, targets", [
    ("sparse_categorical_crossentropy", "softmax", "labels"),      # fused with the softmax
    ("categorical_crossentropy", "softmax", "one_hot"),
    ("binary_crossentropy", "sigmoid", "binary"),                  # fused with the sigmoid
    ("mse", "tanh", "real"),                                       # not fused
    ("mse", None, "real")])
def test_input_gradient_passes_a_gradient_check(loss, output, targets, rng):
    dlref.set_random_seed(3)
    model = mlp(output=output, loss=loss)
    x = rng.normal(size=(5, 6))
    y = {"labels": rng.integers(0, 4, size=5), "one_hot": one_hot(rng.integers(0, 4, size=5), 4),
         "binary": rng.integers(0, 2, size=(5, 4)).astype(float), "real": rng.normal(size=(5, 4))}[targets]
    dx = model.input_gradient(x, y)
    numeric = numerical_input_gradient(model, x, y)
    assert dx.shape == x.shape and dx.dtype == np.float64
    assert rel_error(dx, numeric) < 1e-7
    # negative check: the per-sample gradient, without the batch mean's 1/n, is caught
    assert rel_error(dx * len(x), numeric) > 0.5


def test_input_gradient_of_a_one_layer_model_and_of_image_models(rng):
    dlref.set_random_seed(4)
    one = Sequential([Dense(3, activation="softmax", input_shape=(5,), dtype="float64")])
    one.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, labels = rng.normal(size=(4, 5)), np.array([0, 2, 1, 2])
    kernel, bias = one.get_weights()
    by_hand = (softmax(x @ kernel + bias) - one_hot(labels, 3)) / 4 @ kernel.T
    np.testing.assert_allclose(one.input_gradient(x, labels), by_hand, rtol=1e-12, atol=1e-15)

    for first in (Flatten(dtype="float64"), Conv2D(2, 3, activation="tanh", dtype="float64")):
        layers = [first] + ([Flatten(dtype="float64")] if isinstance(first, Conv2D) else [])
        model = Sequential(layers + [Dense(3, activation="softmax", dtype="float64")])
        model.build((None, 5, 5, 1))
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        images = rng.normal(size=(2, 5, 5, 1))
        dx = model.input_gradient(images, np.array([1, 2]))
        assert dx.shape == images.shape
        assert rel_error(dx, numerical_input_gradient(model, images, np.array([1, 2]))) < 1e-7


def test_input_gradient_matches_the_chapters_formula_and_changes_no_weight(rng):
    dlref.set_random_seed(5)
    model = mlp(d=8, h=7, k=3)
    x, labels = rng.normal(size=(6, 8)), rng.integers(0, 3, size=6)
    k1, b1, k2, b2 = before = model.get_weights()
    z1 = x @ k1 + b1
    dz2 = (softmax(np.maximum(z1, 0) @ k2 + b2) - one_hot(labels, 3)) / len(x)
    formula = ((dz2 @ k2.T) * (z1 > 0)) @ k1.T
    np.testing.assert_allclose(model.input_gradient(x, labels), formula, rtol=1e-10, atol=1e-14)
    for w, w0 in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, w0)
    assert model.layers[0].compute_input_grad is False      # training still skips dx of the data


def test_input_gradient_fails_clearly_on_bad_input(rng):
    model = mlp()
    with pytest.raises(ValueError, match="sample shape"):
        model.input_gradient(rng.normal(size=(2, 7)), np.array([0, 1]))
    with pytest.raises(ValueError, match="2 samples but y has 3"):
        model.input_gradient(rng.normal(size=(2, 6)), np.array([0, 1, 2]))
    uncompiled = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(RuntimeError, match="not compiled"):
        uncompiled.input_gradient(np.zeros((1, 3)), np.zeros((1, 2)))


# -- FGSM ----------------------------------------------------------------------------------
def test_fgsm_moves_every_value_by_epsilon_along_the_sign_and_clips(rng):
    x = rng.random((4, 10))
    g = rng.normal(size=(4, 10))
    g[0, :3] = 0.0
    for eps in (0.0, 0.05, 0.3):
        adv = fgsm(x, g, eps)
        assert adv.shape == x.shape and adv.min() >= 0.0 and adv.max() <= 1.0
        assert np.max(np.abs(adv - x)) <= eps + 1e-15
        inside = (x + eps * np.sign(g) >= 0) & (x + eps * np.sign(g) <= 1)
        np.testing.assert_allclose(adv[inside], (x + eps * np.sign(g))[inside])
    np.testing.assert_array_equal(fgsm(x, g, 0.0), x)
    np.testing.assert_array_equal(fgsm(x, g, 0.2)[0, :3], x[0, :3])       # a zero gradient moves nothing
    np.testing.assert_array_equal(fgsm(np.array([0.0, 1.0]), np.array([-1.0, 1.0]), 0.5), [0.0, 1.0])
    unclipped = fgsm(np.array([0.0, 1.0]), np.array([-1.0, 1.0]), 0.5, clip_min=None, clip_max=None)
    np.testing.assert_array_equal(unclipped, [-0.5, 1.5])
    assert fgsm(x.astype(np.float32), g, 0.1).dtype == np.float32


def test_fgsm_rejects_bad_arguments():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="shape of x"):
        fgsm(x, np.zeros((3, 2)), 0.1)
    with pytest.raises(ValueError, match=">= 0"):
        fgsm(x, x, -0.1)
    with pytest.raises(ValueError, match="clip_min must not exceed clip_max"):
        fgsm(x, x, 0.1, clip_min=1.0, clip_max=0.0)
    with pytest.raises(ValueError, match="finite"):
        fgsm(x, x, np.nan)


def test_fgsm_is_the_best_first_order_step_and_its_gain_is_eps_times_the_l1_norm(rng):
    dlref.set_random_seed(6)
    model = mlp(d=20, h=16, k=3)
    x, labels = rng.normal(size=(1, 20)), np.array([2])
    g = model.input_gradient(x, labels)
    loss = model.evaluate(x, labels, verbose=0)
    eps = 1e-5
    gain = model.evaluate(fgsm(x, g, eps, clip_min=None, clip_max=None), labels, verbose=0) - loss
    assert gain == pytest.approx(eps * np.abs(g).sum(), rel=1e-3)
    for _ in range(20):                      # no other step of the same max-norm does better
        other = fgsm(x, rng.normal(size=x.shape), eps, clip_min=None, clip_max=None)
        assert model.evaluate(other, labels, verbose=0) - loss < gain


# -- int8 quantisation ----------------------------------------------------------------------
def test_quantize_int8_error_is_at_most_half_a_step(rng):
    for w in (rng.normal(size=(30, 7)), 1e-3 * rng.normal(size=50), -rng.random(9) - 1.0,
              np.array([2.5]), rng.normal(size=(4, 4)).astype(np.float32)):
        q, scale = quantize_int8(w)
        assert q.dtype == np.int8 and q.shape == np.shape(w) and isinstance(scale, float)
        assert np.abs(q).max() == 127 and scale == pytest.approx(np.abs(w).max() / 127)
        assert q.flat[np.argmax(np.abs(w))] == 127 * np.sign(w.flat[np.argmax(np.abs(w))])
        back = dequantize(q, scale, dtype=np.float64)
        assert np.abs(back - w).max() <= scale / 2 * (1 + 1e-6)
    # negative check: a scale twice too large (max|w| / 63.5) breaks the bound
    w = rng.normal(size=100)
    coarse = 2 * np.abs(w).max() / 127
    assert np.abs(np.rint(w / coarse) * coarse - w).max() > np.abs(w).max() / 127 / 2


def test_quantize_int8_of_zeros_and_dequantize_checks():
    q, scale = quantize_int8(np.zeros((2, 3)))
    assert scale == 1.0 and q.dtype == np.int8 and not q.any()
    assert dequantize(q, scale).dtype == np.float32 and not dequantize(q, scale).any()
    with pytest.raises(TypeError, match="integer codes"):
        dequantize(np.zeros(3), 0.1)
    with pytest.raises(ValueError, match="positive"):
        dequantize(np.zeros(3, dtype=np.int8), 0.0)
    with pytest.raises(ValueError, match="NaN or inf"):
        quantize_int8(np.array([1.0, np.inf]))


# -- magnitude pruning ----------------------------------------------------------------------
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.29, 0.5, 0.9, 1.0])
def test_magnitude_prune_removes_the_smallest_weights(sparsity, rng):
    w = rng.normal(size=(10, 10))
    original = w.copy()
    pruned = magnitude_prune(w, sparsity)
    np.testing.assert_array_equal(w, original)                 # the argument is not changed
    assert pruned is not w and pruned.shape == w.shape
    zeros = pruned == 0
    assert zeros.sum() == round(sparsity * 100)                # 29 for 0.29, though int(0.29 * 100) = 28
    np.testing.assert_array_equal(pruned[~zeros], w[~zeros])
    if 0 < zeros.sum() < 100:
        assert np.abs(w[zeros]).max() <= np.abs(w[~zeros]).min()


def test_magnitude_prune_ties_zeros_and_bad_sparsity():
    np.testing.assert_array_equal(magnitude_prune(np.array([1.0, -1.0, 1.0, 2.0]), 0.5), [0, 0, 1, 2])
    np.testing.assert_array_equal(magnitude_prune(np.zeros((2, 2)), 0.5), np.zeros((2, 2)))
    np.testing.assert_array_equal(magnitude_prune(np.array([-0.01, -5.0, 3.0]), 1 / 3), [0, -5, 3])
    for bad in (-0.1, 1.5, np.nan):
        with pytest.raises(ValueError, match="sparsity"):
            magnitude_prune(np.ones(3), bad)


# -- FedAvg ---------------------------------------------------------------------------------
def test_fedavg_with_one_local_step_is_one_central_step(rng):
    dlref.set_random_seed(8)
    start = mlp(d=5, h=6, k=3).get_weights()
    sizes = [3, 5, 8]
    x, y = rng.normal(size=(16, 5)), rng.integers(0, 3, size=16)
    parts = np.split(np.arange(16), np.cumsum(sizes)[:-1])

    def local(idx, steps):
        model = mlp(d=5, h=6, k=3)
        model.set_weights(start)
        opt = SGD(0.5)
        for _ in range(steps):
            _, grads = model.compute_gradients(x[idx], y[idx])
            opt.apply(grads, model.trainable_weights)
        return model.get_weights()

    for steps, agree in ((1, True), (3, False)):
        clients = [local(idx, steps) for idx in parts]
        fedavg = [sum(n / 16 * c[j] for n, c in zip(sizes, clients)) for j in range(4)]
        gap = max(np.abs(a - b).max() for a, b in zip(fedavg, local(np.arange(16), steps)))
        assert (gap < 1e-12) == agree, (steps, gap)


# -- the chapter's experiment, small: a model trained on 3,000 MNIST images ------------------
@pytest.fixture(scope="module")
def trained():
    dlref.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = Sequential([Dense(64, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(flatten_and_scale(x_train[:3000]), y_train[:3000], epochs=3, verbose=0)
    return model, flatten_and_scale(x_test[:1000]), y_test[:1000]


def accuracy(model, x, y):
    return model.evaluate(x, y, batch_size=500, verbose=0)[1]


def test_fgsm_defeats_the_model_where_random_signs_of_the_same_size_do_not(trained):
    model, x, y = trained
    clean = accuracy(model, x, y)
    g = model.input_gradient(x, y)
    noise = np.random.default_rng(0).standard_normal(x.shape)
    previous = clean
    for eps in (0.02, 0.05, 0.1):
        attacked, random = accuracy(model, fgsm(x, g, eps), y), accuracy(model, fgsm(x, noise, eps), y)
        assert attacked < previous and attacked < random - 0.1
        previous = attacked
    assert clean > 0.85 and previous < 0.2 and random > clean - 0.1


def test_int8_keeps_and_magnitude_pruning_beats_random_pruning(trained):
    model, x, y = trained
    clean, weights = accuracy(model, x, y), model.get_weights()
    copy = Sequential([Dense(64, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    copy.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    copy.set_weights([dequantize(*quantize_int8(w)) for w in weights])
    assert abs(accuracy(copy, x, y) - clean) < 0.01
    rng = np.random.default_rng(0)
    for s in (0.5, 0.8):
        copy.set_weights([magnitude_prune(w, s) if w.ndim == 2 else w for w in weights])
        by_magnitude = accuracy(copy, x, y)
        copy.set_weights([np.where(rng.random(w.shape) < s, 0.0, w) if w.ndim == 2 else w for w in weights])
        assert by_magnitude > accuracy(copy, x, y) + 0.05
