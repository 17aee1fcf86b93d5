"""Checks for the hidden tests of the exercises: a student's function against dlref's.

Every assignment's hidden tests call :func:`check_function` with a list of
cases, fixed ones, random ones from :func:`random_cases`, and edge cases, so
that each test is a few readable lines and every failure names its case::

    check_function(perceptron_update, dlref.neuron.perceptron_update,
                   fixed + random_cases(make_example, n=30, seed=99) + edges,
                   test="test_perceptron_update")

For each case the student's function and the reference get their own copies
of the arguments.  The check then fails, with a message that names the case
and the shapes of its arguments, when the student's function

* raises, or calls into ``dlref`` while it runs (the exercises ask for your own code),
* changes one of its arguments in place,
* returns another structure, shape or kind of number (integers where the
  reference returns integers), or values that differ (``rtol``, ``atol``).
"""
import copy
import os
import sys

import numpy as np

_DLREF_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_THIS_FILE = os.path.abspath(__file__)


class Case:
    """One call: a label for messages, then the positional and the keyword arguments."""

    def __init__(self, label, *args, **kwargs):
        self.label, self.args, self.kwargs = label, args, kwargs

    def describe(self):
        """``label (x: (3, 2), w: (2,), b: 0.5)`` from the arguments' shapes or values."""
        def show(v):
            if isinstance(v, np.ndarray):
                return f"shape {v.shape}"
            return repr(v) if np.isscalar(v) or v is None else type(v).__name__
        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return f"{self.label} (arguments: {', '.join(parts)})"


def random_cases(make, n, seed, label="random case"):
    """``n`` cases from ``make(rng) -> (args, kwargs)`` with a generator seeded by ``seed``."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        args, kwargs = make(rng)
        cases.append(Case(f"{label} {i + 1}", *args, **kwargs))
    return cases


class _DlrefCallWatch:
    """Records whether any function defined in the dlref package runs while active."""

    def __init__(self):
        self.called = None

    def __call__(self, frame, event, arg):
        name = frame.f_code.co_filename
        if event == "call" and self.called is None and name.startswith(_DLREF_DIR) and name != _THIS_FILE:
            self.called = f"{frame.f_code.co_name} in {os.path.basename(frame.f_code.co_filename)}"

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)


def _compare(got, expected, where, rtol, atol):
    """Raise AssertionError describing the first difference between two results."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise AssertionError(f"{where}: expected a tuple of {len(expected)} values, got {got!r:.80}")
        for i, (g, e) in enumerate(zip(got, expected)):
            _compare(g, e, f"{where}, value {i + 1} of the result", rtol, atol)
        return
    try:
        got_arr = np.asarray(got)
    except Exception:
        raise AssertionError(f"{where}: expected an array or a number, got {type(got).__name__}") from None
    expected = np.asarray(expected)
    if got_arr.dtype.kind not in "fiub":
        raise AssertionError(f"{where}: expected numbers, got {type(got).__name__} of dtype {got_arr.dtype}")
    if got_arr.shape != expected.shape:
        raise AssertionError(f"{where}: expected shape {expected.shape}, got shape {got_arr.shape}")
    if expected.dtype.kind in "iub" and got_arr.dtype.kind == "f":
        raise AssertionError(f"{where}: expected integers, got floats (dtype {got_arr.dtype})")
    if not np.allclose(got_arr, expected, rtol=rtol, atol=atol, equal_nan=True):
        diff = np.abs(got_arr.astype(float) - expected.astype(float))
        worst = np.unravel_index(np.nanargmax(np.where(np.isnan(diff), np.inf, diff)), diff.shape) \
            if diff.ndim else ()
        index = tuple(int(i) for i in worst)
        raise AssertionError(f"{where}: wrong values; at index {index} expected "
                             f"{expected[worst].item()!r}, got {got_arr[worst].item()!r}")


def check_function(student, reference, cases, test, rtol=1e-6, atol=1e-8):
    """Compare ``student`` with ``reference`` on every case; raise AssertionError at the first failure.

    Parameters
    ----------
    student, reference : callable
    cases : list of Case
    test : str
        The test's name, the first word of every message (``"test_neuron_forward"``).
    rtol, atol : float
        Tolerances of ``np.allclose`` on every returned array.
    """
    module = getattr(student, "__module__", "") or ""
    if student is reference or module == "dlref" or module.startswith("dlref."):
        raise AssertionError(f"{test}: the graded function is dlref's own {module}.{student.__name__}; "
                             "write it yourself")
    for case in cases:
        where = f"{test}: {case.describe()}"
        expected = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
        try:
            with _DlrefCallWatch() as watch:
                got = student(*args, **kwargs)
        except AssertionError:
            raise
        except Exception as exc:
            raise AssertionError(f"{where}: raised {type(exc).__name__}: {exc}") from None
        if watch.called:
            raise AssertionError(f"{where}: your function called dlref ({watch.called}); "
                                 "the exercises grade your own code")
        for i, (before, after) in enumerate(zip(case.args, args)):
            if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
                raise AssertionError(f"{where}: argument {i + 1} was modified in place; "
                                     "return a new array instead")
        _compare(got, expected, where, rtol, atol)
