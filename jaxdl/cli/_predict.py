"""``jaxdl predict --run DIR INPUT...``: classify files with the model of a ``jaxdl train`` folder.

Inputs are converted like the training data: ``.npy`` arrays (one example or a batch; uint8
scaled to [0, 1]), ``.csv`` rows (one example per row, numbers only, an optional header) and
PNG/JPEG images (grayscale or RGB as the model's input, resized to its input shape, scaled to
[0, 1]). The course's images (digits, MNIST, FashionMNIST) are light strokes on a dark background:
draw a light digit on black, or add --invert for a dark drawing on white paper (an image that is
mostly light gets a note on stderr). One line per example: ``INPUT: class name`` (``INPUT[i]`` for a
batch), or the predicted value of a regression model (inputs and values in the dataset's original
units: the run's feature and target standardizers are applied).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import warnings

import numpy as np

from jaxdl import _checks
from jaxdl import _readers as types
from jaxdl.cli._main import SUBCOMMANDS
from jaxdl.errors import ConfigError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SUFFIXES = (".npy", ".csv", *IMAGE_SUFFIXES)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``predict`` subcommand."""
    p = sub.add_parser(
        "predict",
        help=SUBCOMMANDS["predict"],
        description=(__doc__ or "").partition("\n\n")[2],  # no docstring under python -OO
    )
    p.add_argument(
        "--run",
        dest="run_dir",
        type=types.existing_dir,
        required=True,
        metavar="DIR",
        help="the --out folder of a jaxdl train run",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help=f"files: {', '.join(SUFFIXES)}")
    p.add_argument("--batch-size", type=types.positive_int, default=256, help="examples per forward pass")
    p.add_argument(
        "--invert",
        action="store_true",
        help="images are dark on light (a pen drawing): use 1 - pixel, as the training images are light on dark",
    )
    p.set_defaults(run=run)


def read_image(path: str, input_shape: tuple[int, ...]) -> np.ndarray:
    """An image file as one float32 example of ``input_shape`` (H, W, C) in [0, 1]."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise ConfigError("reading images needs Pillow: pip install pillow.") from None
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ConfigError(f"{path}: the model takes inputs of shape {input_shape}, not images; give .npy or .csv.")
    height, width, channels = input_shape
    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB").resize((width, height), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as err:
        raise ConfigError(f"{path}: not a readable image ({err}).") from None
    return pixels.reshape(input_shape)


def read_csv(path: str) -> np.ndarray:
    """The numeric rows of a CSV file (a first row with text in a cell is taken as a header)."""
    try:
        with open(path, newline="", encoding="utf-8") as file:
            rows = [row for row in csv.reader(file) if row]
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text: save it as a UTF-8 CSV file.") from None
    try:
        values = [[float(cell) for cell in row] for row in (rows[1:] if rows and _header(rows[0]) else rows)]
        array = np.asarray(values, np.float32)
    except ValueError:
        raise ConfigError(f"{path}: expected rows of numbers of equal length (one example per row).") from None
    if array.size == 0:
        raise ConfigError(f"{path}: no rows of numbers.")
    return array


def _header(row: list[str]) -> bool:
    """Whether a CSV row is a header: a cell holds text that is not a number (an empty cell is not text)."""
    for cell in row:
        try:
            float(cell)
        except ValueError:
            if cell.strip():
                return True
    return False


def read_input(path: str, input_shape: tuple[int, ...], *, invert: bool = False) -> tuple[np.ndarray, bool]:
    """``(examples (N, *input_shape), whether the file held a batch)`` for one input file.

    An image is inverted (``1 - pixel``) with ``invert``; without it, a mostly light image gets a note
    on stderr (the course's images are light strokes on a dark background).
    """
    if os.path.isdir(path):
        raise ConfigError(
            f"input {path!r} is a folder: expected a {', '.join(SUFFIXES)} file "
            f"(give the files in it, e.g. {path}/*.png)."
        )
    if not os.path.isfile(path):
        raise ConfigError(f"input {path!r} does not exist: expected a {', '.join(SUFFIXES)} file.")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in IMAGE_SUFFIXES:
        pixels = read_image(path, input_shape)
        if invert:
            return (1.0 - pixels)[None], False
        if pixels.mean() > 0.5:
            print(
                f"jaxdl predict: note: {path} is mostly light, but the training images are light strokes on a "
                "dark background: add --invert if it is a dark drawing on a light background.",
                file=sys.stderr,
            )
        return pixels[None], False
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as err:
            raise ConfigError(f"{path}: not a readable .npy array ({err}).") from None
        if array.dtype == np.uint8:
            array = array.astype(np.float32) / 255.0
    elif suffix == ".csv":
        array = read_csv(path)
    else:
        raise ConfigError(
            f"input {path!r}: unknown file type {suffix or '(none)'}; expected one of {', '.join(SUFFIXES)}."
        )
    if not (_checks.real_numbers(array.dtype) or array.dtype == bool):  # a cast would drop a complex's imaginary part
        raise ConfigError(
            f"{path}: an array of {array.dtype} values, not real numbers: expected examples as real numbers."
        )
    array = np.asarray(array, np.float32)
    if array.size == 0:
        raise ConfigError(f"{path}: an empty array of shape {array.shape}: expected at least one example.")
    if not np.isfinite(array).all():
        raise ConfigError(
            f"{path}: {int((~np.isfinite(array)).sum())} NaN/inf values: "
            "expected finite numbers (clean the input first)."
        )
    size = int(np.prod(input_shape))
    # One grey image without its channel axis, as sklearn's digits.images[0] is one.
    one_channel = tuple(input_shape[:-1]) if tuple(input_shape[-1:]) == (1,) else None
    if array.shape in (tuple(input_shape), (size,), one_channel):
        return array.reshape(1, *input_shape), False
    if array.ndim >= 1 and array.size == array.shape[0] * size:
        return array.reshape(-1, *input_shape), True
    raise ConfigError(
        f"{path}: an array of shape {array.shape}: expected one example {tuple(input_shape)} "
        f"or a batch (N, {', '.join(map(str, input_shape))})."
    )


def run(args: argparse.Namespace) -> int:
    """Read every input (all checked before predicting), predict, and print one line per example."""
    from jaxdl import predict
    from jaxdl.checkpoint import load_model

    loaded = load_model(args.run_dir)
    batches = [(path, *read_input(path, loaded.input_shape, invert=args.invert)) for path in args.inputs]
    X = np.concatenate([examples for _, examples, _ in batches])
    regression = getattr(loaded.model, "task", None) == "regression"
    with warnings.catch_warnings():
        # read_input already noted each light image by its file name (with the --invert fix).
        warnings.filterwarnings("ignore", message="predict: .* dark on a light background", category=UserWarning)
        out = predict(
            loaded,
            loaded.model,
            X,
            batch_size=args.batch_size,
            input_shape=loaded.input_shape,
            output="values" if regression else "classes",
        )
    index = 0
    for path, examples, is_batch in batches:
        for i in range(len(examples)):
            name = f"{path}[{i}]" if is_batch else path
            value = out[index]
            if regression:
                text = " ".join(f"{v:.6g}" for v in np.ravel(value))
            else:
                text = loaded.class_names[int(value)] if loaded.class_names else str(int(value))
            print(f"{name}: {text}")
            index += 1
    return 0
