"""The IDX reader on hand-made files, the data folder override, one_hot and minibatches."""
import gzip
import shutil

import numpy as np
import pytest

from dlref import data


def write_idx(path, magic, dims, payload):
    header = np.array([magic, *dims], dtype=">i4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + bytes(payload))
    return path


def test_read_idx_by_hand(tmp_path):
    path = write_idx(tmp_path / "x.gz", 2051, (2, 2, 3), range(12))
    x = data._read_idx(path, 2051, 3)
    assert x.dtype == np.uint8 and x.shape == (2, 2, 3)
    np.testing.assert_array_equal(x, np.arange(12).reshape(2, 2, 3))
    y = data._read_idx(write_idx(tmp_path / "y.gz", 2049, (4,), [7, 0, 255, 3]), 2049, 1)
    np.testing.assert_array_equal(y, [7, 0, 255, 3])


def test_read_idx_refuses_a_wrong_kind_or_a_short_file(tmp_path):
    path = write_idx(tmp_path / "y.gz", 2049, (8,), range(8))
    with pytest.raises(data.DataFileError, match=r"y\.gz is not an IDX file of the expected kind "
                                                 r"\(magic number 2049, expected 2051\)"):
        data._read_idx(path, 2051, 3)
    path = write_idx(tmp_path / "short.gz", 2051, (2, 2, 3), range(11))
    with pytest.raises(data.DataFileError, match=r"short\.gz holds 11 bytes of data, expected 12$"):
        data._read_idx(path, 2051, 3)
    truncated = tmp_path / "truncated.gz"
    with gzip.open(truncated, "wb") as f:
        f.write(np.array([2051, 2], dtype=">i4").tobytes())      # cut inside the header
    with pytest.raises(data.DataFileError, match=r"too short for an IDX file: 8 bytes, expected a header of 16"):
        data._read_idx(truncated, 2051, 3)


def test_data_dir_can_be_overridden(tmp_path, monkeypatch):
    default = data.data_dir()
    assert default.name == "data" and (default / "t10k-labels-idx1-ubyte.gz").is_file()
    monkeypatch.setenv("DLREF_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path
    with pytest.raises(data.DataFileError, match=r"is missing; restore it from the course repository with "
                                                 r"`git checkout -- data/train-images-idx3-ubyte\.gz`"):
        data.load_mnist()
    shutil.copy(default / "t10k-labels-idx1-ubyte.gz", tmp_path / "t10k-labels-idx1-ubyte.gz")
    assert data._checked(tmp_path, "t10k-labels-idx1-ubyte.gz") == tmp_path / "t10k-labels-idx1-ubyte.gz"


def test_one_hot_float32_rows_and_any_label_shape():
    out = data.one_hot(np.array([[1], [0], [3]]), 4)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_array_equal(out, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(data.one_hot(np.array([2, 2], np.uint8), 3), [[0, 0, 1], [0, 0, 1]])
    assert data.one_hot(np.array([], int), 5).shape == (0, 5)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\], got values from -1 to 2"):
        data.one_hot([-1, 2], 4)
    with pytest.raises(TypeError, match=r"labels must be integers, got dtype bool"):
        data.one_hot(np.array([True, False]), 2)


def test_minibatches_default_size_order_and_seed():
    x = np.arange(70)
    sizes = [len(bx) for bx, _ in data.minibatches(x, x, seed=0)]
    assert sizes == [32, 32, 6]                              # Keras's default batch of 32
    in_order = list(data.minibatches(x, -x, batch_size=30, shuffle=False))
    assert [bx.tolist() for bx, _ in in_order] == [list(range(30)), list(range(30, 60)), list(range(60, 70))]
    assert all(np.array_equal(by, -bx) for bx, by in in_order)
    once = [bx.tolist() for bx, _ in data.minibatches(x, x, batch_size=16, seed=5)]
    again = [bx.tolist() for bx, _ in data.minibatches(x, x, batch_size=16, seed=5)]
    other = [bx.tolist() for bx, _ in data.minibatches(x, x, batch_size=16, seed=6)]
    assert once == again and once != other
    assert sorted(sum(once, [])) == list(range(70))


def test_minibatches_bad_batch_size():
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer, got 0$"):
        list(data.minibatches(np.arange(3), np.arange(3), batch_size=0))


def test_standardization_by_hand():
    x = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0]], np.float32)
    mean, std = data.standardization_stats(x)
    assert mean.dtype == std.dtype == np.float64
    np.testing.assert_array_equal(mean, [2.0, 5.0, 3.0])
    np.testing.assert_array_equal(std, [1.0, 1.0, 1.0])          # the constant feature gets 1
    np.testing.assert_array_equal(data.standardize(x, mean, std), [[-1, 0, -1], [1, 0, 1]])
    m, s = data.standardization_stats(x, axis=None)
    assert m == pytest.approx(10 / 3) and s.shape == ()


def test_standardization_messages():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"^x must have 2 dimensions, got shape \(3,\)"):
        data.standardization_stats(x[0])
    with pytest.raises(ValueError, match=r"^x holds no samples; the statistics need at least one row$"):
        data.standardization_stats(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"^x must have 2 dimensions, got shape \(3,\)"):
        data.standardize(x[0], 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^mean must have 0 or 1 dimensions, got shape \(1, 3\)"):
        data.standardize(x, np.zeros((1, 3)), 1.0)
    with pytest.raises(ValueError, match=r"^std must have 0 or 1 dimensions, got shape \(1, 3\)"):
        data.standardize(x, 0.0, np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"^mean must have shape \(3,\) or \(\), one value per feature of x "
                                         r"\(2, 3\); got \(2,\)$"):
        data.standardize(x, np.zeros(2), 1.0)
    with pytest.raises(ValueError, match=r"^std must have shape \(3,\) or \(\), one value per feature of x "
                                         r"\(2, 3\); got \(2,\)$"):
        data.standardize(x, 0.0, np.ones(2))
    with pytest.raises(ValueError, match=r"^std must be positive; standardization_stats replaces a zero std by 1$"):
        data.standardize(x, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"^images contain NaN or inf; expected pixel values in \[0, 255\]$"):
        data.flatten_and_scale(np.array([[np.nan]]))
