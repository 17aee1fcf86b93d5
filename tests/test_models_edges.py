"""Sequential beyond the fused softmax path: losses and accuracies against an independent NumPy
computation, batching that must not change results, fit's sample-weighted epoch logs, weights,
files and messages."""
import numpy as np
import pytest

import dlref
from dlref import models, optimizers
from dlref.layers import LSTM, Activation, Conv2D, Dense, Flatten, MaxPooling2D

X = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [2.0, -1.0, 0.5]])
K = np.array([[1.0, -1.0], [0.5, 0.5], [-1.0, 2.0]])
B = np.array([0.1, -0.1])
LABELS = np.array([0, 1, 1, 0, 1])


def softmax_model(**compile_kw):
    m = models.Sequential([Dense(2, activation="softmax", input_shape=(3,), dtype="float64")])
    m.set_weights([K, B])
    m.compile(**{"optimizer": optimizers.SGD(0.0), "loss": "sparse_categorical_crossentropy", **compile_kw})
    return m


def reference_probs():
    z = X @ K + B
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_predict_and_call_match_numpy_in_any_batch_size():
    m = softmax_model()
    p = reference_probs()
    for bs in (1, 2, 32):
        np.testing.assert_allclose(m.predict(X, batch_size=bs), p, rtol=1e-12)
    np.testing.assert_allclose(m(X), p, rtol=1e-12)
    assert m.predict(X[:0]).shape == (0, 2)


def test_evaluate_is_a_sample_weighted_mean():
    m = softmax_model(metrics=["acc"])
    p = reference_probs()
    loss = -np.mean(np.log(p[np.arange(5), LABELS]))
    acc = np.mean(p.argmax(axis=1) == LABELS)
    assert 0 < acc < 1
    for bs in (2, 3, 5):
        got = m.evaluate(X, LABELS, batch_size=bs, verbose=0)
        assert got == pytest.approx([loss, acc], rel=1e-12)
    assert m.evaluate(X, LABELS[:, None], verbose=0, return_dict=True) == pytest.approx(
        {"loss": loss, "accuracy": acc}, rel=1e-12)
    plain = softmax_model()
    assert isinstance(plain.evaluate(X, LABELS, verbose=0), float)
    assert plain.evaluate(X, LABELS, verbose=0) == pytest.approx(loss, rel=1e-12)


def test_accuracy_for_one_hot_binary_and_regression_outputs():
    # one-hot targets: argmax against argmax, also one sample at a time
    m = softmax_model(loss="categorical_crossentropy", metrics=["accuracy"])
    y = np.eye(2)[LABELS]
    p = reference_probs()
    acc = np.mean(p.argmax(axis=1) == LABELS)
    for bs in (1, 5):
        assert m.evaluate(X, y, batch_size=bs, verbose=0)[1] == pytest.approx(acc)
    # two independent sigmoid outputs with binary cross-entropy: thresholds at 0.5, element-wise
    b = models.Sequential([Dense(2, activation="sigmoid", input_shape=(3,), dtype="float64")])
    b.set_weights([K, np.zeros(2)])
    b.compile(optimizer=optimizers.SGD(0.0), loss="binary_crossentropy", metrics=["accuracy"])
    yb = np.array([[1, 1], [0, 1], [0, 1], [1, 0], [1, 1]], float)
    z = X @ K
    want = np.mean((z > 0) == (yb > 0.5))                # sigmoid(z) > 0.5 exactly when z > 0
    assert want != np.mean(z.argmax(axis=1) == yb.argmax(axis=1))
    assert b.evaluate(X, yb, verbose=0)[1] == pytest.approx(want)
    # one linear output with mse: also thresholded; an output of exactly 0.5 counts as 0
    r = models.Sequential([Dense(1, input_shape=(1,), dtype="float64")])
    r.set_weights([np.ones((1, 1)), np.zeros(1)])
    r.compile(optimizer=optimizers.SGD(0.0), loss="mse", metrics=["accuracy"])
    xr, yr = np.array([[0.5], [0.9], [0.1]]), np.array([[0.0], [1.0], [1.0]])
    loss, acc = r.evaluate(xr, yr, verbose=0)
    assert acc == pytest.approx(2 / 3) and loss == pytest.approx((0.25 + 0.01 + 0.81) / 3)


def test_mse_gradients_and_backward_agree():
    m = models.Sequential([Dense(2, activation="tanh", input_shape=(3,), dtype="float64"),
                           Dense(1, dtype="float64")])
    m.compile(optimizer="sgd", loss="mse")
    y = np.array([[1.0], [0.0], [-1.0], [0.5], [2.0]])
    loss, grads = m.compute_gradients(X, y)
    out = m.forward(X, training=True)
    assert loss == pytest.approx(np.mean((out - y) ** 2), rel=1e-12)
    m.backward(2 * (out - y) / out.size)
    for g, layer_grad in zip(grads, [m.layers[0].grads["kernel"], m.layers[0].grads["bias"],
                                     m.layers[1].grads["kernel"], m.layers[1].grads["bias"]]):
        np.testing.assert_allclose(g, layer_grad, rtol=1e-12)
    assert m.layers[0].compute_input_grad is False and m.layers[1].compute_input_grad is True
    assert m.train_on_batch(X, y) == pytest.approx(loss, rel=1e-12)


def test_fit_logs_the_sample_weighted_mean_of_the_batch_losses():
    m = softmax_model(metrics=["accuracy"])           # learning rate 0: every batch sees the same weights
    loss, acc = m.evaluate(X, LABELS, verbose=0)
    hist = m.fit(X, LABELS, batch_size=2, epochs=2, verbose=0, validation_data=(X[:2], LABELS[:2]))
    assert hist is m.history and hist.epoch == [0, 1]
    assert hist.history["loss"] == pytest.approx([loss, loss], rel=1e-12)
    assert hist.history["accuracy"] == pytest.approx([acc, acc], rel=1e-12)
    assert hist.history["val_loss"] == pytest.approx([m.evaluate(X[:2], LABELS[:2], verbose=0)[0]] * 2)
    assert m.optimizer.iterations == 6                 # 3 batches of 2, 2 and 1, twice


def test_fit_without_shuffling_is_train_on_batch_in_order():
    a, b = softmax_model(), softmax_model()
    a.compile(optimizer=optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    b.compile(optimizer=optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    a.fit(X, LABELS, batch_size=2, epochs=1, verbose=0, shuffle=False)
    for i in (0, 2, 4):
        b.train_on_batch(X[i:i + 2], LABELS[i:i + 2])
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-12)


def test_fit_default_is_one_epoch_of_batches_of_32():
    m = softmax_model()
    x = np.repeat(X, 13, axis=0)                       # 65 samples: batches of 32, 32 and 1
    y = np.repeat(LABELS, 13)
    m.fit(x, y, verbose=0)
    assert m.optimizer.iterations == 3 and len(m.history.history["loss"]) == 1


def test_verbose_output(capsys):
    m = softmax_model(metrics=["accuracy"])
    m.fit(X, LABELS, batch_size=5, epochs=1, validation_data=(X, LABELS))
    out = capsys.readouterr().out
    loss, acc = m.evaluate(X, LABELS, verbose=0)
    assert "Epoch 1/1" in out and "1/1 [" in out
    assert f"val_loss: {loss:.4f} - val_accuracy: {acc:.4f}" in out
    m.evaluate(X, LABELS)
    assert capsys.readouterr().out.strip() == f"loss: {loss:.4f} - accuracy: {acc:.4f}"


def test_weights_building_and_files(tmp_path):
    m = models.Sequential([Dense(4, input_shape=(3,)), Dense(3), Dense(2)])
    weights = [np.full(w.shape, i, np.float32) for i, w in enumerate(m.get_weights())]
    m.set_weights(weights)
    for w, want in zip(m.get_weights(), weights):
        np.testing.assert_array_equal(w, want)
    u = models.Sequential([Dense(2)])
    assert u.predict(np.ones((1, 5))).shape == (1, 2)  # built from the data
    assert u.input_shape == (None, 5)
    net = models.Sequential([Conv2D(2, 3, padding="same", strides=2, activation="relu", input_shape=(6, 6, 1)),
                             MaxPooling2D(2, strides=1, padding="valid"), Flatten(),
                             Activation("tanh"), Dense(3, activation="softmax")])
    rnn = models.Sequential([LSTM(2, return_sequences=True, unit_forget_bias=False, input_shape=(4, 3)),
                             Flatten(), Dense(1, activation="sigmoid")])
    for model, x in [(net, np.random.default_rng(0).standard_normal((2, 6, 6, 1))),
                     (rnn, np.random.default_rng(1).standard_normal((2, 4, 3)))]:
        model.save(tmp_path / "m.npz")
        back = models.Sequential.load(tmp_path / "m.npz")
        assert back.get_config()["layers"] == model.get_config()["layers"]
        np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_summary(capsys):
    m = models.Sequential([Dense(4, input_shape=(3,), name="hidden"), Dense(2, name="out")])
    m.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert lines[1].split() == ["hidden", "(Dense)", "(None,", "4)", "16"]
    assert lines[2].split() == ["out", "(Dense)", "(None,", "2)", "10"]
    assert lines[3] == "Total params: 26"


def test_messages():
    with pytest.raises(TypeError, match=r"^Sequential takes dlref layers, got ndarray$"):
        models.Sequential([np.zeros(2)])
    with pytest.raises(ValueError, match=r"^this Sequential model has no layers; add some before building it$"):
        models.Sequential().build((None, 3))
    with pytest.raises(ValueError, match=r"no layers"):
        models.Sequential().predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^cannot use the model before it is built: call model\.build\(\(None, "
                                         r"features\)\), give the first layer an input_shape, or call the "
                                         r"model on data first$"):
        models.Sequential([Dense(2)]).ensure_built()
    with pytest.raises(ValueError, match=r"^cannot set the weights of the model before it is built"):
        models.Sequential([Dense(2)]).set_weights([])
    with pytest.raises(ValueError, match=r"^cannot summarise the model before it is built"):
        models.Sequential([Dense(2)]).summary()
    m = softmax_model()
    with pytest.raises(ValueError, match=r"^x must have a batch axis first, got shape \(3,\)$"):
        m.predict(np.ones(3))
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer, got 0$"):
        m.predict(X, batch_size=0)
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer, got 0$"):
        m.evaluate(X, LABELS, batch_size=0)
    with pytest.raises(ValueError, match=r"^epochs must be a positive integer, got 0$"):
        m.fit(X, LABELS, epochs=0)
    with pytest.raises(ValueError, match=r"^validation_data must be a pair \(x_val, y_val\)$"):
        m.fit(X, LABELS, verbose=0, validation_data=(X,))
    with pytest.raises(TypeError, match=r"^y must be numeric, got dtype <U1$"):
        m.evaluate(X, np.array(list("abcde")), verbose=0)
    with pytest.raises(ValueError, match=r"^compile needs a loss, e\.g\. loss='sparse_categorical_crossentropy'$"):
        m.compile()
    with pytest.raises(TypeError, match=r"^loss must be a Keras loss name such as 'mse', got function$"):
        m.compile(loss=lambda y, p: 0.0)
    with pytest.raises(ValueError, match=r"^unknown metric 'f1'; dlref supports 'accuracy'$"):
        m.compile(loss="mse", metrics=["f1"])
    with pytest.raises(RuntimeError, match=r"^the model is not compiled: call model\.compile\(optimizer, loss\) first$"):
        models.Sequential([Dense(2, input_shape=(3,))]).evaluate(X, LABELS)
    assert models.Sequential().name == "sequential"


def test_fit_shuffles_by_default_and_stays_quiet_with_verbose_0(capsys):
    def trained(**kw):
        dlref.set_random_seed(5)
        m = softmax_model()
        m.compile(optimizer=optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
        m.fit(X, LABELS, batch_size=1, epochs=1, verbose=0, validation_data=(X, LABELS), **kw)
        return m.get_weights()[0]
    in_order = trained(shuffle=False)
    assert not np.allclose(trained(), in_order)             # another order of the 5 steps
    assert capsys.readouterr().out == ""


def test_float32_models_keep_float32():
    m = models.Sequential([Dense(2, activation="tanh", input_shape=(3,)), Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    assert m.predict(X).dtype == np.float32                  # float64 data, float32 model
    _, grads = m.compute_gradients(X, np.zeros((5, 1)))
    assert all(g.dtype == np.float32 for g in grads)
    with pytest.raises(TypeError, match=r"^x must be a numeric array, got dtype <U1"):
        m.predict(np.array([["a", "b", "c"]]))


def test_accuracy_on_outputs_with_more_axes():
    # one output per step, mse: thresholded at 0.5 step by step
    one = models.Sequential([LSTM(1, return_sequences=True, input_shape=(4, 2), dtype="float64")])
    one.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    xs = np.random.default_rng(3).standard_normal((2, 4, 2))
    y1 = np.array([[1, 0, 1, 1], [0, 1, 1, 0]], float)[..., None]
    p1 = one.predict(xs)
    want = np.mean((p1 > 0.5) == (y1 > 0.5))
    assert want < 1 and one.evaluate(xs, y1, verbose=0)[1] == pytest.approx(want)
    # sequences out, softmax over the last axis: argmax per step
    seq = models.Sequential([LSTM(3, return_sequences=True, input_shape=(4, 2), dtype="float64"),
                             Activation("softmax", dtype="float64")])
    seq.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    ys = np.eye(3)[[[0, 1, 2, 0], [2, 2, 1, 0]]]
    p = seq.predict(xs)
    want = np.mean(p.argmax(axis=-1) == ys.argmax(axis=-1))
    assert seq.evaluate(xs, ys, verbose=0)[1] == pytest.approx(want)
