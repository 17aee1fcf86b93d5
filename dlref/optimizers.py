"""Optimizers with Keras 3's update rules and defaults (chapter 7, "Gradient descent").

Each optimizer updates NumPy arrays in place.  Its per-variable state
("slots": momentum, velocity) is created on the first update and kept by the
variable's identity, so the same arrays must be passed every step, which
layers guarantee.  With ``g`` the gradient and ``t`` the step, counted from 1:

* ``SGD``:      ``m = momentum m - lr g``; ``w += m`` (plain: ``w -= lr g``;
  Nesterov: ``w += momentum m - lr g``).
* ``RMSprop``:  ``v = rho v + (1 - rho) g^2``; ``w -= lr g / sqrt(v + eps)``
  (epsilon inside the root, as Keras has it).
* ``Adam``:     ``m += (1 - b1)(g - m)``; ``v += (1 - b2)(g^2 - v)``;
  ``w -= lr_t m / (sqrt(v) + eps)`` with the bias correction folded into
  ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``.
"""
import numpy as np

from dlref._checks import lookup


class Optimizer:
    """Base class: bookkeeping of steps and slots; subclasses define ``update_step``."""

    def __init__(self, learning_rate):
        if not np.isscalar(learning_rate) or not learning_rate > 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)
        self.iterations = 0
        self._slots = {}

    def apply_gradients(self, grads_and_vars):
        """Keras-style: ``apply_gradients(zip(grads, variables))``."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads, variables):
        """Update every array in ``variables`` in place with its gradient; one step."""
        grads, variables = list(grads), list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"got {len(grads)} gradients for {len(variables)} variables")
        for g, v in zip(grads, variables):
            if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
                raise TypeError("variables must be floating NumPy arrays, updated in place; "
                                f"got {type(v).__name__}")
            if np.shape(g) != v.shape:
                raise ValueError(f"gradient of shape {np.shape(g)} for a variable of shape {v.shape}")
        self.iterations += 1
        for g, v in zip(grads, variables):
            key = id(v)
            if key not in self._slots:
                self._slots[key] = (v, self.build_slots(v))
            self.update_step(np.asarray(g, dtype=v.dtype), v, self._slots[key][1])

    def build_slots(self, variable):
        """The state this optimizer keeps for one variable."""
        return {}

    def update_step(self, g, w, slots):
        raise NotImplementedError

    def get_config(self):
        return {"learning_rate": self.learning_rate}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.  Keras defaults."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must lie in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build_slots(self, w):
        return {"m": np.zeros_like(w)} if self.momentum else {}

    def update_step(self, g, w, slots):
        lr = self.learning_rate
        if not self.momentum:
            w -= lr * g
            return
        m = slots["m"]
        m *= self.momentum
        m -= lr * g
        if self.nesterov:
            w += self.momentum * m - lr * g
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divide the step by a running root mean square of the gradient.  Keras defaults."""

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def build_slots(self, w):
        return {"v": np.zeros_like(w), "tmp": np.empty_like(w)}

    def update_step(self, g, w, slots):
        v, tmp = slots["v"], slots["tmp"]
        # v = rho v + (1 - rho) g^2, written in place to spare temporaries
        np.square(g, out=tmp)
        tmp *= 1.0 - self.rho
        v *= self.rho
        v += tmp
        # w -= lr g / sqrt(v + epsilon)
        np.add(v, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= self.learning_rate
        w -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with Keras's epsilon 1e-7 and folded bias correction."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def build_slots(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w), "tmp": np.empty_like(w)}

    def update_step(self, g, w, slots):
        t = self.iterations
        lr_t = self.learning_rate * (1.0 - self.beta_2 ** t) ** 0.5 / (1.0 - self.beta_1 ** t)
        m, v, tmp = slots["m"], slots["v"], slots["tmp"]
        # m += (1 - beta_1) (g - m), in place to spare temporaries
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - self.beta_1
        m += tmp
        # v += (1 - beta_2) (g^2 - v)
        np.square(g, out=tmp)
        tmp -= v
        tmp *= 1.0 - self.beta_2
        v += tmp
        # w -= lr_t m / (sqrt(v) + epsilon)
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t
        w -= tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


_OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(identifier):
    """An optimizer instance: passed through, or made with defaults from a Keras name."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return lookup(_OPTIMIZERS, identifier.lower(), "optimizer")()
    raise TypeError(f"optimizer must be a name such as 'adam' or a dlref optimizer, "
                    f"got {type(identifier).__name__}")
