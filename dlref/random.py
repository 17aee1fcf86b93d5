"""One seeded random generator for initializers and shuffling.

``set_random_seed`` plays the part of ``keras.utils.set_random_seed``: call
it once at the top of a notebook and every weight and every shuffle after it
is reproducible.
"""
import numpy as np

_state = {"rng": np.random.default_rng(0)}


def set_random_seed(seed):
    """Reseed the generator behind dlref's initializers and ``fit`` shuffling."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed expects an int seed, got {type(seed).__name__}")
    _state["rng"] = np.random.default_rng(int(seed))


def get_rng(seed=None):
    """Return a generator: a fresh one for an explicit ``seed``, else the global one."""
    if seed is None:
        return _state["rng"]
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
