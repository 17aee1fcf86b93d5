"""Input checks shared by dlref's functions.

Every public function validates what it is given and fails with a message
that says what was expected and what arrived, instead of a NumPy traceback
from deep inside a matrix product.
"""
import numpy as np


def as_float_array(x, name, ndim=None, dtype=None, allow_nan=False):
    """Return ``x`` as a floating-point array, or raise a clear error.

    Parameters
    ----------
    x : array_like
        The value to check.
    name : str
        How the argument is called in the error message.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions.
    dtype : numpy dtype, optional
        Cast to this dtype; by default integers and booleans become float64
        and floating arrays keep their dtype.
    allow_nan : bool
        Whether NaN and inf are acceptable.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}") from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimensions, got shape {arr.shape}")
    if not allow_nan and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; expected finite values")
    return arr


def check_last_dim(arr, size, name, what):
    """Raise if ``arr.shape[-1] != size``; ``what`` names where ``size`` comes from."""
    if arr.shape[-1] != size:
        raise ValueError(f"{name} has last dimension {arr.shape[-1]} (shape {arr.shape}), "
                         f"but {what} expects {size}")


def lookup(table, name, kind):
    """Look ``name`` up in ``table``; an unknown name lists the known ones."""
    if callable(name):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{kind} must be a string name or a callable, got {type(name).__name__}")
    try:
        return table[name]
    except KeyError:
        known = ", ".join(repr(k) for k in sorted(table))
        raise ValueError(f"unknown {kind} {name!r}; expected one of {known}") from None


def positive_int(value, name):
    """Return ``value`` as an int, or raise if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
