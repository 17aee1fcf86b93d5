"""Chapter 8's claims and its dlref additions: Dropout, EarlyStopping, initialisation, the seeds' errors.

Dropout's backward pass is checked against centred differences in float64 with a fixed mask
(a layer with a seed draws the same first mask every time it is made), and a backward pass that
forgets the scaling is shown to fail the same check.  EarlyStopping is driven by scripted
histories and compared with a direct statement of its rule.
"""
import warnings

import numpy as np
import pytest

import dlref
from dlref import layers, models, optimizers
from dlref.callbacks import Callback, EarlyStopping
from dlref.gradcheck import numerical_vjp, rel_error

TOL = 1e-7


# -- Dropout --------------------------------------------------------------------------------
def dropout_output(rate, seed):
    """x -> a fresh seeded Dropout's training output: the same mask on every call."""
    return lambda x: layers.Dropout(rate, seed=seed, dtype="float64")(x, training=True)


@pytest.mark.parametrize("rate, shape", [(0.5, (4, 6)), (0.2, (3, 5)), (0.8, (2, 3, 4, 2)), (0.0, (3, 4))])
def test_dropout_backward_matches_centred_differences(rate, shape, rng):
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    layer = layers.Dropout(rate, seed=7, dtype="float64")
    out = layer(x, training=True)
    np.testing.assert_array_equal(out, dropout_output(rate, 7)(x))     # the mask is fixed
    dx = layer.backward(dy)
    assert rel_error(dx, numerical_vjp(dropout_output(rate, 7), x.copy(), dy)) < TOL


class UnscaledDropout(layers.Dropout):
    """A plausible bug: backward uses the 0/1 mask and forgets the factor 1 / (1 - rate)."""

    def preactivation_backward(self, dz):
        return dz * (self._mask > 0)


def test_the_gradient_check_catches_a_backward_pass_without_the_scaling(rng):
    x, dy = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    layer = UnscaledDropout(0.5, seed=7, dtype="float64")
    layer(x, training=True)
    error = rel_error(layer.backward(dy), numerical_vjp(dropout_output(0.5, 7), x.copy(), dy))
    assert error > 0.1          # (2 - 1) / (2 + 1) = 1/3 for rate 0.5


def test_dropout_uses_inverted_scaling_at_training():
    rate = 0.3
    x = np.ones((400, 500), dtype=np.float32)
    out = layers.Dropout(rate, seed=0)(x, training=True)
    assert out.dtype == np.float32 and out.shape == x.shape
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / (1 - rate), rtol=1e-6)    # every kept entry scaled
    # the fraction dropped is a binomial proportion: within 5 standard deviations of the rate
    assert abs(1 - kept.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / x.size)
    assert abs(out.mean() - 1) < 0.01                                    # E[out] = x


def test_dropout_is_the_identity_at_inference_and_passes_the_gradient_through(rng):
    x = rng.standard_normal((5, 7)).astype(np.float32)
    layer = layers.Dropout(0.9, seed=1)
    np.testing.assert_array_equal(layer(x), x)                 # training=False by default
    np.testing.assert_array_equal(layer(x, training=False), x)
    dy = rng.standard_normal((5, 7)).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(dy), dy)
    np.testing.assert_array_equal(layers.Dropout(0.0)(x, training=True), x)


def test_dropout_backward_reuses_the_forward_mask(rng):
    x = rng.standard_normal((6, 8))
    layer = layers.Dropout(0.5, seed=3, dtype="float64")
    out = layer(x, training=True)
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx == 0, out == 0)
    np.testing.assert_allclose(dx[out != 0], 2.0)
    with pytest.raises(ValueError, match=r"^dy must have the shape of the last output \(6, 8\), got \(6, 7\)$"):
        layer.backward(np.ones((6, 7)))


def test_dropout_masks_are_reproducible_and_change_from_call_to_call():
    x = np.ones((20, 30))
    a, b = layers.Dropout(0.5, seed=11), layers.Dropout(0.5, seed=11)
    first = a(x, training=True)
    np.testing.assert_array_equal(first, b(x, training=True))          # same seed, same masks
    assert not np.array_equal(first, a(x, training=True))              # a new mask every step
    dlref.set_random_seed(5)
    g1 = layers.Dropout(0.5)(x, training=True)                         # no seed: the global generator
    dlref.set_random_seed(5)
    np.testing.assert_array_equal(g1, layers.Dropout(0.5)(x, training=True))


@pytest.mark.parametrize("rate", [1, 1.0, -0.1, 1.5, "0.5", True, None])
def test_dropout_rejects_a_rate_outside_0_to_1(rate):
    with pytest.raises(ValueError, match=r"^rate must be a number with 0 <= rate < 1"):
        layers.Dropout(rate)


def test_dropout_rejects_a_seed_that_is_not_an_int():
    with pytest.raises(TypeError, match=r"^seed must be an int or None, got float$"):
        layers.Dropout(0.5, seed=1.5)


def dense_pair(with_dropout, seed=0):
    dlref.set_random_seed(seed)
    stack = [layers.Dense(16, activation="relu")]
    stack += [layers.Dropout(0.5, seed=1)] if with_dropout else []
    model = models.Sequential(stack + [layers.Dense(3, activation="softmax")])
    model.build((None, 4))
    return model


def test_a_model_with_dropout_predicts_as_the_same_model_without_it(rng):
    x = rng.standard_normal((10, 4)).astype(np.float32)
    with_d, without = dense_pair(True), dense_pair(False)
    assert with_d.count_params() == without.count_params()           # Dropout has no weights
    without.set_weights(with_d.get_weights())
    np.testing.assert_array_equal(with_d.predict(x), without.predict(x))
    for m in (with_d, without):
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    y = rng.integers(0, 3, 10)
    assert with_d.evaluate(x, y, verbose=0) == without.evaluate(x, y, verbose=0)
    # at training the dropped units change the loss and the gradients
    loss_d, grads_d = with_d.compute_gradients(x, y)
    loss_n, grads_n = without.compute_gradients(x, y)
    assert loss_d != loss_n and not np.allclose(grads_d[0], grads_n[0])


def test_dropout_survives_get_config_and_save(tmp_path, rng):
    layer = layers.Dropout(0.25, seed=4, name="drop")
    assert layer.get_config() == {"name": "drop", "dtype": "float32", "rate": 0.25, "seed": 4}
    again = layers.from_config("Dropout", layer.get_config())
    assert isinstance(again, layers.Dropout) and again.get_config() == layer.get_config()
    model = dense_pair(True)
    model.save(tmp_path / "m.npz")
    back = models.Sequential.load(tmp_path / "m.npz")
    assert [type(l).__name__ for l in back.layers] == ["Dense", "Dropout", "Dense"]
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


# -- EarlyStopping on scripted histories ----------------------------------------------------
class ScriptedModel:
    """What a callback sees of a model: stop_training and weights (one number per epoch here)."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(1)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def run_script(callback, values, monitor="val_loss"):
    """Feed ``values`` to ``callback`` as fit would; return (epochs run, model)."""
    model = ScriptedModel()
    callback.set_model(model)
    callback.on_train_begin()
    epochs = 0
    for epoch, value in enumerate(values):
        model.weights = [np.array([float(epoch)])]        # "training" sets the weights to the epoch
        epochs += 1
        callback.on_epoch_end(epoch, {"loss": 0.0, monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs, model


def rule(values, patience, min_delta=0.0, mode="min"):
    """The rule in words: stop at the first epoch (not the first one) that comes ``patience`` or
    more epochs after the last improvement; an improvement beats the best by more than min_delta."""
    best, last = None, 0
    for epoch, v in enumerate(values):
        if best is None or (v + min_delta < best if mode == "min" else v - min_delta > best):
            best, last = v, epoch
        elif epoch - last >= patience and epoch > 0:
            return epoch + 1, last
    return len(values), last


def test_patience_counts_epochs_without_improvement():
    values = [1.0, 0.8, 0.7, 0.75, 0.74, 0.72, 0.6]
    for patience, expected in [(0, 4), (1, 4), (2, 5), (3, 6), (4, 7)]:
        es = EarlyStopping(patience=patience)
        epochs, _ = run_script(es, values)
        assert epochs == expected, patience
        assert es.best == 0.7 if expected < 7 else es.best == 0.6
        assert es.stopped_epoch == (expected - 1 if expected < 7 else 0)


def test_min_delta_and_max_mode():
    es = EarlyStopping(min_delta=0.01, patience=1)
    assert run_script(es, [1.0, 0.995, 0.98, 0.975])[0] == 2       # 0.995 is not 0.01 better
    es = EarlyStopping(min_delta=-0.01, patience=1)                 # its absolute value is used
    assert es.min_delta == 0.01
    es = EarlyStopping(monitor="val_accuracy", patience=1)          # auto: accuracy goes up
    assert es.mode == "max"
    assert run_script(es, [0.5, 0.6, 0.55, 0.7], monitor="val_accuracy")[0] == 3
    es = EarlyStopping(monitor="val_accuracy", patience=1, mode="min")
    assert run_script(es, [0.5, 0.6, 0.55, 0.7], monitor="val_accuracy")[0] == 2


def test_early_stopping_follows_its_rule_on_random_histories():
    r = np.random.default_rng(8)
    for _ in range(300):
        n = int(r.integers(1, 25))
        values = list(np.round(np.cumsum(r.normal(-0.02, 0.05, n)) + 1, 2))   # rounded: ties happen
        patience, mode = int(r.integers(0, 5)), str(r.choice(["min", "max"]))
        min_delta = float(r.choice([0.0, 0.01, 0.05]))
        es = EarlyStopping(patience=patience, min_delta=min_delta, mode=mode, restore_best_weights=True)
        epochs, model = run_script(es, values)
        assert (epochs, es.best_epoch) == rule(values, patience, min_delta, mode), (values, patience, mode)
        assert model.weights[0][0] == es.best_epoch              # the best epoch's weights came back


def test_start_from_epoch_and_baseline():
    values = [1.0, 2.0, 3.0, 0.5, 0.6, 0.7]
    es = EarlyStopping(patience=0, start_from_epoch=3)
    assert run_script(es, values)[0] == 5 and es.best == 0.5 and es.best_epoch == 3
    # never better than the baseline: wait is never reset, so the first epoch without
    # improvement once `patience` epochs have passed stops training
    values = [1.0, 0.9, 0.95, 0.8, 0.7]
    es = EarlyStopping(patience=2, baseline=0.1)
    assert run_script(es, values)[0] == 3
    es = EarlyStopping(patience=2, baseline=0.95)          # 0.9 beats it: wait starts again
    assert run_script(es, values)[0] == 5
    assert run_script(EarlyStopping(patience=2), values)[0] == 5


def test_restore_best_weights_also_when_training_runs_to_the_end():
    es = EarlyStopping(patience=10, restore_best_weights=True)
    epochs, model = run_script(es, [0.5, 0.3, 0.4, 0.45])
    assert epochs == 4 and es.stopped_epoch == 0 and model.weights[0][0] == 1.0
    es = EarlyStopping(patience=10)
    assert run_script(es, [0.5, 0.3, 0.4, 0.45])[1].weights[0][0] == 3.0   # off: the last weights


def test_early_stopping_can_be_reused_and_warns_without_its_quantity():
    es = EarlyStopping(patience=0)
    assert run_script(es, [1.0, 2.0, 3.0])[0] == 2
    assert run_script(es, [3.0, 2.0, 1.0])[0] == 3 and es.best == 1.0     # starts afresh
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss` which is not available"):
        run_script(EarlyStopping(), [1.0, 2.0], monitor="loss_of_something_else")


def test_early_stopping_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"^mode must be 'auto', 'min' or 'max', got 'down'$"):
        EarlyStopping(mode="down")
    with pytest.raises(ValueError, match=r"^cannot tell whether 'val_f1' should be minimised"):
        EarlyStopping(monitor="val_f1")
    with pytest.raises(ValueError, match=r"^patience must be a non-negative integer, got -1$"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match=r"^start_from_epoch must be a non-negative integer, got 1.5$"):
        EarlyStopping(start_from_epoch=1.5)


# -- callbacks inside Sequential.fit --------------------------------------------------------
class Recorder(Callback):
    """Records the calls fit makes; stops training after epoch ``stop_at`` (from 0)."""

    def __init__(self, stop_at=None):
        self.calls, self.weights, self.stop_at = [], [], stop_at

    def on_train_begin(self, logs=None):
        self.calls.append("begin")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((epoch, sorted(logs)))
        self.weights.append(self.model.get_weights())
        if epoch == self.stop_at:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.calls.append("end")


def small_problem(seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((60, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    dlref.set_random_seed(seed)
    model = models.Sequential([layers.Dense(8, activation="relu"), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def test_fit_calls_the_callbacks_and_stops_when_asked():
    model, x, y = small_problem()
    rec = Recorder(stop_at=2)
    history = model.fit(x[:40], y[:40], epochs=10, verbose=0, validation_data=(x[40:], y[40:]),
                        callbacks=[rec])
    keys = ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert rec.calls == ["begin", (0, keys), (1, keys), (2, keys), "end"]
    assert len(history.history["loss"]) == 3 and history.epoch == [0, 1, 2]
    assert model.stop_training is True
    assert len(model.fit(x, y, epochs=2, verbose=0).history["loss"]) == 2   # the flag is reset


def test_fit_with_early_stopping_restores_the_best_epoch():
    model, x, y = small_problem(1)
    rec, es = Recorder(), EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    # a learning rate so large that the loss jumps around: training stops early
    model.optimizer = optimizers.SGD(5.0)
    history = model.fit(x, y, epochs=40, batch_size=60, verbose=0, shuffle=False, callbacks=[rec, es])
    losses = history.history["loss"]
    assert es.stopped_epoch == len(losses) - 1 < 39
    assert es.best_epoch == int(np.argmin(losses)) and es.best == min(losses)
    for got, want in zip(model.get_weights(), rec.weights[es.best_epoch]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_prints_only_when_verbose(capsys):
    es = EarlyStopping(patience=0, verbose=1, restore_best_weights=True)
    run_script(es, [1.0, 2.0])
    assert capsys.readouterr().out == ("Epoch 2: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 1.\n")
    run_script(EarlyStopping(patience=0), [1.0, 2.0])
    assert capsys.readouterr().out == ""


# -- the chapter's claims -------------------------------------------------------------------
def test_the_seeds_errors_are_errors_in_dlref_too():
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    labels = np.array([0, 1, 2, 3])
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(784,)),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"sample shape \(28, 28\), but the model was built for \(784,\)"):
        model.fit(images, labels, verbose=0)                         # erratum 2: not flattened
    with pytest.raises(ValueError, match="use sparse_categorical_crossentropy"):
        model.fit(images.reshape(4, 784), labels, verbose=0)          # integer labels, one-hot loss
    model.fit(images.reshape(4, 784) / 255, dlref.data.one_hot(labels, 10), verbose=0)   # the fixes


def test_zero_initialisation_never_moves_the_hidden_layer(rng):
    model = models.Sequential([layers.Dense(6, activation="relu", kernel_initializer="zeros", dtype="float64"),
                               layers.Dense(3, activation="softmax", kernel_initializer="zeros", dtype="float64")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = rng.standard_normal((30, 5)), rng.integers(0, 3, 30)
    _, grads = model.compute_gradients(x, y)
    assert not np.any(grads[0]) and not np.any(grads[1]) and not np.any(grads[2])   # hidden kernel, bias, output kernel
    assert np.any(grads[3])                                                          # only the output bias learns
    model.fit(x, y, epochs=3, batch_size=10, verbose=0)
    assert not np.any(model.get_weights()[0]) and not np.any(model.get_weights()[2])


@pytest.mark.parametrize("init, ratio", [("glorot_uniform", 0.5), ("he_normal", 1.0)])
def test_he_keeps_the_relu_signal_and_glorot_halves_it(init, ratio):
    # square ReLU layers: E[h_l^2] = n Var(w) E[h_{l-1}^2] / 2, so Glorot (Var = 1/n) halves it
    dlref.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((2000, 400))
    h, ms = x, []
    for _ in range(6):
        layer = layers.Dense(400, activation="relu", kernel_initializer=init, dtype="float64")
        h = layer(h)
        ms.append(np.mean(h ** 2))
    factor = (ms[-1] / ms[0]) ** (1 / 5)          # per layer, geometric mean over five layers
    assert factor == pytest.approx(ratio, rel=0.15)


def test_glorot_limit_gives_the_variance_of_the_formula():
    dlref.set_random_seed(0)
    fan_in, fan_out = 784, 128
    w = dlref.initializers.glorot_uniform((fan_in, fan_out), dtype="float64")
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert w.max() <= limit and w.min() >= -limit and w.max() > 0.99 * limit
    assert np.var(w) == pytest.approx(2 / (fan_in + fan_out), rel=0.02)       # limit^2 / 3
