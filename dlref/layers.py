"""Layers (chapters 3, 6 and 8): thin stateful wrappers over the pure functions of ``dlref.functional``.

A layer owns its weights in ``params`` (keys ``kernel``, ``recurrent_kernel``,
``bias``, as Keras names them) and, after ``backward``, their gradients in
``grads`` under the same keys.  ``forward`` keeps what ``backward`` needs;
``backward(dy)`` returns the gradient with respect to the layer's input.

Every layer computes ``activation(preactivation(x))``: ``preactivation`` is
its own computation (``x @ kernel + bias`` for Dense, a reshape for
Flatten) and the activation is ``'linear'`` unless the layer takes one.
``backward`` is the chain rule over those two steps.  A loss that fuses
with the output activation (softmax with cross-entropy) lets ``Sequential``
stop at the last layer's pre-activation, the logits, and start its backward
pass at ``preactivation_backward``.
"""
import numpy as np

from dlref import activations, initializers
from dlref import conv as C
from dlref import functional as F
from dlref import recurrent as R
from dlref._checks import as_float_array, positive_int
from dlref.random import get_rng

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
        self._set_activation(None)       # layers with an ``activation`` argument set theirs

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
        """``activation(preactivation(x))``, keeping what ``backward`` needs."""
        z = self.preactivation(x, training=training)
        out = self._act(z)
        self._activation_cache = (z, out)
        return out

    def backward(self, dy):
        """Fill ``self.grads`` and return the gradient with respect to the input.

        ``dy`` is the gradient of the loss with respect to the output; the
        activation's derivative turns it into the gradient with respect to the
        pre-activation, which :meth:`preactivation_backward` carries on.
        """
        z, out = self._activation_cache
        return self.preactivation_backward(self._act_backward(dy, z, out))

    def preactivation(self, x, training=False):
        """The layer's own computation, before its activation (``x @ kernel + bias`` for Dense)."""
        raise NotImplementedError

    def preactivation_backward(self, dz):
        """From the gradient with respect to the pre-activation, fill ``grads``; return ``dx``."""
        raise NotImplementedError

    # -- the activation after the layer's own computation ----------------
    def _set_activation(self, activation):
        self.activation = activation or "linear"
        self.activation_fn, self._act_backward = activations.get(self.activation)

    def _act(self, z):
        return self.activation_fn(z)

    def _keep_grads(self, **grads):
        """Store the weight gradients of the last ``backward`` (None means no such weight)."""
        self.grads.update({k: g for k, g in grads.items() if g is not None})

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
        self.units = positive_int(units, "units")
        self._set_activation(activation)
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

    def preactivation(self, x, training=False):
        z, self._cache = F.dense_forward(x, self.params["kernel"], self.params.get("bias"))
        return z

    def preactivation_backward(self, dz):
        dx, dkernel, dbias = F.dense_backward(dz, self._cache, compute_dx=self.compute_input_grad)
        self._keep_grads(kernel=dkernel, bias=dbias)
        return dx

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer}


class Activation(Layer):
    """Apply an activation by its Keras name; any input shape."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self._set_activation(activation)

    def preactivation(self, x, training=False):
        return x

    def preactivation_backward(self, dz):
        return dz

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


class Flatten(Layer):
    """Reshape ``(batch, d1, d2, ...)`` to ``(batch, d1 * d2 * ...)``."""

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def preactivation(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def preactivation_backward(self, dz):
        return dz.reshape(self._shape)


class Dropout(Layer):
    """Inverted dropout, as ``keras.layers.Dropout`` (chapter 8).

    During training (``forward(x, training=True)``) every entry of ``x`` is
    kept with probability ``1 - rate`` and set to 0 otherwise, and the kept
    entries are multiplied by ``1 / (1 - rate)``, so that the expected output
    equals ``x``.  At inference (``training=False``, what ``predict`` and
    ``evaluate`` use) the layer is the identity, with no scaling.  As in
    TensorFlow, an entry is kept where a uniform draw ``u`` in [0, 1)
    satisfies ``u >= rate``.

    ``backward`` multiplies the upstream gradient by the same scaled mask as
    the last training forward pass: ``dx = dy * mask / (1 - rate)``.

    Parameters
    ----------
    rate : float
        The fraction of entries to drop, ``0 <= rate < 1``.
    seed : int, optional
        Seeds the layer's own generator, so that its sequence of masks is
        reproducible; without it the masks come from dlref's global generator
        (``dlref.set_random_seed``).  The masks are not those Keras draws.

    Input and output have the same shape, any shape.  The layer has no weights.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
                or not 0 <= rate < 1:
            raise ValueError(f"rate must be a number with 0 <= rate < 1 (the fraction of inputs "
                             f"to drop), got {rate!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
        self.rate = float(rate)
        self.seed = None if seed is None else int(seed)
        self._rng = None if seed is None else np.random.default_rng(self.seed)
        self._mask = None

    def preactivation(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None                       # the identity: backward passes dy through
            return x
        keep = (self._rng or get_rng()).random(x.shape) >= self.rate
        scale = np.asarray(1.0 / (1.0 - self.rate), dtype=x.dtype)
        self._mask = np.where(keep, scale, np.zeros((), dtype=x.dtype))
        return x * self._mask

    def preactivation_backward(self, dz):
        if self._mask is None:
            return dz
        if dz.shape != self._mask.shape:
            raise ValueError(f"dy must have the shape of the last output {self._mask.shape}, "
                             f"got {dz.shape}")
        return dz * self._mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Conv2D(Layer):
    """2-D convolution over NHWC images, then an activation.

    Input ``(batch, height, width, in_channels)``, output
    ``(batch, out_height, out_width, filters)``; ``kernel`` is
    ``(kh, kw, in_channels, filters)`` and ``bias`` ``(filters,)``, as in Keras.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int(filters, "filters")
        self.kernel_size = C.as_pair(kernel_size, "kernel_size")
        self.strides = C.as_pair(strides, "strides")
        self.padding = C.check_padding(padding)
        self._set_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError("Conv2D expects images of shape (batch, height, width, channels), "
                             f"got {tuple(input_shape)}")
        self.add_weight("kernel", self.kernel_size + (input_shape[-1], self.filters), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)
        self.built = True

    def compute_output_shape(self, input_shape):
        oh, ow = C.output_size(input_shape, self.kernel_size, self.strides, self.padding)
        return (input_shape[0], oh, ow, self.filters)

    def preactivation(self, x, training=False):
        z, self._cache = C.conv2d_forward(x, self.params["kernel"], self.params.get("bias"),
                                          self.strides, self.padding)
        return z

    def preactivation_backward(self, dz):
        dx, dkernel, dbias = C.conv2d_backward(dz, self._cache, compute_dx=self.compute_input_grad)
        self._keep_grads(kernel=dkernel, bias=dbias)
        return dx

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "activation": self.activation,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer}


class MaxPooling2D(Layer):
    """Max-pooling of NHWC images; ``strides`` defaults to ``pool_size``, as in Keras."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = C.as_pair(pool_size, "pool_size")
        self.strides = C.as_pair(strides, "strides") if strides is not None else self.pool_size
        self.padding = C.check_padding(padding)

    def compute_output_shape(self, input_shape):
        oh, ow = C.output_size(input_shape, self.pool_size, self.strides, self.padding)
        return (input_shape[0], oh, ow, input_shape[3])

    def preactivation(self, x, training=False):
        out, self._cache = C.max_pool2d_forward(x, self.pool_size, self.strides, self.padding)
        return out

    def preactivation_backward(self, dz):
        return C.max_pool2d_backward(dz, self._cache)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class _Recurrent(Layer):
    """Shared part of SimpleRNN and LSTM: weights, shapes, ``return_sequences``."""

    gates = 1

    def __init__(self, units, return_sequences=False, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = positive_int(units, "units")
        self.return_sequences = bool(return_sequences)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{type(self).__name__} expects sequences of shape (batch, timesteps, "
                             f"features), got {tuple(input_shape)}")
        width = self.gates * self.units
        self.add_weight("kernel", (input_shape[-1], width), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer)
        self.add_weight("bias", (width,), self.bias_initializer)
        self.built = True

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def preactivation(self, x, training=False):
        p = self.params
        hs, self._cache = self._forward(x, p["kernel"], p["recurrent_kernel"], p["bias"])
        self._steps = hs.shape[1]
        return hs if self.return_sequences else hs[:, -1]

    def preactivation_backward(self, dy):
        if not self.return_sequences:        # only the last state was used
            dhs = np.zeros((dy.shape[0], self._steps, self.units), dtype=dy.dtype)
            dhs[:, -1] = dy
            dy = dhs
        dx, dkernel, drecurrent, dbias = self._backward(dy, self._cache, self.compute_input_grad)
        self._keep_grads(kernel=dkernel, recurrent_kernel=drecurrent, bias=dbias)
        return dx

    def get_config(self):
        return {**super().get_config(), "units": self.units, "return_sequences": self.return_sequences,
                "kernel_initializer": self.kernel_initializer,
                "recurrent_initializer": self.recurrent_initializer,
                "bias_initializer": self.bias_initializer}


class SimpleRNN(_Recurrent):
    """Fully connected recurrent layer, ``h_t = tanh(x_t W + h_{t-1} U + b)``, from ``h_0 = 0``.

    Input ``(batch, timesteps, features)``; output ``(batch, units)``, or
    ``(batch, timesteps, units)`` with ``return_sequences=True``.
    """

    _forward = staticmethod(R.rnn_forward)
    _backward = staticmethod(R.rnn_backward)


class LSTM(_Recurrent):
    """Long short-term memory layer with Keras's gate order i, f, c, o (see ``dlref.recurrent``).

    ``unit_forget_bias=True`` (the Keras default) starts the forget-gate bias
    at 1, so that the cell remembers by default at the start of training.
    """

    gates = 4
    _forward = staticmethod(R.lstm_forward)
    _backward = staticmethod(R.lstm_backward)

    def __init__(self, units, return_sequences=False, unit_forget_bias=True, **kwargs):
        super().__init__(units, return_sequences=return_sequences, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def build(self, input_shape):
        super().build(input_shape)
        if self.unit_forget_bias:
            self.params["bias"][self.units:2 * self.units] = 1.0

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


_LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Flatten, Dropout, Conv2D, MaxPooling2D,
                                         SimpleRNN, LSTM)}


def from_config(class_name, config):
    """Rebuild a layer from ``get_config()`` output, as ``Sequential.load`` does."""
    if class_name not in _LAYERS:
        raise ValueError(f"unknown layer class {class_name!r}; expected one of {sorted(_LAYERS)}")
    return _LAYERS[class_name](**config)
