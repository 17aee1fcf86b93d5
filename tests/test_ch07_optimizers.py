"""Chapter 7's claims: the learning-rate limit, minibatch gradients, the optimizers' Keras forms
against their textbook forms, and what minibatch SGD on article 003's regression converges to."""
import itertools
import math

import numpy as np
import pytest

from dlref import optimizers as O
from dlref.data import minibatches
from dlref.gradcheck import numerical_gradient, rel_error
from dlref.layers import Dense
from dlref.models import Sequential


def mse_and_grad(theta, xb, yb):
    err = theta[0] * xb + theta[1] - yb
    return np.mean(err ** 2), np.array([2 * np.mean(err * xb), 2 * np.mean(err)])


def article_003_data(seed=0):
    x = np.linspace(-1, 1, 100)
    return x, 2 * x + np.random.default_rng(seed).normal(size=100)


def sgd_fixed_order(x, y, order, lr, epochs, batch_size=32):
    theta = np.zeros(2)
    xs, ys = x[order], y[order]
    for _ in range(epochs):
        for xb, yb in minibatches(xs, ys, batch_size, shuffle=False):
            theta = O.sgd_update(theta, mse_and_grad(theta, xb, yb)[1], lr)
    return theta


def test_the_mse_gradient_passes_a_gradient_check_and_a_wrong_one_fails(rng):
    x, y = rng.normal(size=20), rng.normal(size=20)
    theta = rng.normal(size=2)
    numeric = numerical_gradient(lambda: mse_and_grad(theta, x, y)[0], theta)
    assert rel_error(mse_and_grad(theta, x, y)[1], numeric) < 1e-7
    wrong = mse_and_grad(theta, x, y)[1] / 2                 # the 1/(2n) loss's gradient
    assert rel_error(wrong, numeric) > 1e-2


@pytest.mark.parametrize("factor, converges", [(0.98, True), (1.02, False)])
def test_gradient_descent_converges_exactly_below_two_over_lambda_max(rng, factor, converges):
    a = rng.normal(size=(3, 3))
    H = a @ a.T + 0.5 * np.eye(3)                            # a random positive definite Hessian
    eta = factor * 2 / np.linalg.eigvalsh(H).max()
    w = rng.normal(size=3)
    for _ in range(3000):
        w = O.sgd_update(w, H @ w, eta)
    assert (np.linalg.norm(w) < 1e-6) == converges


def test_gradient_descent_on_article_003_reaches_least_squares():
    x, y = article_003_data()
    X = np.column_stack([x, np.ones_like(x)])
    theta_ls = np.linalg.solve(X.T @ X, X.T @ y)
    theta = np.zeros(2)
    for _ in range(200):
        theta = O.sgd_update(theta, mse_and_grad(theta, x, y)[1], 0.7)
    np.testing.assert_allclose(theta, theta_ls, rtol=1e-10)
    np.testing.assert_allclose(theta_ls, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)
    # erratum 24: with sigma = 1 the slope's standard error is about 0.17
    assert 1 / np.sqrt(np.sum((x - x.mean()) ** 2)) == pytest.approx(0.1715, abs=5e-4)


def test_minibatch_gradients_are_unbiased_with_the_chapters_spread():
    # every batch of B out of n = 8 samples, enumerated: exact mean and spread
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=8), rng.normal(size=8)
    theta = np.array([0.4, -0.2])
    full = mse_and_grad(theta, x, y)[1]
    sigma_1 = np.array([mse_and_grad(theta, x[i:i + 1], y[i:i + 1])[1] for i in range(8)]).std(axis=0)
    for B in (1, 3, 5, 8):
        grads = np.array([mse_and_grad(theta, x[list(c)], y[list(c)])[1]
                          for c in itertools.combinations(range(8), B)])
        np.testing.assert_allclose(grads.mean(axis=0), full, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grads.std(axis=0), sigma_1 * np.sqrt((8 - B) / (B * 7)),
                                   rtol=1e-10, atol=1e-14)


def test_an_epoch_of_minibatches_covers_every_sample_once_with_a_short_last_batch():
    idx = np.arange(100)
    batches = [ib for ib, _ in minibatches(idx, idx, 32, shuffle=True, seed=np.random.default_rng(0))]
    assert [len(b) for b in batches] == [32, 32, 32, 4]
    assert sorted(np.concatenate(batches)) == list(range(100))


def test_keras_momentum_equals_the_textbook_form_until_the_learning_rate_changes(rng):
    w_k, m = rng.normal(size=4), np.zeros(4)
    w_b, v = w_k.copy(), np.zeros(4)
    lam = np.array([1.0, 5.0, 20.0, 50.0])
    for t in range(60):
        eta = 0.01 if t < 30 else 0.005
        w_k, m = O.momentum_update(w_k, lam * w_k, m, learning_rate=eta, momentum=0.9)
        v = 0.9 * v + lam * w_b
        w_b = w_b - eta * v
        if t == 29:
            np.testing.assert_allclose(w_k, w_b, rtol=1e-12, atol=1e-14)
    assert np.abs(w_k - w_b).max() > 1e-4                    # a schedule separates them (exercise 3)


def test_keras_nesterov_weights_are_the_look_ahead_points(rng):
    lam = np.array([1.0, 50.0])
    w_k, m_k = rng.normal(size=2), np.zeros(2)
    w_b, m_b = w_k.copy(), np.zeros(2)
    for _ in range(50):
        w_k, m_k = O.momentum_update(w_k, lam * w_k, m_k, learning_rate=0.01, momentum=0.9, nesterov=True)
        m_b = 0.9 * m_b - 0.01 * lam * (w_b + 0.9 * m_b)
        w_b = w_b + m_b
        np.testing.assert_allclose(w_k, w_b + 0.9 * m_b, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(m_k, m_b, rtol=1e-12, atol=1e-14)
    assert np.abs(w_k - w_b).max() > 1e-8                    # Keras stores w + mu m, not w


def test_keras_adam_is_the_textbook_step_with_a_larger_epsilon(rng):
    grads = rng.normal(size=(300, 3)) * np.array([1.0, 1e-4, 1e-6])
    state_k = state_b = state_e = (np.zeros(3), np.zeros(3), np.zeros(3))
    for t, g in enumerate(grads, start=1):
        state_k = O.adam_update(*state_k[:1], g, *state_k[1:], t)
        state_b = O.adam_update_textbook(*state_b[:1], g, *state_b[1:], t,
                                         epsilon=1e-7 / math.sqrt(1 - 0.999 ** t))
        state_e = O.adam_update_textbook(*state_e[:1], g, *state_e[1:], t)
    np.testing.assert_allclose(state_k[0], state_b[0], rtol=1e-9, atol=1e-15)
    assert abs(state_k[0][2] - state_e[0][2]) > 1e-5            # the paper's epsilon: other steps
    np.testing.assert_allclose(state_k[0][0], state_e[0][0], rtol=1e-4)   # ...but not for large g


def test_adams_first_step_has_the_length_of_the_learning_rate():
    g = np.array([40.0, -0.5, 0.02, 1e-6])
    w1, _, _ = O.adam_update(np.zeros(4), g, np.zeros(4), np.zeros(4), 1, learning_rate=0.001)
    np.testing.assert_allclose(w1[:3], -0.001 * np.sign(g[:3]), rtol=2e-4)
    assert abs(w1[3]) < 0.5e-3                                # a gradient near epsilon: shorter
    # without bias correction the first step would be (1 - b1) / sqrt(1 - b2) = 3.16 times longer
    assert (1 - 0.9) / math.sqrt(1 - 0.999) == pytest.approx(3.1623, rel=1e-4)


def test_rmsprops_steps_hardly_depend_on_the_gradients_scale():
    g = np.array([0.5, -3.0, 40.0])
    w1, _ = O.rmsprop_update(np.zeros(3), g, np.zeros(3))
    w2, _ = O.rmsprop_update(np.zeros(3), 1000 * g, np.zeros(3))
    np.testing.assert_allclose(w1, w2, rtol=1e-5)
    np.testing.assert_allclose(np.abs(w1), 0.001 / math.sqrt(0.1), rtol=1e-5)


def test_the_optimizer_classes_apply_the_pure_rules_in_place(rng):
    lam = np.array([1.0, 50.0])
    for opt, rule in [(O.SGD(0.01, momentum=0.9), "momentum"), (O.SGD(0.01, momentum=0.9, nesterov=True), "nesterov"),
                      (O.RMSprop(0.1), "rmsprop"), (O.Adam(0.1), "adam")]:
        w = np.array([-4.0, 1.0])
        ref, s1, s2 = w.copy(), np.zeros(2), np.zeros(2)
        for t in range(1, 31):
            g_ref = lam * ref
            opt.apply([lam * w], [w])
            if rule in ("momentum", "nesterov"):
                ref, s1 = O.momentum_update(ref, g_ref, s1, 0.01, 0.9, nesterov=rule == "nesterov")
            elif rule == "rmsprop":
                ref, s1 = O.rmsprop_update(ref, g_ref, s1, 0.1)
            else:
                ref, s1, s2 = O.adam_update(ref, g_ref, s1, s2, t, 0.1)
        np.testing.assert_allclose(w, ref, rtol=1e-12, atol=1e-14, err_msg=rule)


def test_fixed_order_sgd_settles_near_the_batch_weighted_least_squares():
    x, y = article_003_data()
    X = np.column_stack([x, np.ones_like(x)])
    theta_ls = np.linalg.solve(X.T @ X, X.T @ y)
    weights = np.r_[np.full(96, 1 / 32), np.full(4, 1 / 4)]    # the short last batch weighs 8 times
    theta_w = np.linalg.solve(X.T @ (weights[:, None] * X), X.T @ (weights * y))
    fixed = sgd_fixed_order(x, y, np.arange(100), lr=0.002, epochs=4000)
    assert np.linalg.norm(fixed - theta_w) < 0.01
    assert np.linalg.norm(fixed - theta_ls) > 0.3
    order_rng = np.random.default_rng(1)
    theta = np.zeros(2)
    for _ in range(1000):
        for xb, yb in minibatches(x, y, 32, shuffle=True, seed=order_rng):
            theta = O.sgd_update(theta, mse_and_grad(theta, xb, yb)[1], 0.01)
    assert np.linalg.norm(theta - theta_ls) < 0.1              # reshuffled: near least squares


def test_the_from_scratch_loop_matches_dlrefs_fit_without_shuffling():
    x, y = article_003_data()
    model = Sequential([Dense(1)])
    model.build((None, 1))
    model.set_weights([np.zeros((1, 1), np.float32), np.zeros(1, np.float32)])
    model.compile(optimizer=O.SGD(learning_rate=0.01), loss="mse")
    model.fit(x.reshape(-1, 1).astype(np.float32), y.reshape(-1, 1).astype(np.float32),
              batch_size=32, epochs=100, shuffle=False, verbose=0)
    kernel, bias = model.get_weights()
    scratch = sgd_fixed_order(x, y, np.arange(100), lr=0.01, epochs=100)
    np.testing.assert_allclose([kernel[0, 0], bias[0]], scratch, atol=1e-5)
