"""Chapter 11's claims: the articles' programs, dlref <-> Keras, devices and the benchmark's results.

The fast NumPy tier checks what needs no TensorFlow: the parameter counts and weight order the
chapter and its assignment rely on, the gradient that the assignment's hidden test takes from
dlref (centred differences in float64), the Adam sensitivity of exercise 5, and the committed
benchmark results (their fields, their arithmetic, the first epoch against the steady ones).
The tests marked ``keras`` run the articles' programs as the chapter does and check where they
fail, carry the chapter's three models both ways, and compare GradientTape, one Adam step, the
shuffle order of ``fit``, mixed precision and a tiny run of ``benchmarks/keras_devices.py``.
"""
import ast
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import warnings

import nbformat
import numpy as np
import pytest

import dlref
from dlref.gradcheck import numerical_gradient, rel_error

from conftest import require_tensorflow
from course import ROOT

CHAPTER = ROOT / "chapters" / "11_keras_gpu.ipynb"
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
import keras_devices  # noqa: E402  (NumPy only at import time)


def chapter_constant(name):
    """A string constant assigned in the chapter's code cells, e.g. ``ARTICLE_000``."""
    for cell in nbformat.read(CHAPTER, as_version=4).cells:
        if cell.cell_type == "code" and f"{name} = " in cell.source:
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and node.targets[0].id == name:
                    return ast.literal_eval(node.value)
    raise LookupError(name)


# -- the fast tier -------------------------------------------------------------------------------
def mlp(sizes, dtype="float32"):
    model = dlref.models.Sequential([dlref.layers.Dense(n, activation="relu", dtype=dtype) for n in sizes[1:-1]]
                                    + [dlref.layers.Dense(sizes[-1], activation="softmax", dtype=dtype)])
    model.build((None, sizes[0]))
    return model


@pytest.mark.parametrize("sizes,count", [([784, 128, 10], 101_770), ([784, 512, 512, 10], 669_706),
                                         ([784, 10], 7_850), ([784, 128], 100_480)])
def test_parameter_counts_quoted_by_chapter_and_assignment(sizes, count):
    assert mlp(sizes).count_params() == count


def test_cnn_of_article_001_has_93322_parameters():
    L = dlref.layers
    model = dlref.models.Sequential([L.Conv2D(32, 3), L.MaxPooling2D(2), L.Conv2D(64, 3), L.MaxPooling2D(2),
                                     L.Conv2D(64, 3), L.Flatten(), L.Dense(64), L.Dense(10)])
    model.build((None, 28, 28, 1))
    assert model.count_params() == 93_322


def test_weight_order_is_kernel_recurrent_kernel_bias():
    model = dlref.models.Sequential([dlref.layers.LSTM(32), dlref.layers.Dense(10)])
    model.build((None, 28, 28))
    assert [w.shape for w in model.get_weights()] == [(28, 128), (32, 128), (128,), (32, 10), (10,)]
    # the same list, rebuilt from per-layer dictionaries whose keys come bias first
    order = ("kernel", "recurrent_kernel", "bias")
    reversed_dicts = [dict(reversed(list(layer.params.items()))) for layer in model.layers]
    flat = [p[k] for p in reversed_dicts for k in order if k in p]
    assert all(np.array_equal(a, b) for a, b in zip(flat, model.get_weights()))
    naive = [w for p in reversed_dicts for w in p.values()]      # the realistic bug of the assignment
    assert [w.shape for w in naive] != [w.shape for w in model.get_weights()]


@pytest.mark.parametrize("sizes,n", [([5, 4, 3], 6), ([3, 2], 1), ([4, 6, 5, 3], 2)])
def test_reference_gradients_of_the_assignment_pass_a_float64_gradient_check(sizes, n):
    r = np.random.default_rng(sum(sizes) + n)
    model = mlp(sizes, dtype="float64")
    model.set_weights([r.normal(size=w.shape) for w in model.get_weights()])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = r.normal(size=(n, sizes[0])), r.integers(0, sizes[-1], n)
    _, grads = model.compute_gradients(x, y)
    weights = model.trainable_weights                 # the arrays themselves, perturbed in place

    def loss():
        return dlref.losses.sparse_categorical_crossentropy(y, model.forward(x))

    for w, g in zip(weights, grads):
        assert rel_error(g, numerical_gradient(loss, w)) < 1e-7


def test_the_gradient_check_fails_for_a_wrong_gradient():
    r = np.random.default_rng(3)
    model = mlp([5, 4, 3], dtype="float64")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = r.normal(size=(6, 5)), r.integers(0, 3, 6)
    _, grads = model.compute_gradients(x, y)
    kernel = model.trainable_weights[0]
    numeric = numerical_gradient(lambda: dlref.losses.sparse_categorical_crossentropy(y, model.forward(x)), kernel)
    assert rel_error(grads[0], numeric) < 1e-7
    assert rel_error(2 * grads[0], numeric) > 0.1            # the factor 2 of a forgotten mean
    assert rel_error(grads[0].T.reshape(kernel.shape), numeric) > 1e-3


def test_adam_first_step_magnifies_a_sign_difference_of_tiny_gradients():
    """Exercise 5 and the remark under the parity figure: +1e-9 against -1e-9."""
    w = np.zeros(1)
    step = [dlref.optimizers.adam_update(w, np.array([g]), np.zeros(1), np.zeros(1), 1)[0][0] for g in (1e-9, -1e-9)]
    eps_hat = 1e-7 / math.sqrt(1 - 0.999)                 # Keras's epsilon, seen from the first step
    assert step[0] == pytest.approx(-1e-3 * 1e-9 / (1e-9 + eps_hat), rel=1e-6)
    magnification = abs(step[0] - step[1]) / 2e-9
    assert magnification == pytest.approx(1e-3 / (eps_hat + 1e-9), rel=1e-6)
    assert 300 < magnification < 320


def committed_results():
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob("keras_devices-*.json"))]


def test_a_cpu_result_is_committed_with_its_device_backend_versions_and_date():
    results = committed_results()
    assert any(r["device_kind"] == "cpu" for r in results)
    for r in results:
        assert r["device"] and r["backend"] in ("tensorflow", "jax")
        assert r["versions"]["keras"] and r["versions"][r["backend"]]
        assert r["date"][:2] == "20" and "T" in r["date"]
        assert r["tensorflow_imported"] == (r["backend"] == "tensorflow")
        assert set(r["models"]) <= set(keras_devices.MODELS)


def test_committed_rows_are_consistent():
    for r in committed_results():
        samples = r["settings"]["samples"]
        for name, result in r["models"].items():
            rows = result["rows"]
            assert [row["batch_size"] for row in rows] == r["settings"]["batch_sizes"]
            for row in rows:
                assert row["steps_per_epoch"] == math.ceil(samples / row["batch_size"])
                assert len(row["all_steady_epoch_s"]) == r["settings"]["steady_epochs"]
                assert row["steady_epoch_s"] == pytest.approx(np.median(row["all_steady_epoch_s"]), abs=1e-4)
                assert samples / row["samples_per_s"] == pytest.approx(row["steady_epoch_s"], abs=6e-5)
                assert row["first_minus_steady_s"] == pytest.approx(row["first_epoch_s"] - row["steady_epoch_s"],
                                                                    abs=2e-4)


def test_the_first_epoch_pays_for_compilation_in_the_committed_results():
    """What the chapter's figure shows: compiling costs the first epoch extra, at every batch size."""
    for r in committed_results():
        for result in r["models"].values():
            assert all(row["first_epoch_s"] > row["steady_epoch_s"] for row in result["rows"])


def test_benchmark_arguments():
    quick = keras_devices.parse(["--quick"])
    assert (quick.samples, quick.epochs) == (keras_devices.QUICK["samples"], keras_devices.QUICK["epochs"])
    assert quick.batch_sizes == [32, 64, 128, 256, 512, 1024] and quick.models == ["mlp", "cnn", "lstm"]
    full = keras_devices.parse(["--models", "cnn", "--batch-sizes", "256,512", "--epochs", "5"])
    assert (full.samples, full.epochs, full.models, full.batch_sizes) == (60000, 5, ["cnn"], [256, 512])
    with pytest.raises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
        keras_devices.parse(["--models", "resnet"])


def test_benchmark_hides_the_gpu_from_the_cpu_run_only():
    cpu, gpu = keras_devices.child_env("cpu"), keras_devices.child_env("gpu")
    assert cpu["CUDA_VISIBLE_DEVICES"] == "" and cpu["JAX_PLATFORMS"] == "cpu"
    assert gpu.get("CUDA_VISIBLE_DEVICES") == os.environ.get("CUDA_VISIBLE_DEVICES")
    assert gpu["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"


# -- the keras tier ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keras():
    require_tensorflow()
    import keras as keras_module
    return keras_module


def run_article(source, changes=()):
    """The chapter's run_as_written, reduced: the error an article's program raises, or None."""
    for old, new in changes:
        assert source.count(old) == 1
        source = source.replace(old, new)
    namespace = {"load_mnist_offline": dlref.data.load_mnist}
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        try:
            exec(compile(source, "article", "exec"), namespace)
        except Exception as exc:
            return exc, [str(w.message) for w in caught], namespace
    return None, [str(w.message) for w in caught], namespace


@pytest.mark.keras
def test_article_000_fails_in_fit_on_the_unflattened_images(keras):
    error, warned, _ = run_article(chapter_constant("ARTICLE_000"),
                                   [("tf.keras.datasets.mnist.load_data()", "load_mnist_offline()")])
    assert isinstance(error, ValueError)
    assert "Expected shape (None, 784)" in str(error) and "(32, 28, 28)" in str(error)
    assert any("input_shape" in w for w in warned)               # erratum 5


@pytest.mark.keras
def test_article_001_never_defines_its_data(keras):
    error, _, namespace = run_article(chapter_constant("ARTICLE_001"))
    assert isinstance(error, NameError) and "x_train" in str(error)
    assert namespace["model"].count_params() == 93_322


@pytest.mark.keras
def test_article_002_fails_on_shapes_then_on_labels(keras):
    source = chapter_constant("ARTICLE_002")
    load = ("mnist.load_data()", "load_mnist_offline()")
    error, _, _ = run_article(source, [load])
    assert isinstance(error, ValueError) and "Expected shape (None, 784)" in str(error)
    error, _, _ = run_article(source, [load, ("network.fit(train_images,", "network.fit(train_images.reshape(-1, 784),")])
    assert isinstance(error, ValueError) and "must have the same rank" in str(error)


@pytest.mark.keras
def test_article_003_runs_with_one_warning(keras):
    keras.utils.set_random_seed(0)
    error, warned, namespace = run_article(chapter_constant("ARTICLE_003"), [("epochs=1000", "epochs=3")])
    assert error is None and namespace["preds"].shape == (100, 1)
    assert any("input_shape" in w for w in warned)


def chapter_pair(keras, name):
    L, D = keras.layers, dlref.layers
    shape = {"MLP": (784,), "CNN": (28, 28, 1), "LSTM": (28, 28)}[name]

    def body(M):
        if name == "MLP":
            return [M.Dense(128, activation="relu")]
        if name == "CNN":
            return [M.Conv2D(32, 3, activation="relu"), M.MaxPooling2D(2), M.Conv2D(64, 3, activation="relu"),
                    M.MaxPooling2D(2), M.Conv2D(64, 3, activation="relu"), M.Flatten(), M.Dense(64, activation="relu")]
        return [M.LSTM(32)]

    k_model = keras.Sequential([keras.Input(shape)] + body(L) + [L.Dense(10, activation="softmax")])
    d_model = dlref.models.Sequential(body(D) + [D.Dense(10, activation="softmax")])
    d_model.build((None,) + shape)
    (x, y), _ = dlref.data.load_mnist()
    return k_model, d_model, (x[:16].reshape((-1,) + shape) / 255.0).astype("float32"), y[:16]


@pytest.mark.keras
@pytest.mark.parametrize("name", ["MLP", "CNN", "LSTM"])
def test_chapter_models_carry_both_ways_and_agree_on_gradients_and_an_adam_step(keras, name):
    import tensorflow as tf
    keras.utils.set_random_seed(1)
    dlref.set_random_seed(1)
    k_model, d_model, x, y = chapter_pair(keras, name)
    k_back, d_start = chapter_pair(keras, name)[:2]
    k_back.set_weights(d_start.get_weights())                       # dlref -> Keras
    np.testing.assert_allclose(k_back.predict(x, verbose=0), d_start.predict(x), atol=1e-5)
    d_model.set_weights(k_model.get_weights())                      # Keras -> dlref
    np.testing.assert_allclose(d_model.predict(x), k_model.predict(x, verbose=0), atol=1e-5)

    with tf.GradientTape() as tape:
        loss_k = keras.losses.SparseCategoricalCrossentropy()(y, k_model(x, training=True))
    grads_k = tape.gradient(loss_k, k_model.trainable_weights)
    d_model.compile(optimizer=dlref.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    loss_d, grads_d = d_model.compute_gradients(x, y)
    assert loss_d == pytest.approx(float(loss_k), abs=1e-5)
    for gk, gd in zip(grads_k, grads_d):
        np.testing.assert_allclose(gk.numpy(), gd, atol=1e-5)

    k_model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    before = d_model.get_weights()
    assert float(k_model.train_on_batch(x, y)) == pytest.approx(d_model.train_on_batch(x, y), abs=1e-5)
    for wk, wd, w0 in zip(k_model.get_weights(), d_model.get_weights(), before):
        np.testing.assert_allclose(wk, wd, atol=1e-5)
    assert max(np.abs(w - w0).max() for w, w0 in zip(d_model.get_weights(), before)) > 5e-4   # it moved


@pytest.mark.keras
def test_fit_shuffles_every_epoch_alike_after_set_random_seed(keras):
    # what chapter 11 shows on the TensorFlow backend (on JAX, fit draws a new order each epoch)
    assert keras.backend.backend() == "tensorflow"
    seen = []

    class Recorder(keras.layers.Layer):
        def call(self, x):
            seen.append(tuple(keras.ops.convert_to_numpy(x)[:, 0].astype(int)))
            return x

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), Recorder(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    model.fit(np.arange(8.0).reshape(-1, 1), np.zeros(8), batch_size=4, epochs=3, verbose=0)
    epochs = [seen[i:i + 2] for i in range(0, 6, 2)]
    assert sorted(sum(map(list, epochs[0]), [])) == list(range(8))   # each epoch sees every sample once
    assert epochs[0] != [tuple(range(4)), tuple(range(4, 8))]        # shuffled,
    assert epochs[0] == epochs[1] == epochs[2]                       # and alike in every epoch
    orders = [tuple(dlref.data.minibatches(np.arange(8), np.arange(8), 8))[0][0].tolist() for _ in range(3)]
    assert len({tuple(o) for o in orders}) > 1                        # dlref draws a new order each time


@pytest.mark.keras
def test_mixed_precision_keeps_weights_and_output_in_float32(keras):
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax", dtype="float32")])
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    hidden, out = model.layers
    assert (hidden.compute_dtype, hidden.variable_dtype) == ("float16", "float32")
    assert keras.backend.standardize_dtype(model(np.ones((2, 8), "float32")).dtype) == "float32"
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"


@pytest.mark.keras
def test_benchmark_script_writes_its_json(keras, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "keras_devices.py"), "--device", "cpu",
                           "--models", "mlp", "--batch-sizes", "32,64", "--samples", "128", "--epochs", "1",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, KERAS_BACKEND="tensorflow"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = json.loads((tmp_path / "keras_devices-tensorflow-cpu.json").read_text())
    assert record["device_kind"] == "cpu" and record["backend"] == "tensorflow"
    rows = record["models"]["mlp"]["rows"]
    assert [row["batch_size"] for row in rows] == [32, 64] and [row["steps_per_epoch"] for row in rows] == [4, 2]
    assert all(row["samples_per_s"] > 0 and row["first_epoch_s"] > 0 for row in rows)
