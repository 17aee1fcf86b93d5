"""The hidden tests' helper: it passes a right answer and names the case of a wrong one."""
import numpy as np
import pytest

import dlref
from dlref.grading import Case, check_function, random_cases


def reference(x, w, b):
    return dlref.neuron.perceptron_predict(x, w, b)


def own_predict(x, w, b):
    return (np.asarray(x, float) @ np.asarray(w, float) + b > 0).astype(int)


def batches(rng):
    n = int(rng.integers(1, 5))
    return (rng.normal(size=(3, n)), rng.normal(size=n), float(rng.normal())), {}


CASES = random_cases(batches, n=10, seed=0) + [Case("on the boundary", np.zeros(2), np.ones(2), 0.0)]


def test_a_right_answer_passes():
    check_function(own_predict, reference, CASES, test="test_predict")


def test_random_cases_are_reproducible_and_labelled():
    a, b = random_cases(batches, n=3, seed=5), random_cases(batches, n=3, seed=5)
    assert [c.label for c in a] == ["random case 1", "random case 2", "random case 3"]
    for ca, cb in zip(a, b):
        np.testing.assert_array_equal(ca.args[0], cb.args[0])
    assert "shape (3," in a[0].describe() and "on the boundary (arguments: shape (2,), shape (2,), 0.0)" \
        == CASES[-1].describe()


@pytest.mark.parametrize("wrong,message", [
    (lambda x, w, b: (np.asarray(x) @ w + b >= 0).astype(int), r"on the boundary .* wrong values"),
    (lambda x, w, b: (np.asarray(x) @ w + b > 0).astype(float), "expected integers, got floats"),
    (lambda x, w, b: np.atleast_1d(np.asarray(x) @ w + b > 0).astype(int)[:1],
     r"random case 1 .* expected shape \(3,\), got shape \(1,\)"),
    (lambda x, w, b: np.asarray(x)[0, 5], r"random case 1 .* raised IndexError"),
    (lambda x, w, b: "yes", "expected numbers"),
    (lambda x, w, b: dlref.neuron.perceptron_predict(x, w, b), r"called dlref \(perceptron_predict in neuron.py\)"),
    (dlref.neuron.perceptron_predict, "is dlref's own dlref.neuron.perceptron_predict"),
])
def test_a_wrong_answer_fails_and_names_its_case(wrong, message):
    with pytest.raises(AssertionError, match=f"^test_predict: .*{message}"):
        check_function(wrong, reference, CASES, test="test_predict")


def test_changing_an_argument_in_place_fails():
    def update(w, x):
        w += x
        return w

    with pytest.raises(AssertionError, match="argument 1 was modified in place"):
        check_function(update, lambda w, x: w + x, [Case("one step", np.ones(3), np.ones(3))], test="t")


def test_tuples_are_compared_item_by_item():
    ref = lambda w, b: (w * 2, b + 1)
    check_function(lambda w, b: [w + w, b + 1.0], ref, [Case("pair", np.ones(2), 0.5)], test="t")
    with pytest.raises(AssertionError, match="value 2 of the result: wrong values"):
        check_function(lambda w, b: (w * 2, b), ref, [Case("pair", np.ones(2), 0.5)], test="t")
    with pytest.raises(AssertionError, match="expected a tuple of 2 values"):
        check_function(lambda w, b: w * 2, ref, [Case("pair", np.ones(2), 0.5)], test="t")
