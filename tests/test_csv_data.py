"""``from_csv``: Kaggle FashionMNIST CSV round trip, tabular CSVs, splits, and one clear error per mistake."""

import numpy as np
import pytest

from jaxdl import data
from jaxdl.errors import ConfigError


def write_fashion_csv(path, images, labels):
    """Kaggle's layout: header ``label,pixel1,...,pixel784``, one image per row, row-major pixels."""
    header = "label," + ",".join(f"pixel{i}" for i in range(1, images[0].size + 1))
    rows = [f"{label}," + ",".join(str(int(p)) for p in img.ravel()) for img, label in zip(images, labels, strict=True)]
    path.write_text("\n".join([header, *rows]) + "\n")


@pytest.fixture
def fashion(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(30, 28, 28))
    images[0, 3, 5] = 255  # pixel 3 * 28 + 5 + 1 = 90 of row 1
    images[0, 3, 4] = 0
    labels = np.arange(30) % 10
    train, test = tmp_path / "fashion-mnist_train.csv", tmp_path / "fashion-mnist_test.csv"
    write_fashion_csv(train, images[:20], labels[:20])
    write_fashion_csv(test, images[20:], labels[20:])
    return train, test, images, labels


def test_fashion_mnist_csv_round_trip(fashion):
    train, test, images, labels = fashion
    ds = data.from_csv(train, image_shape=(28, 28), test_path=test, class_names=data.FASHION_MNIST_CLASSES)
    X, y = ds.train
    assert X.shape == (20, 28, 28, 1) and X.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_allclose(np.asarray(X)[..., 0], images[:20] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(y), labels[:20])
    np.testing.assert_allclose(np.asarray(ds.test[0])[..., 0], images[20:] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(ds.test[1]), labels[20:])
    assert float(X[0, 3, 5, 0]) == 1.0 and float(X[0, 3, 4, 0]) == 0.0
    assert ds.num_classes == 10 and ds.class_names[0] == "t-shirt" and ds.name == "fashion-mnist_train"


def test_held_out_split_is_seeded_and_covers_every_row(fashion):
    train, _, images, _ = fashion
    ds = data.from_csv(train, image_shape=(28, 28), test_fraction=0.25, seed=3)
    assert ds.train[0].shape[0] == 15 and ds.test[0].shape[0] == 5
    seen = np.concatenate([np.asarray(ds.train[0]), np.asarray(ds.test[0])])[..., 0]
    np.testing.assert_allclose(
        np.sort(seen.reshape(20, -1), axis=0), np.sort(images[:20].reshape(20, -1) / 255.0, axis=0), rtol=1e-6
    )
    same = data.from_csv(train, image_shape=(28, 28), test_fraction=0.25, seed=3)
    other = data.from_csv(train, image_shape=(28, 28), test_fraction=0.25, seed=4)
    np.testing.assert_array_equal(np.asarray(same.test[1]), np.asarray(ds.test[1]))
    assert not np.array_equal(np.asarray(other.test[0]), np.asarray(ds.test[0]))


def test_tabular_regression_csv_with_named_label_column(tmp_path):
    path = tmp_path / "houses.csv"
    path.write_text("rooms,age,price\n3,10,200.5\n4,5,310\n2,30,120.25\n5,1,400\n")
    ds = data.from_csv(path, label_column="price", regression=True, test_fraction=0.25, seed=0)
    assert ds.num_classes is None and ds.train[1].shape == (3, 1) and ds.train[0].shape == (3, 2)
    rows = {
        tuple(x) + (t,)
        for x, t in zip(np.asarray(ds.train[0]).tolist(), np.asarray(ds.train[1]).ravel().tolist(), strict=True)
    }
    rows |= {tuple(np.asarray(ds.test[0])[0].tolist()) + (float(ds.test[1][0, 0]),)}
    assert rows == {(3.0, 10.0, 200.5), (4.0, 5.0, 310.0), (2.0, 30.0, 120.25), (5.0, 1.0, 400.0)}
    scaled = data.standardize(ds, targets=True)
    np.testing.assert_allclose(np.asarray(scaled.train[0]).mean(axis=0), 0.0, atol=1e-6)


def test_negative_label_index_and_headerless_file(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("0.5,1.5,1\n2.5,3.5,0\n4.5,5.5,1\n")
    ds = data.from_csv(path, label_column=-1, header=False, test_fraction=1 / 3, seed=0)
    assert ds.num_classes == 2
    X = np.concatenate([np.asarray(ds.train[0]), np.asarray(ds.test[0])])
    assert sorted(X[:, 0].tolist()) == [0.5, 2.5, 4.5]


@pytest.mark.parametrize(
    "content, message",
    [
        ("label,a,b\n1,2,3\n0,4\n", r"line 3 has 2 field\(s\): expected 3"),
        ("label,a,b\n1,2,3\n0,4,5,6\n", r"line 3 has 4 field\(s\): expected 3"),
        ("label,a,b\n1,2,3\n0,4,5\n1,x7,5\n", r"line 4, column 'a' has 'x7', which is not a number"),
        ("label,a,b\n1,2,3\n0,,5\n", r"line 3, column 'a' is empty"),
        ("label,a,b\n1,2,inf\n", r"line 2, column 'b' has 'inf': expected a finite number"),
        ("label,a,b\n1,2,3\n0.5,4,5\n", r"label column 'label' .* has 0.5 in data row 2: expected class indices"),
        ("", r"is empty"),
        ("label,a,b\n", r"no data rows"),
        ("label\n1\n2\n", r"only the label column"),
    ],
)
def test_bad_files_raise_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        data.from_csv(path, test_fraction=0.5)


def test_argument_errors(tmp_path, fashion):
    train, _, _, _ = fashion
    with pytest.raises(ConfigError, match=r"from_csv: path must be an existing CSV file, got .* \(no such file\)"):
        data.from_csv(tmp_path / "missing.csv")
    with pytest.raises(
        ConfigError, match=r"from_csv: unknown column 'lable' \(did you mean 'label'\?\); expected one of label, pixel1"
    ):
        data.from_csv(train, label_column="lable")
    with pytest.raises(ConfigError, match=r"label_column must be a column index of .*: 0..784, .*, got 785"):
        data.from_csv(train, label_column=785)
    with pytest.raises(
        ConfigError, match=r"image_shape must be \(height, width\) with height \* width = 784, .*, got \(28, 27\)"
    ):
        data.from_csv(train, image_shape=(28, 27))
    with pytest.raises(ConfigError, match=r"from_csv: image_shape must be \(height, width\), e.g. \(28, 28\), got 28"):
        data.from_csv(train, image_shape=28)
    with pytest.raises(ConfigError, match=r"from_csv: test_fraction must be a number in \(0, 1\), got 1.5"):
        data.from_csv(train, test_fraction=1.5)
    with pytest.raises(ConfigError, match="test_fraction must be a fraction that leaves both splits"):
        data.from_csv(train, test_fraction=0.01)


def test_pixels_outside_0_255_and_mismatched_test_columns(tmp_path):
    path = tmp_path / "img.csv"
    path.write_text("label,p1,p2,p3,p4\n1,0,10,20,300\n0,1,2,3,4\n")
    with pytest.raises(ConfigError, match=r"pixel values in \[0, 300\]: expected 0..255"):
        data.from_csv(path, image_shape=(2, 2), test_fraction=0.5)
    good, other = tmp_path / "good.csv", tmp_path / "other.csv"
    good.write_text("label,p1,p2\n1,0,10\n0,1,2\n")
    other.write_text("label,q1,q2\n1,0,10\n")
    with pytest.raises(ConfigError, match="has columns different from"):
        data.from_csv(good, test_path=other)
