"""Datasets that ship with the course, preprocessing and batching helpers (chapters 3 and 8).

MNIST lives in ``data/`` at the root of the course as the four original IDX
files.  :func:`load_mnist` checks each file's md5 before parsing it, so a
truncated or altered file is reported instead of silently training on it.
:func:`flatten_and_scale` turns its images into the rows a dense layer takes;
:func:`standardization_stats` and :func:`standardize` centre and scale features
with statistics of the training data (chapter 3).
"""
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from dlref._checks import as_float_array, positive_int
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
    if len(raw) < 4 * (1 + dims):
        raise DataFileError(f"{path} is too short for an IDX file: {len(raw)} bytes, "
                            f"expected a header of {4 * (1 + dims)} bytes and then the data")
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


def flatten_and_scale(images):
    """Grey-scale images to the rows a dense layer takes: flattened, scaled to [0, 1] (chapter 3).

    Parameters
    ----------
    images : array_like, shape (n, height, width), or (height, width) for one image
        Pixel intensities from 0 to 255, such as the uint8 arrays of :func:`load_mnist`.
        Any integer or floating dtype is accepted whose values lie in [0, 255].

    Returns
    -------
    ndarray, shape (n, height * width), float32
        ``images.reshape(n, -1) / 255``: row ``i`` is image ``i`` read row by row.
        A single image of shape (height, width) comes back as a batch of one,
        shape (1, height * width).  The argument is never modified.

    Raises
    ------
    TypeError
        If ``images`` is not numeric.
    ValueError
        If it does not have 2 or 3 dimensions, or holds NaN, inf or values
        outside [0, 255] (for instance images that were already scaled once).
    """
    arr = np.asarray(images)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"images must be a numeric array of pixel values, got dtype {arr.dtype}")
    if arr.ndim not in (2, 3):
        raise ValueError(f"images must have shape (n, height, width), or (height, width) for one "
                         f"image; got shape {arr.shape}")
    if arr.size and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError("images contain NaN or inf; expected pixel values in [0, 255]")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError(f"pixel values must lie in [0, 255], got values from {arr.min()} to "
                         f"{arr.max()}")
    batch = arr.reshape(1, -1) if arr.ndim == 2 else arr.reshape(arr.shape[0], -1)
    return batch.astype(np.float32) / np.float32(255.0)


def standardization_stats(x, axis=0):
    """Mean and standard deviation of the training data, for :func:`standardize` (chapter 3).

    Compute them on the training set only, and reuse them for validation, test
    and new data: the model must see every input transformed the same way.

    Parameters
    ----------
    x : array_like, shape (n, features)
        Training inputs, one sample per row.
    axis : 0 or None
        ``0``: one mean and one standard deviation per feature, shapes (features,);
        ``None``: one of each for all the values, as scalars (shape ()).

    Returns
    -------
    mean, std : ndarray of float64
        ``std`` is the population standard deviation (``ddof=0``).  Where it is 0
        (a feature that is constant in the training data) it is replaced by 1, so
        that such a feature is only centred, as scikit-learn's ``StandardScaler``
        does.  (Keras's ``Normalization`` layer floors it at 1e-7 instead.)
    """
    if axis not in (0, None):
        raise ValueError(f"axis must be 0 (per feature) or None (one mean and std), got {axis!r}")
    x = as_float_array(x, "x", ndim=2)
    if len(x) == 0:
        raise ValueError("x holds no samples; the statistics need at least one row")
    mean = x.mean(axis=axis, dtype=np.float64)
    std = x.std(axis=axis, dtype=np.float64)
    return np.asarray(mean), np.where(std == 0, 1.0, std)


def standardize(x, mean, std):
    """Standardize features: ``(x - mean) / std`` (chapter 3).

    Parameters
    ----------
    x : array_like, shape (n, features)
    mean, std : ndarray, shape (features,) or ()
        From :func:`standardization_stats` on the training data.

    Returns
    -------
    ndarray, shape (n, features), float64
        Zero mean and unit standard deviation per feature on the training data;
        other data come out close to that only if they resemble it.
    """
    x = as_float_array(x, "x", ndim=2)
    mean = as_float_array(mean, "mean", ndim=(0, 1))
    std = as_float_array(std, "std", ndim=(0, 1))
    for name, stat in (("mean", mean), ("std", std)):
        if stat.ndim == 1 and stat.shape != (x.shape[1],):
            raise ValueError(f"{name} must have shape ({x.shape[1]},) or (), one value per feature "
                             f"of x {x.shape}; got {stat.shape}")
    if np.any(std <= 0):
        raise ValueError("std must be positive; standardization_stats replaces a zero std by 1")
    return (x - mean) / std

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
