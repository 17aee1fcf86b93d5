"""Chapter 6's claims: the dense layer's gradients, the delta recursion, (P - Y)/B, gradient checks.

Every gradient is checked in float64 against centred differences with a relative error below
1e-7, and the negative tests show that the same check fails on wrong gradients (a forgotten
transpose, a bias gradient averaged over the batch, NaN).
"""
import numpy as np
import pytest

from dlref import functional as F
from dlref.activations import relu, sigmoid, softmax
from dlref.data import one_hot
from dlref.gradcheck import check_layer, numerical_gradient, numerical_vjp, rel_error
from dlref.layers import Dense
from dlref.losses import categorical_crossentropy, cce_value_and_grad
from dlref.models import Sequential
from dlref.optimizers import SGD

TOL = 1e-7


def dense_numeric(x, kernel, bias, dout):
    """Centred-difference gradients of sum(dense_forward(x, kernel, bias) * dout)."""
    return (numerical_vjp(lambda v: F.dense_forward(v, kernel, bias)[0], x, dout),
            numerical_vjp(lambda v: F.dense_forward(x, v, bias)[0], kernel, dout),
            numerical_vjp(lambda v: F.dense_forward(x, kernel, v)[0], bias, dout))


@pytest.mark.parametrize("batch, n_in, n_out", [(1, 4, 3), (4, 3, 2), (4, 2, 5), (3, 3, 3), (6, 1, 1)])
def test_dense_layer_gradients_are_the_three_products(batch, n_in, n_out, rng):
    """dL/dX = G W^T, dL/dW = X^T G, dL/db = 1^T G, each with its variable's shape."""
    x, kernel, bias = rng.normal(size=(batch, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)
    G = rng.normal(size=(batch, n_out))
    by_hand = (G @ kernel.T, x.T @ G, np.ones(batch) @ G)
    assert [g.shape for g in by_hand] == [x.shape, kernel.shape, bias.shape]
    _, cache = F.dense_forward(x, kernel, bias)
    for mine, ref, numeric in zip(by_hand, F.dense_backward(G, cache), dense_numeric(x, kernel, bias, G)):
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-14)
        assert rel_error(mine, numeric) < TOL


def test_a_shape_check_is_not_a_proof(rng):
    """With a square kernel the forgotten transpose has the right shape and the wrong values."""
    x, kernel, G = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=(4, 3))
    wrong = G @ kernel
    numeric = numerical_vjp(lambda v: F.dense_forward(v, kernel, None)[0], x, G)
    assert wrong.shape == x.shape
    assert rel_error(wrong, numeric) > 1e-2
    assert rel_error(G @ kernel.T, numeric) < TOL


@pytest.mark.parametrize("name, derivative", [("relu", lambda z, h: (z > 0).astype(float)),
                                              ("sigmoid", lambda z, h: h * (1 - h)),
                                              ("tanh", lambda z, h: 1 - h * h)])
def test_an_activation_backward_is_an_elementwise_product(name, derivative, rng):
    z, dh = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    h, cache = F.activation_forward(z, name)
    np.testing.assert_allclose(F.activation_backward(dh, cache), dh * derivative(z, h), rtol=1e-12)


def delta_recursion(x, y, weights, activations):
    """The chapter's algorithm for dense layers with a softmax/cross-entropy output, in NumPy.

    ``activations`` names the hidden layers' activations; returns (loss, grads) in Keras's order.
    """
    funcs = {"relu": (relu, lambda z, h: z > 0), "tanh": (np.tanh, lambda z, h: 1 - h * h),
             "sigmoid": (sigmoid, lambda z, h: h * (1 - h))}
    kernels, biases = weights[0::2], weights[1::2]
    hs, zs = [x], []
    for l, (kernel, bias) in enumerate(zip(kernels, biases)):
        zs.append(hs[-1] @ kernel + bias)
        if l < len(activations):
            hs.append(funcs[activations[l]][0](zs[-1]))
    p = softmax(zs[-1])
    loss = -np.mean(np.sum(y * np.log(p), axis=1))
    delta = (p - y) / len(x)
    grads = []
    for l in reversed(range(len(kernels))):
        grads[:0] = [hs[l].T @ delta, delta.sum(axis=0)]
        if l > 0:
            delta = (delta @ kernels[l].T) * funcs[activations[l - 1]][1](zs[l - 1], hs[l])
    return loss, grads


@pytest.mark.parametrize("activations", [["relu"], ["tanh", "sigmoid"], ["relu", "tanh", "relu"]])
def test_the_delta_recursion_gives_compute_gradients(activations, rng):
    sizes = [5] + [4, 6, 3][:len(activations)] + [3]
    model = Sequential([Dense(n, activation=a, dtype="float64") for n, a in zip(sizes[1:-1], activations)]
                       + [Dense(sizes[-1], activation="softmax", dtype="float64")])
    model.build((None, sizes[0]))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = rng.normal(size=(7, sizes[0])), one_hot(rng.integers(0, 3, size=7), 3).astype(np.float64)
    loss, grads = delta_recursion(x, y, model.get_weights(), activations)
    ref_loss, ref_grads = model.compute_gradients(x, y)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for mine, ref, w in zip(grads, ref_grads, model.trainable_weights):
        assert mine.shape == w.shape
        assert rel_error(mine, ref) < 1e-12
        numeric = numerical_gradient(lambda: categorical_crossentropy(y, model(x)), w)
        assert rel_error(mine, numeric) < TOL


def test_backpropagation_changes_no_weight_and_the_update_is_a_separate_step(rng):
    model = Sequential([Dense(4, activation="relu", dtype="float64"), Dense(3, activation="softmax", dtype="float64")])
    model.build((None, 5))
    model.compile(optimizer=SGD(learning_rate=0.5), loss="categorical_crossentropy")
    x, y = rng.normal(size=(8, 5)), one_hot(rng.integers(0, 3, size=8), 3).astype(np.float64)
    before = model.get_weights()
    loss, grads = model.compute_gradients(x, y)
    model.forward(x, training=True)
    model.backward(rng.normal(size=(8, 3)))             # a backward pass on its own changes nothing either
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.optimizer.apply(grads, model.trainable_weights)
    after = model.get_weights()
    for w0, w1, g in zip(before, after, grads):
        np.testing.assert_allclose(w1, w0 - 0.5 * g, rtol=1e-12, atol=1e-15)
    assert model.compute_gradients(x, y)[0] < loss


@pytest.mark.parametrize("batch, k", [(1, 3), (4, 3), (6, 10)])
def test_softmax_with_cross_entropy_gives_p_minus_y_over_b(batch, k, rng):
    z = 2.0 * rng.normal(size=(batch, k))
    y = one_hot(rng.integers(0, k, size=batch), k).astype(np.float64)
    fused = (softmax(z) - y) / batch
    long_way = F.activation_backward(-y / softmax(z) / batch, F.activation_forward(z, "softmax")[1])
    assert rel_error(fused, long_way) < 1e-12
    assert rel_error(fused, cce_value_and_grad(y, z, from_logits=True)[1]) < 1e-12
    assert rel_error(fused, numerical_gradient(lambda: cce_value_and_grad(y, z, from_logits=True)[0], z)) < TOL
    np.testing.assert_allclose(fused.sum(axis=1), 0.0, atol=1e-15)   # every row sums to 0
    assert np.all(np.abs(fused) <= 1.0 / batch)


def test_the_fused_form_survives_where_the_long_way_gives_nan():
    z, y = np.array([[1000.0, 0.0, -1000.0]]), np.array([[0.0, 0.0, 1.0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        long_way = F.activation_backward(-y / softmax(z), F.activation_forward(z, "softmax")[1])
    fused = softmax(z) - y
    assert np.isnan(long_way).all()
    np.testing.assert_array_equal(fused, [[1.0, 0.0, -1.0]])
    assert rel_error(long_way, fused) == np.inf


def test_rel_error_returns_inf_on_nan_and_inf():
    """The fix of chapter 6: a NaN or an infinite gradient can never pass a check (it gave 0.0)."""
    assert rel_error([np.nan, 1.0], [0.5, 1.0]) == np.inf
    assert rel_error([0.5, 1.0], [0.5, np.nan]) == np.inf
    assert rel_error([np.inf], [np.inf]) == np.inf
    assert rel_error(np.full((2, 2), np.nan), np.full((2, 2), np.nan)) == np.inf
    assert not rel_error([np.nan], [np.nan]) < TOL
    assert rel_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0     # both zero: still 0
    assert rel_error([3.0, 4.0], [-3.0, -4.0]) == 1.0                # opposite arrays


def test_check_layer_fails_on_a_layer_whose_gradients_are_nan(rng):
    class NaNDense(Dense):
        def preactivation_backward(self, dz):
            dx = super().preactivation_backward(dz)
            self.grads["kernel"] = np.full_like(self.grads["kernel"], np.nan)
            return dx

    layer = NaNDense(3, dtype="float64")
    layer.build((4, 2))
    errors = check_layer(layer, rng.normal(size=(4, 2)))
    assert errors["kernel"] == np.inf and not all(e < TOL for e in errors.values())


class BrokenDense(Dense):
    """The chapter's deliberate bug: the bias gradient averaged over the batch, not summed."""

    def preactivation_backward(self, dz):
        dx = super().preactivation_backward(dz)
        self.grads["bias"] = dz.mean(axis=0)
        return dx


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh", "relu", "softmax"])
def test_check_layer_passes_correct_dense_layers(activation, rng):
    layer = Dense(3, activation=activation, dtype="float64")
    layer.build((5, 4))
    layer.params["bias"][...] = rng.normal(size=3)
    errors = check_layer(layer, rng.normal(size=(5, 4)))
    assert set(errors) == {"x", "kernel", "bias"} and max(errors.values()) < TOL


@pytest.mark.parametrize("batch", [2, 5, 8])
def test_the_check_catches_the_averaged_bias_gradient_when_b_exceeds_1(batch, rng):
    layer = BrokenDense(3, activation="tanh", dtype="float64")
    layer.build((batch, 4))
    layer.params["bias"][...] = rng.normal(size=3)
    errors = check_layer(layer, rng.normal(size=(batch, 4)))
    assert errors["x"] < TOL and errors["kernel"] < TOL
    # the wrong gradient is the right one divided by B: (1 - 1/B) / (1 + 1/B)
    assert errors["bias"] == pytest.approx((batch - 1) / (batch + 1), rel=1e-6)


def test_a_batch_of_one_hides_the_averaged_bias_gradient(rng):
    layer = BrokenDense(3, activation="tanh", dtype="float64")
    layer.build((1, 4))
    assert max(check_layer(layer, rng.normal(size=(1, 4))).values()) < TOL

