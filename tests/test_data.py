"""The shipped MNIST files and the loaders."""
import shutil

import numpy as np
import pytest

from dlref import data


def test_load_mnist_shapes_and_labels():
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # published test-set class counts, digits 0-9
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert x_train.max() == 255 and x_train.min() == 0


@pytest.fixture
def copy_of_data(tmp_path):
    for name in data.MNIST_FILES:
        shutil.copy(data.data_dir() / name, tmp_path / name)
    return tmp_path


def test_missing_file_is_named_with_a_fix(copy_of_data):
    (copy_of_data / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataFileError, match=r"t10k-labels-idx1-ubyte\.gz is missing.*git checkout"):
        data.load_mnist(copy_of_data)


def test_corrupt_file_fails_its_checksum(copy_of_data):
    path = copy_of_data / "train-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataFileError, match=r"train-labels-idx1-ubyte\.gz is corrupt \(md5 .*expected d53e"):
        data.load_mnist(copy_of_data)


def test_one_hot_and_minibatches():
    y = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(data.one_hot(y, 3), np.eye(3, dtype=np.float32)[y])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.one_hot(y, 2)
    with pytest.raises(TypeError, match="integers"):
        data.one_hot(y.astype(float), 3)
    x = np.arange(10)
    batches = list(data.minibatches(x, x * 10, batch_size=4, seed=0))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[0] for b in batches])
    assert sorted(seen) == list(range(10)) and not np.array_equal(seen, x)
    assert all(np.array_equal(bx * 10, by) for bx, by in batches)
    with pytest.raises(ValueError, match="x has 10 samples but y has 3"):
        list(data.minibatches(x, x[:3]))
