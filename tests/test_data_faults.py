"""Bad data and damaged data files: each is one ConfigError line naming the array or the file."""

import gzip
import struct

import numpy as np
import pytest

from jaxdl import data
from jaxdl.data import IDX_FILES, write_idx
from jaxdl.errors import ConfigError


def one_line(err) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


# ---- numbers checked where they are used ----


def test_values_beyond_float32_are_refused_with_array_and_row():
    X = np.zeros((4, 3))
    X[2, 1] = 1e39
    with pytest.raises(ConfigError) as err:
        data.from_arrays(X, [0, 1, 0, 1], np.zeros((2, 3)), [0, 1])
    assert one_line(err).startswith("X_train row 2 has 1e+39, beyond float32's range")


def test_regression_targets_beyond_float32_are_refused():
    with pytest.raises(ConfigError, match=r"y_test row 1 has -1e\+40"):
        data.from_arrays(np.zeros((2, 1)), [1.0, 2.0], np.zeros((2, 1)), [0.0, -1e40], regression=True)
    targets = data.from_arrays(np.zeros((2, 1)), np.array([7, 200], np.uint8), np.zeros((1, 1)), [1.0], regression=True)
    assert np.asarray(targets.train[1]).ravel().tolist() == [7.0, 200.0]


@pytest.mark.parametrize("label", [1e11, 2**31 + 5, 123456789])
def test_an_id_column_is_named_as_ids(label):
    with pytest.raises(ConfigError) as err:
        data.from_arrays(np.zeros((3, 2)), [0, 1, label], np.zeros((1, 2)), [0])
    assert "labels look like ids" in one_line(err) and "row 2" in str(err.value)


def test_labels_beyond_int32_with_num_classes_given_are_ids_too():
    with pytest.raises(ConfigError, match="labels look like ids"):
        data.from_arrays(np.zeros((3, 2)), np.array([0, 1, 2**31 + 5]), np.zeros((1, 2)), [0], num_classes=3)
    with pytest.raises(ConfigError, match=r"num_classes must be an integer in \[1, 2147483647\]"):
        data.from_arrays(np.zeros((3, 2)), [0, 1, 1], np.zeros((1, 2)), [0], num_classes=2**31)


def test_uint8_images_are_scaled_like_to_tensor_and_floats_are_kept():
    import torch

    images = np.random.default_rng(0).integers(0, 256, size=(4, 5, 5, 1), dtype=np.uint8)
    ds = data.from_arrays(images, [0, 1, 0, 1], images[:2], [0, 1])
    want = (torch.from_numpy(images).to(torch.float32) / 255).numpy()  # ToTensor: img.float().div(255)
    np.testing.assert_array_equal(np.asarray(ds.train[0]), want)
    floats = images.astype(np.float32)
    np.testing.assert_array_equal(
        np.asarray(data.from_arrays(floats, [0, 1, 0, 1], floats[:2], [0, 1]).train[0]), floats
    )


def test_complex_features_are_refused():
    with pytest.raises(ConfigError, match="X_train has dtype complex128: expected real numbers"):
        data.from_arrays(np.zeros((2, 1), complex), [0, 1], np.zeros((1, 1)), [0])


# ---- CSV files ----


def test_csv_pixels_already_in_0_1_are_not_divided_again(tmp_path):
    path = tmp_path / "px.csv"
    path.write_text("label,p1,p2,p3,p4\n" + "".join(f"{i % 2},0.1,0.5,0.9,1.0\n" for i in range(10)))
    ds = data.from_csv(path, image_shape=(2, 2), test_fraction=0.2)
    np.testing.assert_allclose(np.asarray(ds.train[0][0]).ravel(), [0.1, 0.5, 0.9, 1.0], rtol=1e-6)


def test_latin1_csv_names_the_encoding_option(tmp_path):
    path = tmp_path / "l1.csv"
    path.write_bytes("label,caf\xe9\n0,1\n1,2\n0,3\n1,4\n0,5\n".encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        data.from_csv(path)
    assert "is not utf-8 text (byte 0xe9 on line 1)" in one_line(err) and "encoding='latin-1'" in str(err.value)
    assert data.from_csv(path, encoding="latin-1", test_fraction=0.2).train[0].shape == (4, 1)


def test_semicolon_csv_read_with_commas_gives_the_separator_hint(tmp_path):
    path = tmp_path / "sc.csv"
    path.write_text("label;a;b\n0;1;2\n1;2;3\n0;3;3\n1;4;4\n0;5;5\n")
    with pytest.raises(ConfigError) as err:
        data.from_csv(path)
    assert one_line(err).endswith("has one column: its first line has ';' but no ',': pass sep=';'.")
    assert data.from_csv(path, sep=";", test_fraction=0.2).train[0].shape == (4, 2)


def test_a_dataframe_index_column_is_not_read_as_labels(tmp_path):
    import pandas as pd

    path = tmp_path / "df.csv"
    pd.DataFrame({"label": [0, 1] * 20, "a": np.arange(40.0)}).to_csv(path)
    with pytest.raises(ConfigError) as err:
        data.from_csv(path)
    assert one_line(err) == (
        f"path={str(path)!r} has a column without a name (column 0 of the header; DataFrame.to_csv writes its index "
        "so): write the file with index=False, or name that column."
    )


def test_two_columns_of_one_name_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("x,y,y\n1,0,1\n2,1,0\n3,0,1\n4,1,0\n5,0,1\n")
    with pytest.raises(ConfigError) as err:
        data.from_csv(path, label_column="y")
    assert one_line(err) == f"path={str(path)!r} has 2 columns named 'y' (columns 1, 2): give each column its own name."


def test_decimal_commas_are_named_and_read_with_decimal(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("label;a;b\n0;1,5;2\n1;2,25;3\n0;3;3\n1;4;4\n0;5;5\n")
    with pytest.raises(ConfigError) as err:
        data.from_csv(path, sep=";")
    assert one_line(err).endswith(
        "line 2, column 'a' has '1,5', which is not a number (a decimal comma: pass decimal=',')."
    )
    ds = data.from_csv(path, sep=";", decimal=",", test_fraction=0.2, seed=0)
    assert sorted(np.concatenate([ds.train[0][:, 0], ds.test[0][:, 0]]).tolist()) == [1.5, 2.25, 3.0, 4.0, 5.0]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"sep": ";;"}, "sep must be one character"),
        ({"sep": ",", "decimal": ","}, "decimal must be one character other than sep=','"),
        ({"encoding": "klingon"}, "encoding must be a known text encoding, e.g. 'utf-8', 'latin-1', got 'klingon'"),
    ],
)
def test_csv_text_options_are_checked(tmp_path, kwargs, match):
    path = tmp_path / "a.csv"
    path.write_text("label,a\n0,1\n1,2\n")
    with pytest.raises(ConfigError, match=match):
        data.from_csv(path, **kwargs)


# ---- IDX files ----


def write_all(folder, n_train=6, n_test=4, skip=()):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    sizes = {"train": n_train, "test": n_test}
    for key, stem in IDX_FILES.items():
        if key in skip:
            continue
        split, kind = key.split("_")
        shape = (sizes[split], 28, 28) if kind == "images" else (sizes[split],)
        write_idx(str(folder / f"{stem}.gz"), rng.integers(0, 10, size=shape))
    return folder


def test_idx_folder_loads(tmp_path):
    write_all(tmp_path / "FashionMNIST" / "raw")
    ds = data.load("fashion_mnist", data_dir=str(tmp_path))
    assert ds.train[0].shape == (6, 28, 28, 1) and float(ds.train[0].max()) <= 1.0


@pytest.mark.parametrize(
    "content,match",
    [
        (b"<!DOCTYPE html><html><body>Rate limit</body></html>", "is an HTML page"),
        (b"hello, not gzip", "is not gzip data"),
        (b"", "is empty"),
    ],
)
def test_a_gz_that_is_not_gzip_is_one_line(tmp_path, content, match):
    folder = write_all(tmp_path)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(content)
    with pytest.raises(ConfigError) as err:
        data.load("mnist", data_dir=str(tmp_path))
    assert match in one_line(err) and "train-labels-idx1-ubyte.gz" in str(err.value)


def test_a_half_downloaded_gz_is_one_line(tmp_path):
    folder = write_all(tmp_path)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ConfigError, match="train-images-idx3-ubyte.gz is a truncated or damaged gzip file"):
        data.load("mnist", data_dir=str(tmp_path))


@pytest.mark.parametrize(
    "header,match",
    [
        (bytes([1, 2, 8, 1]), "bad magic number"),
        (bytes([0, 0, 0x42, 1]), "IDX type byte 0x42"),
        (bytes([0, 0, 8, 0]), "damaged IDX header"),
        (bytes([0, 0, 8, 3, 0, 0]), "damaged IDX header"),
    ],
)
def test_bad_idx_headers_are_one_line(tmp_path, header, match):
    folder = write_all(tmp_path)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(header)
    with pytest.raises(ConfigError, match=match):
        data.load("mnist", data_dir=str(tmp_path))


def test_wrong_rank_and_count_mismatch(tmp_path):
    folder = write_all(tmp_path)
    write_idx(str(folder / "train-labels-idx1-ubyte.gz"), np.zeros((6, 28, 28)))
    with pytest.raises(
        ConfigError, match=r"has the IDX magic number of images \(N, H, W\) \(rank 3\), but it should hold labels"
    ):
        data.load("mnist", data_dir=str(tmp_path))
    write_idx(str(folder / "train-labels-idx1-ubyte.gz"), np.zeros(5))
    with pytest.raises(ConfigError, match="holds 6 images but .*train-labels-idx1-ubyte.gz 5 labels"):
        data.load("mnist", data_dir=str(tmp_path))


def test_a_missing_file_is_named(tmp_path):
    write_all(tmp_path, skip=("test_labels",))
    with pytest.raises(ConfigError) as err:
        data.load("mnist", data_dir=str(tmp_path))
    assert "holds some of the IDX files but not t10k-labels-idx1-ubyte.gz" in one_line(err)


def test_files_split_across_folders_are_named(tmp_path):
    write_all(tmp_path / "MNIST" / "raw", skip=("test_images", "test_labels"))
    write_all(tmp_path, skip=("train_images", "train_labels"))
    with pytest.raises(ConfigError, match="the IDX files are split across folders .*put all four in one folder"):
        data.load("mnist", data_dir=str(tmp_path))


def test_a_labels_file_with_the_images_magic_is_named_not_called_truncated(tmp_path):
    folder = write_all(tmp_path)
    labels = folder / "train-labels-idx1-ubyte.gz"
    with gzip.open(labels, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 6, 28, 28) + bytes(6))
    with pytest.raises(ConfigError) as err:
        data.load("mnist", data_dir=str(tmp_path))
    assert one_line(err) == (
        f"{labels} has the IDX magic number of images (N, H, W) (rank 3), but it should hold labels (N,) (rank 1): "
        "is it the right file?"
    )


def test_an_idx_file_one_byte_too_long_or_short_says_which(tmp_path):
    folder = write_all(tmp_path)
    labels = folder / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(labels.read_bytes())
    for body, message in (
        (raw + b"\x00", "has 1 bytes more than its header's (6,) (6 bytes): the file is damaged or not what"),
        (raw[:-1], "is truncated: its header says (6,) (6 bytes), found 5 bytes; re-download it."),
    ):
        labels.write_bytes(gzip.compress(body))
        with pytest.raises(ConfigError) as err:
            data.load("mnist", data_dir=str(tmp_path))
        assert f"{labels} {message}" in one_line(err)


def _write_float_images(path, images):
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 0x0D, 3]) + struct.pack(">3I", *images.shape) + images.astype(">f4").tobytes())


def test_float_idx_images_in_0_1_are_kept_and_other_ranges_refused(tmp_path):
    folder = write_all(tmp_path)
    images = np.random.default_rng(0).random((6, 28, 28)).astype(np.float32)
    _write_float_images(folder / "train-images-idx3-ubyte.gz", images)
    ds = data.load("mnist", data_dir=str(tmp_path))
    np.testing.assert_array_equal(np.sort(np.asarray(ds.train[0]).ravel()), np.sort(images.ravel()))
    images[0, 0, :2] = (-3.0, 997.0)
    _write_float_images(folder / "train-images-idx3-ubyte.gz", images)
    with pytest.raises(ConfigError, match=r"holds float32 pixels in \[-3, 997\]: expected integers 0..255"):
        data.load("mnist", data_dir=str(tmp_path))


def test_raw_idx_file_that_is_gzip_inside_is_read(tmp_path):
    path = tmp_path / "labels"
    write_idx(str(tmp_path / "labels.gz"), np.arange(3))
    path.write_bytes((tmp_path / "labels.gz").read_bytes())
    assert data.read_idx(str(path)).tolist() == [0, 1, 2]
