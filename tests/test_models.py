"""Sequential's API: errors that explain themselves, numerics at extreme logits, files."""
import io

import numpy as np
import pytest

import dlref
from dlref import activations, losses, models, optimizers
from dlref.layers import Activation, Dense, Flatten


def small_model(**kw):
    dlref.set_random_seed(0)
    m = models.Sequential([Flatten(), Dense(8, activation="relu"), Dense(3, activation="softmax")], **kw)
    m.build((None, 2, 3))
    return m


@pytest.mark.parametrize("x", [np.array([-1e4, 0.0, 1e4]), np.array([[1e4, -1e4], [-1e4, 1e4]])])
def test_no_nan_at_extreme_logits(x):
    assert np.all(np.isfinite(activations.sigmoid(x)))
    assert np.all(np.isfinite(activations.softmax(x)))
    np.testing.assert_allclose(activations.sigmoid(np.array([-1e4, 1e4])), [0.0, 1.0])
    z = np.atleast_2d(x)
    y = np.eye(z.shape[1])[np.zeros(len(z), int)]
    for name in ["categorical_crossentropy", "binary_crossentropy"]:
        for from_logits in (True, False):
            pred = z if from_logits else activations.softmax(z)
            value, grad = losses.get(name).value_and_grad(y, pred, from_logits=from_logits)
            assert np.isfinite(value) and np.all(np.isfinite(grad)), (name, from_logits)
    labels = np.zeros(len(z), int)
    value, grad = losses.sparse_cce_value_and_grad(labels, z, from_logits=True)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(np.mean(np.max(z, 1) - z[:, 0]), rel=1e-12)


def test_softmax_cross_entropy_is_exact_at_1e4():
    z = np.array([[1e4, 0.0, -1e4]])
    assert losses.sparse_categorical_crossentropy([1], z, from_logits=True) == pytest.approx(1e4)
    # with probabilities, Keras's clipping caps the loss at -log(1e-7)
    p = activations.softmax(z)
    assert losses.sparse_categorical_crossentropy([1], p) == pytest.approx(-np.log(1e-7), rel=1e-6)


def test_errors_say_what_was_expected():
    m = small_model()
    with pytest.raises(RuntimeError, match="not compiled"):
        m.fit(np.zeros((4, 2, 3)), np.zeros(4, int))
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"sample shape \(3, 2\).*built for \(2, 3\)"):
        m.predict(np.zeros((4, 3, 2)))
    with pytest.raises(TypeError, match="numeric array, got dtype <U"):
        m.predict(np.array([[["a"] * 3] * 2]))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        m.fit(np.zeros((4, 2, 3)), np.zeros(4, int), batch_size=0)
    with pytest.raises(ValueError, match="x has 4 samples but y has 3"):
        m.fit(np.zeros((4, 2, 3)), np.zeros(3, int), verbose=0)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        m.fit(np.zeros((4, 2, 3)), np.array([0, 1, 2, 5]), verbose=0)
    with pytest.raises(ValueError, match="unknown loss 'cross_entropy'.*'categorical_crossentropy'"):
        m.compile(loss="cross_entropy")
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'.*'adam'"):
        m.compile(optimizer="adamw", loss="mse")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        Dense(3, activation="gelu")
    with pytest.raises(ValueError, match=r"expected 4 weight arrays with shapes \[\(6, 8\)"):
        m.set_weights(m.get_weights()[:2])
    with pytest.raises(ValueError, match=r"kernel must have shape \(6, 8\), got \(8, 6\)"):
        m.set_weights([w.T if w.ndim == 2 else w for w in m.get_weights()])
    with pytest.raises(ValueError, match="NaN"):
        m.predict(np.full((1, 2, 3), np.nan))
    unbuilt = models.Sequential([Dense(2)])
    with pytest.raises(ValueError, match="before it is built"):
        unbuilt.get_weights()
    with pytest.raises(ValueError, match="put a Flatten layer before it"):
        models.Sequential([Dense(2)]).build((None, 2, 3))
    with pytest.raises(ValueError, match="positive integer"):
        Dense(0)
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        optimizers.Adam(learning_rate=-1)


def test_fit_history_progress_and_learning():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 2, 3)).astype(np.float32)
    y = (x.reshape(200, -1).sum(axis=1) > 0).astype(int) + (x[:, 0, 0] > 1)
    m = small_model()
    m.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, batch_size=32, epochs=15, verbose=0, validation_data=(x[:50], y[:50]))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h.history["loss"]) == 15 and h.history["loss"][-1] < 0.6 * h.history["loss"][0]
    assert h.history["accuracy"][-1] > 0.85
    loss, acc = m.evaluate(x, y, verbose=0)
    assert acc > 0.85 and loss == pytest.approx(m.evaluate(x, y, batch_size=7, verbose=0)[0], rel=1e-5)

    import sys
    buf, old = io.StringIO(), sys.stdout
    sys.stdout = buf
    try:
        m.fit(x, y, batch_size=50, epochs=2, verbose=2)
    finally:
        sys.stdout = old
    lines = buf.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[1].startswith("4/4 - ") and "loss:" in lines[1]


def test_same_seed_same_training():
    x = np.random.default_rng(1).standard_normal((64, 2, 3))
    y = np.arange(64) % 3
    runs = []
    for _ in range(2):
        m = small_model()
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        runs.append(m.fit(x, y, epochs=3, verbose=0).history["loss"])
    assert runs[0] == runs[1]


def test_save_and_load_round_trip(tmp_path):
    m = small_model()
    path = tmp_path / "model.npz"
    m.save(path)
    loaded = models.load_model(path)
    x = np.random.default_rng(2).standard_normal((5, 2, 3))
    np.testing.assert_array_equal(loaded.predict(x), m.predict(x))
    assert [type(l).__name__ for l in loaded.layers] == ["Flatten", "Dense", "Dense"]
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a model saved by dlref"):
        models.load_model(tmp_path / "junk.npz")


def test_activation_layer_output_fuses_with_the_loss():
    """Dense + Activation('softmax') trains exactly like Dense(activation='softmax')."""
    x = np.random.default_rng(3).standard_normal((16, 4))
    y = np.arange(16) % 3
    a = models.Sequential([Dense(3, activation="softmax")])
    b = models.Sequential([Dense(3), Activation("softmax")])
    a.build((None, 4)); b.build((None, 4))
    b.set_weights(a.get_weights())
    for m in (a, b):
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    np.testing.assert_allclose(a.fit(x, y, epochs=3, verbose=0, shuffle=False).history["loss"],
                               b.fit(x, y, epochs=3, verbose=0, shuffle=False).history["loss"], rtol=1e-6)
