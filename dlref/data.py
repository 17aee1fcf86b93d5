"""Datasets that ship with the course, and batching helpers (chapter 8).

MNIST lives in ``data/`` at the root of the course as the four original IDX
files.  :func:`load_mnist` checks each file's md5 before parsing it, so a
truncated or altered file is reported instead of silently training on it.
"""
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from dlref._checks import positive_int
from dlref.random import get_rng

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

RESTORE_HINT = ("restore it from the course repository with "
                "`git checkout -- data/{name}` (the file is part of the course)")


class DataFileError(RuntimeError):
    """A shipped data file is missing, damaged or not in the expected format."""


def data_dir():
    """The course's ``data/`` folder; ``DLREF_DATA`` overrides it."""
    env = os.environ.get("DLREF_DATA")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def _md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_idx(path, magic, dims):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    header = np.frombuffer(raw, dtype=">i4", count=1 + dims)
    if header[0] != magic:
        raise DataFileError(f"{path} is not an IDX file of the expected kind "
                            f"(magic number {header[0]}, expected {magic})")
    shape = tuple(int(d) for d in header[1:])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + dims))
    if data.size != np.prod(shape):
        raise DataFileError(f"{path} holds {data.size} bytes of data, expected {np.prod(shape)}")
    return data.reshape(shape)


def _checked(directory, name):
    path = Path(directory) / name
    hint = RESTORE_HINT.format(name=name)
    if not path.is_file():
        raise DataFileError(f"MNIST file {path} is missing; {hint}")
    digest = _md5(path)
    if digest != MNIST_FILES[name]:
        raise DataFileError(f"MNIST file {path} is corrupt (md5 {digest}, expected "
                            f"{MNIST_FILES[name]}); {hint}")
    return path


def load_mnist(path=None):
    """Load MNIST from the IDX files shipped in ``data/``.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding the four files; by default :func:`data_dir`.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        uint8 arrays of shapes (60000, 28, 28), (60000,), (10000, 28, 28),
        (10000,), exactly as ``keras.datasets.mnist.load_data()`` returns them.

    Raises
    ------
    DataFileError
        If a file is missing or its md5 differs; the message names the file
        and how to restore it.
    """
    directory = Path(path) if path is not None else data_dir()
    files = {name: _checked(directory, name) for name in MNIST_FILES}
    x_train = _read_idx(files["train-images-idx3-ubyte.gz"], 2051, 3)
    y_train = _read_idx(files["train-labels-idx1-ubyte.gz"], 2049, 1)
    x_test = _read_idx(files["t10k-images-idx3-ubyte.gz"], 2051, 3)
    y_test = _read_idx(files["t10k-labels-idx1-ubyte.gz"], 2049, 1)
    return (x_train, y_train), (x_test, y_test)


def one_hot(labels, num_classes):
    """Integer labels ``(n,)`` to one-hot rows ``(n, num_classes)`` of float32."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes - 1}], "
                         f"got values from {labels.min()} to {labels.max()}")
    out = np.zeros((labels.size, num_classes), dtype=np.float32)
    out[np.arange(labels.size), labels.reshape(-1)] = 1.0
    return out


def minibatches(x, y, batch_size=32, shuffle=True, seed=None):
    """Yield ``(x_batch, y_batch)`` pairs covering the data once; the last may be smaller."""
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
    batch_size = positive_int(batch_size, "batch_size")
    order = get_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]
