"""Layers: thin stateful wrappers over the pure functions of ``dlref.functional``.

A layer owns its weights in ``params`` (keys ``kernel``, ``recurrent_kernel``,
``bias``, as Keras names them) and, after ``backward``, their gradients in
``grads`` under the same keys.  ``forward`` keeps what ``backward`` needs;
``backward(dy)`` returns the gradient with respect to the layer's input.
Chapters 3, 6 and 8 build networks from them.
"""
import numpy as np

from dlref import activations, initializers
from dlref import functional as F
from dlref._checks import as_float_array

WEIGHT_ORDER = ("kernel", "recurrent_kernel", "bias")  # the order of keras get_weights()


class Layer:
    """Base class.

    Parameters
    ----------
    name : str, optional
    dtype : str
        Floating dtype of weights and outputs, ``"float32"`` as in Keras;
        gradient checks use ``"float64"``.
    input_shape : tuple, optional
        Shape of one sample (no batch axis), as in ``Dense(128, input_shape=(784,))``.
    """

    activation = None  # the output activation's name, for layers that have one
    _counter = {}

    def __init__(self, name=None, dtype="float32", input_shape=None):
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"dtype must be a floating dtype such as 'float32', got {dtype!r}")
        kind = type(self).__name__.lower()
        n = Layer._counter.get(kind, 0)
        Layer._counter[kind] = n + 1
        self.name = name or (kind if n == 0 else f"{kind}_{n}")
        self.dtype = np.dtype(dtype)
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.params = {}
        self.grads = {}
        self.built = False
        self.compute_input_grad = True  # Sequential turns it off for the first layer

    # -- construction -----------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first)."""
        self.built = True

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; both with the batch axis first."""
        return tuple(input_shape)

    def add_weight(self, key, shape, initializer, seed=None):
        """Create ``params[key]`` with a Keras initializer name."""
        self.params[key] = initializers.get(initializer)(shape, dtype=self.dtype, seed=seed)
        return self.params[key]

    # -- computation ------------------------------------------------------
    def __call__(self, x, training=False):
        x = as_float_array(x, f"input of layer {self.name!r}", dtype=self.dtype, allow_nan=True)
        if not self.built:
            self.build(x.shape)
        return self.forward(x, training=training)

    def forward(self, x, training=False):
        """Compute the output for ``x``, keeping what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, dy, skip_activation=False):
        """Fill ``self.grads`` and return the gradient with respect to the input.

        ``skip_activation=True`` means ``dy`` is already the gradient with
        respect to the pre-activation (used when the loss absorbs a softmax
        or a sigmoid).
        """
        raise NotImplementedError

    # -- weights ----------------------------------------------------------
    @property
    def weight_keys(self):
        return [k for k in WEIGHT_ORDER if k in self.params]

    def get_weights(self):
        """Copies of the weights in Keras's order: kernel, recurrent_kernel, bias."""
        return [self.params[k].copy() for k in self.weight_keys]

    def set_weights(self, weights):
        """Overwrite the weights in place, checking their number and shapes."""
        keys = self.weight_keys
        if len(weights) != len(keys):
            raise ValueError(f"layer {self.name!r} expects {len(keys)} arrays ({', '.join(keys)}), "
                             f"got {len(weights)}")
        for key, w in zip(keys, weights):
            w = np.asarray(w)
            if w.shape != self.params[key].shape:
                raise ValueError(f"layer {self.name!r}: {key} must have shape "
                                 f"{self.params[key].shape}, got {w.shape}")
            self.params[key][...] = w

    def count_params(self):
        return int(sum(p.size for p in self.params.values()))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Dense(Layer):
    """Fully connected layer ``activation(x @ kernel + bias)``.

    Input ``(batch, in_features)``, output ``(batch, units)``; ``kernel`` is
    ``(in_features, units)`` and ``bias`` is ``(units,)``, as in Keras.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activation or "linear"
        self._act, self._act_backward = activations.get(self.activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Dense expects inputs of shape (batch, features), got {tuple(input_shape)}; "
                             "put a Flatten layer before it")
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def forward(self, x, training=False):
        z, self._cache = F.dense_forward(x, self.params["kernel"], self.params.get("bias"))
        self.logits = z
        self.output = self._act(z)
        return self.output

    def backward(self, dy, skip_activation=False):
        dz = dy if skip_activation else self._act_backward(dy, self.logits, self.output)
        dx, dkernel, dbias = F.dense_backward(dz, self._cache, compute_dx=self.compute_input_grad)
        self.grads["kernel"] = dkernel
        if dbias is not None:
            self.grads["bias"] = dbias
        return dx

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer}


class Activation(Layer):
    """Apply an activation by its Keras name; any input shape."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activation
        self._act, self._act_backward = activations.get(activation)

    def forward(self, x, training=False):
        self.logits = x
        self.output = self._act(x)
        return self.output

    def backward(self, dy, skip_activation=False):
        if skip_activation:
            return dy
        return self._act_backward(dy, self.logits, self.output)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


class Flatten(Layer):
    """Reshape ``(batch, d1, d2, ...)`` to ``(batch, d1 * d2 * ...)``."""

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, skip_activation=False):
        return dy.reshape(self._shape)


_LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Flatten)}


def from_config(class_name, config):
    """Rebuild a layer from ``get_config()`` output, as ``Sequential.load`` does."""
    if class_name not in _LAYERS:
        raise ValueError(f"unknown layer class {class_name!r}; expected one of {sorted(_LAYERS)}")
    return _LAYERS[class_name](**config)
