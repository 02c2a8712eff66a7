"""Datasets from CSV files: Kaggle-style image CSVs and generic tabular CSVs.

The course's custom ``torch.utils.data.Dataset`` read FashionMNIST from CSV files with a
header ``label,pixel1,...,pixel784``; :func:`from_csv` reads such files (and any numeric
CSV) into a :class:`Dataset` of arrays. pandas parses the file; when it finds
something wrong, the file is scanned again with :mod:`csv` to name the exact line and column.
"""

from __future__ import annotations

import csv
import math
import os
import re
import warnings
from collections.abc import Sequence

import numpy as np

from jaxdl import _checks
from jaxdl.data._dataset import Dataset, from_arrays
from jaxdl.errors import ConfigError, unknown

_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _problem(path: str, header: bool, width: int, sep: str, encoding: str, decimal: str = ".") -> str:
    """Describe the first ragged row, empty cell or non-number of a CSV file (lines count from 1)."""
    with open(path, newline="", encoding=encoding) as f:
        reader = csv.reader(f, delimiter=sep)
        names = next(reader) if header else None
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) != width:
                return f"line {line} has {len(row)} field(s): expected {width} like the first row."
            for col, cell in enumerate(row):
                name = repr(names[col]) if names else str(col)
                try:
                    value = float(cell.replace(decimal, "."))
                except ValueError:
                    what = "is empty" if not cell.strip() else f"has {cell!r}, which is not a number"
                    if decimal == "." and _DECIMAL_COMMA.fullmatch(cell.strip()):
                        what += " (a decimal comma: pass decimal=',')"
                    return f"line {line}, column {name} {what}."
                if not math.isfinite(value):
                    return f"line {line}, column {name} has {cell!r}: expected a finite number."
    return "it could not be parsed as a table of numbers."


def _encoding_problem(path: str, encoding: str) -> str | None:
    """One line when ``path`` does not decode as ``encoding``, naming the byte and the ``encoding=`` option."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\x1f\x8b"):
        import gzip

        raw = gzip.decompress(raw)
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return (
            f"is not {encoding} text (byte 0x{raw[err.start]:02x} on line {line}): pass the file's encoding, "
            "e.g. encoding='latin-1' (Excel on Windows: 'cp1252')."
        )
    except LookupError:
        return None
    return None


def _separator_hint(path: str, sep: str, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace") as f:
        first = f.readline()
    for other in (";", "\t", "|", ","):
        if other != sep and other in first:
            return f" its first line has {other!r} but no {sep!r}: pass sep={other!r}."
    return ""


def _check_names(path: str, what: str, sep: str, encoding: str) -> None:
    """Raise when the header has a column without a name (DataFrame.to_csv's index) or a name twice."""
    import pandas as pd

    first = pd.read_csv(path, header=None, nrows=1, sep=sep, encoding=encoding, dtype=str, keep_default_na=False)
    names = [str(n).strip() for n in first.iloc[0]]
    if "" in names:
        column = names.index("")
        raise ConfigError(
            f"{what}={path!r} has a column without a name (column {column} of the header; DataFrame.to_csv writes "
            "its index so): write the file with index=False, or name that column."
        )
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        columns = ", ".join(str(i) for i, n in enumerate(names) if n == twice)
        raise ConfigError(
            f"{what}={path!r} has {names.count(twice)} columns named {twice!r} (columns {columns}): "
            "give each column its own name."
        )


def _read(
    path: str | os.PathLike, header: bool, what: str, sep: str, encoding: str, decimal: str = "."
) -> tuple[list[str], np.ndarray]:
    """Column names and the (rows, columns) float64 values of a numeric CSV file."""
    import pandas as pd

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise _checks.fail("from_csv", what, path, "an existing CSV file", got=f"{path!r} (no such file)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # rows longer than the header
            frame = pd.read_csv(
                path, header=0 if header else None, index_col=False, sep=sep, encoding=encoding, decimal=decimal
            )
    except pd.errors.EmptyDataError:
        raise ConfigError(f"{what}={path!r} is empty: expected a header row and data rows.") from None
    except UnicodeDecodeError as err:
        bad_text = _encoding_problem(path, encoding) or f"cannot be decoded as {encoding} ({err.reason})."
        raise ConfigError(f"{what}={path!r} {bad_text}") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        with open(path, newline="", encoding=encoding) as f:
            width = len(next(csv.reader(f, delimiter=sep), []))
        raise ConfigError(f"{what}={path!r}: {_problem(path, header, width, sep, encoding, decimal)}") from None
    if header:
        _check_names(path, what, sep, encoding)
    if frame.shape[0] == 0:
        raise ConfigError(f"{what}={path!r} has no data rows: expected one example per row.")
    numeric = all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes)
    values = frame.to_numpy(dtype=np.float64) if numeric else None
    if values is None or not np.all(np.isfinite(values)):
        hint = _separator_hint(path, sep, encoding) if frame.shape[1] == 1 else ""
        if hint:
            raise ConfigError(f"{what}={path!r} has one column:{hint}")
        raise ConfigError(f"{what}={path!r}: {_problem(path, header, frame.shape[1], sep, encoding, decimal)}")
    names = [str(c) for c in frame.columns] if header else [str(i) for i in range(frame.shape[1])]
    return names, values


def _label_index(label_column: int | str, names: list[str], header: bool, path: str) -> int:
    if isinstance(label_column, str):
        if not header:
            raise _checks.fail("from_csv", "label_column", label_column, "a column index when header=False")
        if label_column not in names:
            raise unknown("column", label_column, names, where="from_csv")
        return names.index(label_column)
    if isinstance(label_column, bool) or not isinstance(label_column, int):
        raise _checks.fail("from_csv", "label_column", label_column, "a column index or a column name")
    if not -len(names) <= label_column < len(names):
        raise _checks.fail(
            "from_csv",
            "label_column",
            label_column,
            f"a column index of {path!r}: 0..{len(names) - 1}, or negative from the end",
        )
    return label_column % len(names)


def _split_columns(values: np.ndarray, label: int, regression: bool, names: list[str], path: str):
    y = values[:, label]
    X = np.delete(values, label, axis=1)
    if X.shape[1] == 0:
        raise ConfigError(f"{path!r} has only the label column: expected feature columns too.")
    if not regression:
        bad = np.flatnonzero((np.mod(y, 1) != 0) | (y < 0))
        if bad.size:
            raise ConfigError(
                f"label column {names[label]!r} of {path!r} has {y[bad[0]]:g} in data row {bad[0] + 1}: "
                "expected class indices 0, 1, 2, ... (pass regression=True for real-valued targets)."
            )
        y = y.astype(np.int64)
    return X, y


def _as_images(X: np.ndarray, image_shape: tuple[int, int], path: str) -> np.ndarray:
    """(N, H, W, 1) images in [0, 1]: pixels 0..255 are divided by 255, pixels already in [0, 1] kept."""
    if X.shape[1] != image_shape[0] * image_shape[1]:
        raise _checks.fail(
            "from_csv",
            "image_shape",
            image_shape,
            f"(height, width) with height * width = {X.shape[1]}, the feature columns of {path!r}",
        )
    if X.min() < 0 or X.max() > 255:
        raise ConfigError(
            f"{path!r} has pixel values in [{X.min():g}, {X.max():g}]: expected 0..255 (or 0..1) with image_shape set."
        )
    scaled = X if X.max() <= 1.0 else X / 255.0
    return scaled.reshape((len(X),) + image_shape + (1,))


def _check_text_options(sep: object, encoding: object, decimal: object) -> None:
    import codecs

    if not isinstance(sep, str) or len(sep) != 1 or sep in '"\n\r':
        raise _checks.fail("from_csv", "sep", sep, "one character such as ',' or ';'")
    if not isinstance(decimal, str) or len(decimal) != 1 or decimal == sep or decimal in '"\n\r':
        raise _checks.fail("from_csv", "decimal", decimal, f"one character other than sep={sep!r}, e.g. '.' or ','")
    try:
        codecs.lookup(encoding) if isinstance(encoding, str) else None
    except LookupError:
        raise _checks.fail("from_csv", "encoding", encoding, "a known text encoding, e.g. 'utf-8', 'latin-1'") from None
    if not isinstance(encoding, str):
        raise _checks.fail("from_csv", "encoding", encoding, "a text encoding name such as 'latin-1'")


def _check_image_shape(image_shape) -> tuple[int, int] | None:
    if image_shape is None:
        return None
    shape = tuple(image_shape) if isinstance(image_shape, Sequence) else ()
    if len(shape) != 2 or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        raise _checks.fail("from_csv", "image_shape", image_shape, "(height, width), e.g. (28, 28)")
    return shape


def from_csv(
    path: str | os.PathLike,
    *,
    label_column: int | str = 0,
    image_shape: Sequence[int] | None = None,
    test_path: str | os.PathLike | None = None,
    test_fraction: float = 0.2,
    regression: bool = False,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    header: bool = True,
    seed: int = 0,
    sep: str = ",",
    encoding: str = "utf-8",
    decimal: str = ".",
) -> Dataset:
    """Read a numeric CSV file (one example per row) into a :class:`Dataset`.

    Kaggle's FashionMNIST: ``from_csv("fashion-mnist_train.csv", image_shape=(28, 28),
    test_path="fashion-mnist_test.csv")``; a small tabular file is in the example below.

    Args:
      path: the training CSV, e.g. Kaggle's ``fashion-mnist_train.csv``.
      label_column: index (negative counts from the end) or header name of the label column;
        every other column is a feature.
      image_shape: ``(H, W)`` for image CSVs: pixels 0..255 become float32 images
        (N, H, W, 1) in [0, 1] (divided by 255; pixels already in [0, 1] are kept as they are).
        ``None`` keeps features as (N, F) float32 (standardize them
        with :func:`jaxdl.data.standardize`).
      test_path: a CSV with the same columns for the test split; without it a seeded
        random ``test_fraction`` of the rows of ``path`` is held out.
      regression: labels are real-valued targets (N, 1) instead of class indices (N,).
      num_classes, class_names: as in :func:`jaxdl.data.from_arrays`.
      header: the first row holds column names.
      seed: seeds the train/test split when ``test_path`` is not given.
      sep: the field separator, e.g. ``";"`` for CSVs from a European Excel.
      encoding: the text encoding, e.g. ``"latin-1"`` when the header has accents.
      decimal: the decimal mark, ``","`` for a European Excel's ``3,5`` (with ``sep=";"``).

    Raises:
      ConfigError: a missing file, a missing label column, a ragged row, an empty or
        non-numeric cell (named by line and column; a decimal comma is named), a column
        without a name (``DataFrame.to_csv``'s index) or two of the same name, or pixels
        outside 0..255.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "houses.csv")
    ...     _ = path.write_text("rooms,price\\n3,200\\n4,310\\n2,120\\n5,400\\n")
    ...     ds = from_csv(path, label_column="price", regression=True, test_fraction=0.25)
    >>> ds.train[0].shape, ds.test[1].shape
    ((3, 1), (1, 1))
    """
    shape = _check_image_shape(image_shape)
    path = os.fspath(path)
    _check_text_options(sep, encoding, decimal)
    names, values = _read(path, header, "path", sep, encoding, decimal)
    label = _label_index(label_column, names, header, path)
    X, y = _split_columns(values, label, regression, names, path)
    if test_path is not None:
        test_path = os.fspath(test_path)
        test_names, test_values = _read(test_path, header, "test_path", sep, encoding, decimal)
        if len(test_names) != len(names) or (header and test_names != names):
            raise ConfigError(
                f"test_path={test_path!r} has columns different from {path!r}: expected the same header "
                f"({len(names)} columns)."
            )
        X_test, y_test = _split_columns(test_values, label, regression, names, test_path)
    else:
        _checks.number("from_csv", "test_fraction", test_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
        num_test = round(len(X) * test_fraction)
        if not 0 < num_test < len(X):
            raise _checks.fail(
                "from_csv",
                "test_fraction",
                test_fraction,
                f"a fraction that leaves both splits of the {len(X)} rows non-empty (or give test_path)",
            )
        order = np.random.default_rng(seed).permutation(len(X))
        X, X_test = X[order[num_test:]], X[order[:num_test]]
        y, y_test = y[order[num_test:]], y[order[:num_test]]
    if shape is not None:
        X, X_test = _as_images(X, shape, path), _as_images(X_test, shape, test_path or path)
    return from_arrays(
        X,
        y,
        X_test,
        y_test,
        num_classes=num_classes,
        class_names=class_names,
        regression=regression,
        name=os.path.splitext(os.path.basename(path))[0],
    )
