"""How values cross between the student's kernel and the judge (see :mod:`coursegrader.judge`).

A value travels as JSON: ``None``, booleans, numbers and strings as themselves; NumPy arrays
and scalars as ``.npy`` bytes in base64, read back with ``allow_pickle=False``; tuples, lists and
dicts with string keys element by element.  Anything else (a student's ``Value`` object, a
function) stays in the student's kernel and travels as a reference, ``{"__ref__": n}``, that the
judge wraps in a ``Remote`` proxy.  A function that a test passes to the student's code travels
by name, ``{"__global__": name}``, and must be one that the instructor's locked cells define, so
that it exists in both processes.  Nothing is ever unpickled, so no byte that the
student's code produces can run code in the judge.

This module is also executed, as source, inside the student's kernel (it needs only NumPy
there), where :func:`serve` answers the judge's requests.
"""
import base64
import io
import json

import numpy as np

MAX_BYTES = 64 * 2 ** 20      # the largest reply the judge accepts


def encode(value, refs=None):
    """The JSON-able form of ``value``; ``refs`` (a dict) keeps objects that are not data."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in "biuf":
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(value), allow_pickle=False)
        return {"__ndarray__": base64.b64encode(buffer.getvalue()).decode("ascii"),
                "scalar": isinstance(value, np.generic)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, refs) for v in value]}
    if isinstance(value, list):
        return [encode(v, refs) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v, refs) for k, v in value.items()}}
    if refs is None:
        raise TypeError(f"cannot send a {type(value).__name__} to the student's kernel")
    key = len(refs) + 1
    refs[key] = value
    return {"__ref__": key, "type": type(value).__name__, "callable": callable(value)}


def decode(data, resolve_ref):
    """The inverse of :func:`encode`; ``resolve_ref(message)`` turns a reference into an object."""
    if isinstance(data, list):
        return [decode(v, resolve_ref) for v in data]
    if not isinstance(data, dict):
        return data
    if "__ndarray__" in data:
        array = np.load(io.BytesIO(base64.b64decode(data["__ndarray__"])), allow_pickle=False)
        return array[()] if data.get("scalar") else array
    if "__tuple__" in data:
        return tuple(decode(v, resolve_ref) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v, resolve_ref) for k, v in data["__dict__"].items()}
    if "__ref__" in data or "__global__" in data:
        return resolve_ref(data)
    raise ValueError(f"unknown value on the wire: {sorted(data)}")


# -- the student's side: runs inside the sandboxed kernel -----------------------------------
def serve(request, namespace, refs):
    """Answer one judge request (a JSON string); return the JSON reply.

    Requests: ``{"op": "global", "name": ...}``, ``{"op": "getattr"|"setattr", "target": ref,
    "name": ..., "value": ...}``, ``{"op": "call", "target": ref, "args": [...], "kwargs": {...}}``
    and ``{"op": "apply", "name": "mul"|..., "args": [...]}`` (an operator of the ``operator``
    module).  Array arguments come back after the call, so the judge sees in-place changes.
    """
    import operator
    request = json.loads(request)

    def resolve(ref):
        if "__global__" in ref:            # a function of the instructor's locked cells, by name
            return namespace[ref["__global__"]]
        return refs[ref["__ref__"]]

    try:
        op = request["op"]
        if op == "global":
            if request["name"] not in namespace:
                raise NameError(f"name {request['name']!r} is not defined")
            result = namespace[request["name"]]
            args = []
        elif op in ("getattr", "setattr"):
            target = resolve(request["target"])
            if op == "getattr":
                result = getattr(target, request["name"])
            else:
                result = setattr(target, request["name"], decode(request["value"], resolve))
            args = []
        else:
            args = [decode(a, resolve) for a in request["args"]]
            kwargs = {k: decode(v, resolve) for k, v in request.get("kwargs", {}).items()}
            function = resolve(request["target"]) if op == "call" else getattr(operator, request["name"])
            result = function(*args, **kwargs)
            args = args + list(kwargs.values())
        after = [encode(a) if isinstance(a, np.ndarray) else None for a in args]
        return json.dumps({"value": encode(result, refs), "after": after})
    except BaseException as exc:          # the student's error, reported to the judge
        return json.dumps({"error": [type(exc).__name__, str(exc)[:2000]]})
