"""Optimizers with Keras 3's update rules and defaults (chapter 7, "Gradient descent").

Each rule is written twice.  A pure function (``sgd_update``,
``momentum_update``, ``rmsprop_update``, ``adam_update`` and the textbook
``adam_update_textbook``) takes the weights, the gradient and the state and
returns new arrays; it is the formula as the chapter writes it.  An optimizer
class (``SGD``, ``RMSprop``, ``Adam``) applies the same rule in place to the
arrays of a model, as Keras does; its per-variable state ("slots": momentum,
velocity) is created on the first update and kept by the variable's
identity, so the same arrays must be passed every step, which layers
guarantee.  With ``g`` the gradient and ``t`` the step, counted from 1:

* ``SGD``:      ``m = momentum m - lr g``; ``w += m`` (plain: ``w -= lr g``;
  Nesterov: ``w += momentum m - lr g``).
* ``RMSprop``:  ``v = rho v + (1 - rho) g^2``; ``w -= lr g / sqrt(v + eps)``
  (epsilon inside the root, as Keras has it).
* ``Adam``:     ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
  ``w -= lr_t m / (sqrt(v) + eps)`` with the bias correction folded into the
  step size, ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``.  The paper's form with
  ``m_hat`` and ``v_hat`` is :func:`adam_update_textbook`; the two differ in
  where epsilon sits (see there).
"""
import math
import numbers

import numpy as np

from dlref._checks import lookup


# -- the rules as pure functions: new arrays in, new arrays out -------------------------------
def sgd_update(w, g, learning_rate=0.01):
    """One step of gradient descent, ``w - lr g`` (chapter 7).

    Parameters
    ----------
    w, g : ndarray, the same shape
        Weights and the gradient of the loss with respect to them.
    learning_rate : float

    Returns
    -------
    ndarray, the shape of ``w``: the new weights.
    """
    return w - learning_rate * g


def momentum_update(w, g, m, learning_rate=0.01, momentum=0.9, nesterov=False):
    """One step of gradient descent with momentum, Keras's form (chapter 7).

    ``m_new = momentum m - lr g`` (the velocity: a decaying sum of past steps);
    ``w_new = w + m_new``, or with Nesterov's look-ahead
    ``w_new = w + momentum m_new - lr g``.

    Parameters
    ----------
    w, g, m : ndarray, the same shape
        Weights, gradient and velocity (zeros before the first step).

    Returns
    -------
    w_new, m_new : ndarray, the shape of ``w``
    """
    m = momentum * m - learning_rate * g
    if nesterov:
        return w + momentum * m - learning_rate * g, m
    return w + m, m


def rmsprop_update(w, g, v, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """One RMSprop step, Keras's form, which is also the textbook's (chapter 7).

    ``v_new = rho v + (1 - rho) g^2`` (a running mean of the squared gradient);
    ``w_new = w - lr g / sqrt(v_new + epsilon)``.  Keras puts epsilon inside
    the square root; some texts write ``sqrt(v) + epsilon``, which differs
    only where ``v`` is about as small as epsilon.

    Parameters
    ----------
    w, g, v : ndarray, the same shape
        Weights, gradient and the running mean square (zeros before the first step).

    Returns
    -------
    w_new, v_new : ndarray, the shape of ``w``
    """
    v = rho * v + (1 - rho) * g ** 2
    return w - learning_rate * g / np.sqrt(v + epsilon), v


def adam_update(w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Adam step as Keras computes it, bias correction folded into the step size (chapter 7).

    ``m_new = b1 m + (1 - b1) g``;  ``v_new = b2 v + (1 - b2) g^2``;
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``;
    ``w_new = w - lr_t m_new / (sqrt(v_new) + epsilon)``.

    This is what :class:`Adam` runs (in place).  It equals
    :func:`adam_update_textbook` called with ``epsilon / sqrt(1 - b2^t)``.

    Parameters
    ----------
    w, g, m, v : ndarray, the same shape
        Weights, gradient, first and second moment (zeros before the first step).
    t : int
        The step, counted from 1.

    Returns
    -------
    w_new, m_new, v_new : ndarray, the shape of ``w``
    """
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    lr_t = learning_rate * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - lr_t * m / (np.sqrt(v) + epsilon), m, v


def adam_update_textbook(w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                         epsilon=1e-7):
    """One Adam step as the paper writes it (Kingma and Ba, 2015, Algorithm 1; chapter 7).

    ``m_new = b1 m + (1 - b1) g``            (first moment: a running mean of g)
    ``v_new = b2 v + (1 - b2) g^2``          (second moment: a running mean of g^2)
    ``m_hat = m_new / (1 - b1^t)``           (bias correction: m and v start at 0)
    ``v_hat = v_new / (1 - b2^t)``
    ``w_new = w - lr m_hat / (sqrt(v_hat) + epsilon)``

    How it differs from Keras (:func:`adam_update`, what :class:`Adam` runs):
    Keras folds both corrections into the step size,
    ``w_new = w - lr sqrt(1 - b2^t) / (1 - b1^t) m_new / (sqrt(v_new) + epsilon)``.
    Multiplying numerator and denominator of the line above by
    ``sqrt(1 - b2^t)`` shows that this is the textbook step with epsilon
    replaced by ``epsilon / sqrt(1 - b2^t)``; in other words the textbook step
    with ``epsilon`` is Keras's step with ``epsilon sqrt(1 - b2^t)``.  Early
    in training (``t = 1``: ``sqrt(1 - 0.999) = 0.032``) Keras's effective
    epsilon is 32 times larger; as ``t`` grows the factor tends to 1.  Only
    where ``sqrt(v_hat)`` is about as small as epsilon do the two steps differ.

    Parameters
    ----------
    w, g, m, v : ndarray, the same shape
        Weights, gradient, first and second moment (zeros before the first step).
    t : int
        The step, counted from 1.

    Returns
    -------
    w_new, m_new, v_new : ndarray, the shape of ``w``
    """
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


# -- the optimizers: the same rules, in place on a model's arrays ------------------------------
class Optimizer:
    """Base class: bookkeeping of steps and slots; subclasses define ``update_step``."""

    def __init__(self, learning_rate):
        if (isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real)
                or not learning_rate >= 0):                   # ``not >=`` also rejects NaN
            raise ValueError("learning_rate must be a positive number or 0 (as in Keras), "
                             f"got {learning_rate!r}")
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
        """Update the variable ``w`` and its ``slots`` in place with the gradient ``g``."""
        raise NotImplementedError

    def get_config(self):
        return {"learning_rate": self.learning_rate}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.  Keras defaults.

    In place, the rules of :func:`sgd_update` and :func:`momentum_update`.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must lie in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build_slots(self, w):
        return {"m": np.zeros_like(w)} if self.momentum else {}

    def update_step(self, g, w, slots):
        lr, mu = self.learning_rate, self.momentum
        if not mu:
            w -= lr * g
            return
        m = slots["m"]
        m[...] = mu * m - lr * g
        if self.nesterov:
            w += mu * m - lr * g
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divide the step by a running root mean square of the gradient.  Keras defaults.

    In place, the rule of :func:`rmsprop_update`.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def build_slots(self, w):
        return {"v": np.zeros_like(w)}

    def update_step(self, g, w, slots):
        # The formula of rmsprop_update, as in-place steps that spare NumPy temporaries.
        rho, v = self.rho, slots["v"]
        v *= rho
        v += (1 - rho) * np.square(g)             # v = rho v + (1 - rho) g^2
        step = v + self.epsilon
        np.sqrt(step, out=step)                   # sqrt(v + epsilon)
        np.divide(g, step, out=step)              # g / sqrt(v + epsilon)
        step *= self.learning_rate
        w -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with Keras's epsilon 1e-7 and folded bias correction.

    In place, the rule of :func:`adam_update`; :func:`adam_update_textbook`
    says how it differs from the paper's form.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def build_slots(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def update_step(self, g, w, slots):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        # The formula of adam_update, as in-place steps that spare NumPy temporaries.
        m, v = slots["m"], slots["v"]
        m *= b1
        m += (1 - b1) * g                         # m = b1 m + (1 - b1) g
        v *= b2
        v += (1 - b2) * np.square(g)              # v = b2 v + (1 - b2) g^2
        # a Python float (math.sqrt, not np.sqrt), so that float32 arrays stay float32
        lr_t = self.learning_rate * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        step = np.sqrt(v)
        step += self.epsilon                      # sqrt(v) + epsilon
        np.divide(m, step, out=step)              # m / (sqrt(v) + epsilon)
        step *= lr_t
        w -= step

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
