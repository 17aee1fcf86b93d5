"""``Sequential``: a stack of layers with Keras's training API (chapter 8).

``compile``, ``fit``, ``evaluate`` and ``predict`` behave as in Keras: the
loss is averaged over each batch, ``history.history["loss"]`` holds one value
per epoch (the batch losses averaged with the batch sizes as weights), and
``get_weights``/``set_weights`` list arrays in Keras's order and shapes, so
``dlref_model.set_weights(keras_model.get_weights())`` carries a model over.

One training step is three public pieces, as in Keras's ``train_step``:
``compute_gradients(x, y)`` (forward pass, loss, backward pass; nothing is
updated), then ``optimizer.apply(grads, trainable_weights)``.  When the loss
fuses with the output activation (softmax or sigmoid with cross-entropy),
the loss takes the last layer's pre-activation, the logits, and returns the
gradient with respect to them, ``(p - y) / batch``; the backward pass then
starts at that layer's ``preactivation_backward``.
"""
import numpy as np

from dlref import layers as layers_module
from dlref import losses as losses_module
from dlref import optimizers as optimizers_module
from dlref import saving
from dlref._checks import as_float_array, positive_int
from dlref.callbacks import History, ProgressBar
from dlref.data import minibatches


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

    def ensure_built(self, x=None, action="use"):
        """Build from the first layer's ``input_shape`` or from ``x``; raise if neither is known."""
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
        self.ensure_built(x)
        want = self.input_shape[1:]
        if x.shape[1:] != want:
            raise ValueError(f"{name} has sample shape {x.shape[1:]}, but the model was built "
                             f"for {want}")
        return x

    def _targets(self, y, n, name="y"):
        y = np.asarray(y)
        if y.dtype.kind not in "fiub":
            raise TypeError(f"{name} must be numeric, got dtype {y.dtype}")
        if len(y) != n:
            raise ValueError(f"x has {n} samples but {name} has {len(y)}")
        if self.loss.name != "sparse_categorical_crossentropy":
            y = y.astype(self.layers[-1].dtype, copy=False)
        return y

    @property
    def trainable_weights(self):
        """The weight arrays themselves (not copies), in the order of ``get_weights``."""
        self.ensure_built(action="list the weights of")
        return [layer.params[k] for layer in self.layers for k in layer.weight_keys]

    # -- computation ------------------------------------------------------
    def __call__(self, x, training=False):
        return self.forward(self._inputs(x), training)

    def forward(self, x, training=False):
        """The output of every layer in turn; ``x`` must already have the model's input shape."""
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy):
        """Backpropagate ``dy``, the gradient with respect to the output; fills every ``grads``."""
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def predict(self, x, batch_size=32, verbose=0):
        """Outputs for ``x``, computed ``batch_size`` samples at a time."""
        batch_size = positive_int(batch_size, "batch_size")
        x = self._inputs(x)
        outs = [self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
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

    def _check_compiled(self):
        if self.loss is None:
            raise RuntimeError("the model is not compiled: call model.compile(optimizer, loss) first")

    @property
    def fuses_output_activation(self):
        """True when the loss takes the logits: softmax or sigmoid output with cross-entropy."""
        fused = self.loss is not None and self.loss.fused_activation
        return bool(fused) and self.layers[-1].activation == fused

    def _loss_and_output(self, x, y, training):
        """Forward pass and loss of one batch: ``(loss, dloss/d(start of backward), output)``.

        Fused: the loss sees the logits, and its gradient is with respect to them.
        """
        if not self.fuses_output_activation:
            out = self.forward(x, training=training)
            loss, dout = self.loss.value_and_grad(y, out)
            return loss, dout, out
        last = self.layers[-1]
        for layer in self.layers[:-1]:
            x = layer.forward(x, training=training)
        logits = last.preactivation(x, training=training)
        loss, dlogits = self.loss.value_and_grad(y, logits, from_logits=True)
        return loss, dlogits, last.activation_fn(logits)

    def _loss_backward(self, x, y, training):
        """Forward pass, loss and backward pass of one batch: ``(loss, dL/dx, output)``.

        Fills every layer's ``grads``; fused, the backward pass starts at the logits.
        """
        loss, grad, out = self._loss_and_output(x, y, training=training)
        grad = grad.astype(out.dtype, copy=False)
        layers = self.layers
        if self.fuses_output_activation:
            grad, layers = self.layers[-1].preactivation_backward(grad), self.layers[:-1]
        for layer in reversed(layers):
            grad = layer.backward(grad)
        return loss, grad, out

    def _gradients(self, x, y):
        loss, _, out = self._loss_backward(x, y, training=True)
        grads = [layer.grads[k] for layer in self.layers for k in layer.weight_keys]
        return loss, grads, out

    def compute_gradients(self, x, y):
        """Loss of one batch and the gradient of every weight; updates nothing.

        Returns ``(loss, grads)``, ``grads`` a list aligned with
        :attr:`trainable_weights` (Keras's order), as ``tf.GradientTape`` would give.
        """
        self._check_compiled()
        x = self._inputs(x)
        loss, grads, _ = self._gradients(x, self._targets(y, len(x)))
        return loss, grads

    def input_gradient(self, x, y):
        """Gradient of the compiled loss with respect to the inputs, dL/dx (chapter 12).

        The backward pass of :meth:`compute_gradients`, carried one step further, to the
        input: saliency maps and adversarial examples (FGSM) are made from it.  Nothing is
        updated; the layers' ``grads`` are overwritten, as by ``compute_gradients``.

        Parameters
        ----------
        x : array_like, shape (batch,) + the model's input shape
        y : array_like
            The targets, as for :meth:`fit` (integer labels for the sparse loss).

        Returns
        -------
        ndarray, the shape of ``x``, the model's dtype
            ``dL/dx`` for the loss ``L`` of the batch, a mean over its samples: row ``i``
            is ``1 / batch`` times the gradient of sample ``i``'s own loss.
        """
        self._check_compiled()
        x = self._inputs(x)
        y = self._targets(y, len(x))
        first = self.layers[0]
        saved, first.compute_input_grad = first.compute_input_grad, True
        try:
            _, grad, _ = self._loss_backward(x, y, training=False)
        finally:
            first.compute_input_grad = saved
        return grad

    def train_step(self, x, y):
        """One optimizer step on one batch; returns its logs ``{"loss": ..., "accuracy": ...}``.

        The loss and the accuracy are those of the batch before the step, as in Keras.
        """
        self._check_compiled()
        x = self._inputs(x)
        y = self._targets(y, len(x))
        loss, grads, out = self._gradients(x, y)
        self.optimizer.apply(grads, self.trainable_weights)
        logs = {"loss": loss}
        if self.metrics:
            logs["accuracy"] = self._accuracy(y, out)
        return logs

    def train_on_batch(self, x, y):
        """Keras's name for one step: returns the batch's loss (computed before the step)."""
        return self.train_step(x, y)["loss"]

    def _accuracy(self, y, out):
        if self.loss.name == "sparse_categorical_crossentropy":
            labels = np.asarray(y).reshape(len(out))
            return float(np.mean(np.argmax(out, axis=-1) == labels))
        if out.shape[-1] == 1 or self.loss.name == "binary_crossentropy":
            return float(np.mean((out > 0.5) == (np.asarray(y) > 0.5)))
        return float(np.mean(np.argmax(out, axis=-1) == np.argmax(y, axis=-1)))

    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, validation_data=None, shuffle=True,
            callbacks=None):
        """Train for ``epochs`` passes over ``(x, y)``; returns a :class:`History`.

        ``callbacks``: objects with Keras's hooks (``dlref.callbacks.Callback``), such as
        ``EarlyStopping``; one that sets ``model.stop_training`` ends training after that epoch.
        """
        self._check_compiled()
        batch_size, epochs = positive_int(batch_size, "batch_size"), positive_int(epochs, "epochs")
        x = self._inputs(x)
        y = self._targets(y, len(x))
        if validation_data is not None and len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        history = History()
        callbacks, self.stop_training = list(callbacks or []), False
        for callback in callbacks:
            callback.set_model(self)
            callback.on_train_begin()
        steps = -(-len(x) // batch_size)
        for epoch in range(epochs):
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}", flush=True)
            bar = ProgressBar(steps, verbose)
            sums, seen = {}, 0
            for step, (xb, yb) in enumerate(minibatches(x, y, batch_size, shuffle=shuffle)):
                batch_logs = self.train_step(xb, yb)
                seen += len(xb)
                for key, value in batch_logs.items():
                    sums[key] = sums.get(key, 0.0) + value * len(xb)
                logs = {key: total / seen for key, total in sums.items()}
                bar.update(step + 1, logs, final=step + 1 == steps)
            if validation_data is not None:
                val = self.evaluate(*validation_data, batch_size=batch_size, verbose=0, return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
                if verbose:
                    print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k.startswith("val_")))
            history.append(epoch, logs)
            for callback in callbacks:
                callback.on_epoch_end(epoch, dict(logs))
            if self.stop_training:
                break
        for callback in callbacks:
            callback.on_train_end()
        self.history = history
        return history

    def evaluate(self, x, y, batch_size=32, verbose=1, return_dict=False):
        """Loss (and metrics) over ``(x, y)``, averaged over samples as in Keras."""
        self._check_compiled()
        batch_size = positive_int(batch_size, "batch_size")
        x = self._inputs(x)
        y = self._targets(y, len(x))
        totals = {"loss": 0.0, "accuracy": 0.0}
        for xb, yb in minibatches(x, y, batch_size, shuffle=False):
            loss, _, out = self._loss_and_output(xb, yb, training=False)
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
        """Copies of all weights, layer by layer, each in Keras's order (kernel, recurrent_kernel, bias)."""
        return [w.copy() for w in self.trainable_weights]

    def set_weights(self, weights):
        """Load a list such as ``keras_model.get_weights()``; checks the count and every shape."""
        self.ensure_built(action="set the weights of")
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
        self.ensure_built(action="summarise")
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
        """Write architecture and weights to one ``.npz`` file (see :mod:`dlref.saving`)."""
        saving.save_model(self, path)

    @classmethod
    def load(cls, path):
        """Rebuild a model written by :meth:`save` (not compiled)."""
        return saving.load_model(path)


load_model = saving.load_model
