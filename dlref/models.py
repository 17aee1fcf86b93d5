"""``Sequential``: a stack of layers with Keras's training API (chapter 8).

``compile``, ``fit``, ``evaluate`` and ``predict`` behave as in Keras: the
loss is averaged over each batch, ``history.history["loss"]`` holds one value
per epoch (the batch losses averaged with the batch sizes as weights), and
``get_weights``/``set_weights`` list arrays in Keras's order and shapes, so
``dlref_model.set_weights(keras_model.get_weights())`` carries a model over.
"""
import json
import sys
import time

import numpy as np

from dlref import layers as layers_module
from dlref import losses as losses_module
from dlref import optimizers as optimizers_module
from dlref._checks import as_float_array, positive_int
from dlref.random import get_rng


class History:
    """What ``fit`` returns: ``history`` maps each metric name to a list, one value per epoch."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)


class ProgressBar:
    """Keras-style progress line: ``1875/1875 [=====] - 3s 2ms/step - loss: 0.25``.

    ``verbose=1`` redraws one line with carriage returns (at most ten times a
    second), ``verbose=2`` prints one line per epoch, ``verbose=0`` nothing.
    """

    def __init__(self, total, verbose, stream=None, width=30):
        self.total, self.verbose, self.width = total, verbose, width
        self.stream = stream or sys.stdout
        self.start = self.last = time.perf_counter()

    def update(self, step, logs, final=False):
        now = time.perf_counter()
        if self.verbose == 0 or (not final and (self.verbose == 2 or now - self.last < 0.1)):
            return
        self.last = now
        elapsed = now - self.start
        metrics = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        if self.verbose == 1:
            done = int(self.width * step / self.total)
            bar = "=" * done + (">" if done < self.width else "") + "." * (self.width - done - 1)
            line = f"\r{step}/{self.total} [{bar[:self.width]}] - {elapsed:.0f}s - {metrics}"
        else:
            line = f"{step}/{self.total} - {elapsed:.0f}s - {1000 * elapsed / step:.0f}ms/step - {metrics}"
        self.stream.write(line + ("\n" if final else ""))
        self.stream.flush()


class Sequential:
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
    name : str, optional
    """

    def __init__(self, layers=None, name="sequential"):
        self.name = name
        self.layers = []
        self.built = False
        self.optimizer = self.loss = None
        self.metrics = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, layers_module.Layer):
            raise TypeError(f"Sequential takes dlref layers, got {type(layer).__name__}")
        self.layers.append(layer)
        self.built = False

    # -- building ---------------------------------------------------------
    def build(self, input_shape):
        """Build every layer for inputs of ``input_shape``, batch axis first: ``(None, 784)``."""
        if not self.layers:
            raise ValueError("this Sequential model has no layers; add some before building it")
        shape = tuple(input_shape)
        self.input_shape = shape
        for layer in self.layers:
            if not layer.built:
                layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.output_shape = shape
        self.layers[0].compute_input_grad = False
        self.built = True

    def _ensure_built(self, x=None, action="use"):
        if self.built:
            return
        first = self.layers[0].input_shape if self.layers else None
        if first is not None:
            self.build((None,) + first)
        elif x is not None:
            self.build((None,) + tuple(x.shape[1:]))
        else:
            raise ValueError(f"cannot {action} the model before it is built: call "
                             "model.build((None, features)), give the first layer an input_shape, "
                             "or call the model on data first")

    def _inputs(self, x, name="x"):
        dtype = self.layers[0].dtype if self.layers else np.float32
        x = as_float_array(x, name, dtype=dtype)
        if x.ndim < 2:
            raise ValueError(f"{name} must have a batch axis first, got shape {x.shape}")
        self._ensure_built(x)
        want = self.input_shape[1:]
        if x.shape[1:] != want:
            raise ValueError(f"{name} has sample shape {x.shape[1:]}, but the model was built "
                             f"for {want}")
        return x

    # -- computation ------------------------------------------------------
    def __call__(self, x, training=False):
        x = self._inputs(x)
        return self._forward(x, training)

    def _forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def _backward(self, dy, skip_activation):
        for i, layer in enumerate(reversed(self.layers)):
            dy = layer.backward(dy, skip_activation=skip_activation and i == 0)
        return dy

    def predict(self, x, batch_size=32, verbose=0):
        """Outputs for ``x``, computed ``batch_size`` samples at a time."""
        batch_size = positive_int(batch_size, "batch_size")
        x = self._inputs(x)
        outs = [self._forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return np.concatenate(outs) if outs else np.zeros((0,) + self.output_shape[1:])

    # -- training ---------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Choose the optimizer, the loss and the metrics (only ``'accuracy'``), by Keras name."""
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='sparse_categorical_crossentropy'")
        if not isinstance(loss, str):
            raise TypeError(f"loss must be a Keras loss name such as 'mse', got {type(loss).__name__}")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        self.metrics = list(metrics or [])
        for m in self.metrics:
            if m not in ("accuracy", "acc"):
                raise ValueError(f"unknown metric {m!r}; dlref supports 'accuracy'")
        self.metrics = ["accuracy" for _ in self.metrics]

    def _fused(self):
        last = self.layers[-1]
        return self.loss.fused_activation is not None and last.activation == self.loss.fused_activation

    def _loss_and_grad(self, y, out):
        """Loss of one batch and its gradient at the last layer's output (or its logits, fused)."""
        if self._fused():
            return (*self.loss.value_and_grad(y, self.layers[-1].logits, from_logits=True), True)
        return (*self.loss.value_and_grad(y, out), False)

    def _accuracy(self, y, out):
        if self.loss.name == "sparse_categorical_crossentropy":
            labels = np.asarray(y).reshape(len(out))
            return float(np.mean(np.argmax(out, axis=-1) == labels))
        if out.shape[-1] == 1 or self.loss.name == "binary_crossentropy":
            return float(np.mean((out > 0.5) == (np.asarray(y) > 0.5)))
        return float(np.mean(np.argmax(out, axis=-1) == np.argmax(y, axis=-1)))

    def _check_compiled(self):
        if self.loss is None:
            raise RuntimeError("the model is not compiled: call model.compile(optimizer, loss) first")

    def _targets(self, y, n, name="y"):
        y = np.asarray(y)
        if y.dtype.kind not in "fiub":
            raise TypeError(f"{name} must be numeric, got dtype {y.dtype}")
        if len(y) != n:
            raise ValueError(f"x has {n} samples but {name} has {len(y)}")
        if self.loss.name != "sparse_categorical_crossentropy":
            y = y.astype(self.layers[-1].dtype, copy=False)
        return y

    def train_on_batch(self, x, y):
        """One optimizer step on one batch; returns its loss (computed before the step)."""
        self._check_compiled()
        x = self._inputs(x)
        y = self._targets(y, len(x))
        return self._train_step(x, y)[0]

    def _train_step(self, x, y):
        out = self._forward(x, training=True)
        loss, dout, fused = self._loss_and_grad(y, out)
        self._backward(dout.astype(out.dtype, copy=False), skip_activation=fused)
        variables, grads = [], []
        for layer in self.layers:
            for key in layer.weight_keys:
                variables.append(layer.params[key])
                grads.append(layer.grads[key])
        self.optimizer.apply(grads, variables)
        return loss, out

    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, validation_data=None, shuffle=True):
        """Train for ``epochs`` passes over ``(x, y)``; returns a :class:`History`."""
        self._check_compiled()
        batch_size, epochs = positive_int(batch_size, "batch_size"), positive_int(epochs, "epochs")
        x = self._inputs(x)
        y = self._targets(y, len(x))
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
            x_val, y_val = validation_data
        history = History()
        n = len(x)
        steps = int(np.ceil(n / batch_size))
        rng = get_rng()
        for epoch in range(epochs):
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}", flush=True)
            order = rng.permutation(n) if shuffle else None
            bar = ProgressBar(steps, verbose)
            sums = {"loss": 0.0, "accuracy": 0.0}
            seen = 0
            for step in range(steps):
                idx = order[step * batch_size:(step + 1) * batch_size] if shuffle \
                    else slice(step * batch_size, (step + 1) * batch_size)
                xb, yb = x[idx], y[idx]
                loss, out = self._train_step(xb, yb)
                k = len(xb)
                seen += k
                sums["loss"] += loss * k
                if self.metrics:
                    sums["accuracy"] += self._accuracy(yb, out) * k
                logs = {key: sums[key] / seen for key in ["loss"] + self.metrics}
                bar.update(step + 1, logs, final=step + 1 == steps)
            if validation_data is not None:
                val = self.evaluate(x_val, y_val, batch_size=batch_size, verbose=0, return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
                if verbose:
                    print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k.startswith("val_")))
            history.append(epoch, logs)
        self.history = history
        return history

    def evaluate(self, x, y, batch_size=32, verbose=1, return_dict=False):
        """Loss (and metrics) over ``(x, y)``, averaged over samples as in Keras."""
        self._check_compiled()
        batch_size = positive_int(batch_size, "batch_size")
        x = self._inputs(x)
        y = self._targets(y, len(x))
        totals = {"loss": 0.0, "accuracy": 0.0}
        for i in range(0, len(x), batch_size):
            xb, yb = x[i:i + batch_size], y[i:i + batch_size]
            out = self._forward(xb)
            loss = (self.loss.fn(yb, self.layers[-1].logits, from_logits=True) if self._fused()
                    else self.loss.fn(yb, out))
            totals["loss"] += loss * len(xb)
            if self.metrics:
                totals["accuracy"] += self._accuracy(yb, out) * len(xb)
        result = {k: totals[k] / len(x) for k in ["loss"] + self.metrics}
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in result.items()))
        if return_dict:
            return result
        return result["loss"] if not self.metrics else [result[k] for k in result]

    # -- weights and files ------------------------------------------------
    def get_weights(self):
        """All weights, layer by layer, each in Keras's order (kernel, recurrent_kernel, bias)."""
        self._ensure_built(action="get the weights of")
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Load a list such as ``keras_model.get_weights()``; checks the count and every shape."""
        self._ensure_built(action="set the weights of")
        weights = list(weights)
        expected = sum(len(layer.weight_keys) for layer in self.layers)
        if len(weights) != expected:
            shapes = [w.shape for w in self.get_weights()]
            raise ValueError(f"expected {expected} weight arrays with shapes {shapes}, got {len(weights)}")
        i = 0
        for layer in self.layers:
            k = len(layer.weight_keys)
            layer.set_weights(weights[i:i + k])
            i += k

    def count_params(self):
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print):
        """Print each layer's output shape and parameter count, as Keras does."""
        self._ensure_built(action="summarise")
        shape = self.input_shape
        print_fn(f"{'Layer (type)':<28}{'Output Shape':<20}{'Param #':>10}")
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            print_fn(f"{layer.name + ' (' + type(layer).__name__ + ')':<28}{str(shape):<20}"
                     f"{layer.count_params():>10,}")
        print_fn(f"Total params: {self.count_params():,}")

    def get_config(self):
        return {"name": self.name,
                "layers": [{"class_name": type(l).__name__, "config": l.get_config()}
                           for l in self.layers]}

    def save(self, path):
        """Write architecture and weights to one ``.npz`` file."""
        self._ensure_built(action="save")
        arrays = {f"w{i}": w for i, w in enumerate(self.get_weights())}
        meta = {"config": self.get_config(), "input_shape": list(self.input_shape[1:])}
        np.savez(path, __model__=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path):
        """Rebuild a model written by :meth:`save` (not compiled)."""
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(str(f["__model__"]))
                weights = [f[f"w{i}"] for i in range(len(f.files) - 1)]
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path} is not a model saved by dlref's Sequential.save: {exc}") from None
        model = cls([layers_module.from_config(l["class_name"], l["config"])
                     for l in meta["config"]["layers"]], name=meta["config"]["name"])
        model.build((None,) + tuple(meta["input_shape"]))
        model.set_weights(weights)
        return model


def load_model(path):
    """Keras-style alias of :meth:`Sequential.load`."""
    return Sequential.load(path)
