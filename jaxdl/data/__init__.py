"""Datasets as arrays on the device.

Images are float32 in [0, 1] with shape (N, H, W, 1); labels are int32 of shape (N,).
Regression targets are float32 of shape (N, 1). Batching happens by index inside the
compiled epoch (see :mod:`jaxdl.train`), so a dataset is nothing more than four arrays.

- :class:`Dataset`, :func:`from_arrays`: the arrays and the checks that make them one.
- :func:`load`: every dataset by name (:data:`LOADERS`): :func:`digits`, ``mnist``,
  ``fashion_mnist`` (a prepared TFDS copy or the IDX files, :func:`read_idx`),
  :func:`synthetic_regression`, :func:`diabetes`.
- :func:`from_csv`: a numeric CSV file, such as Kaggle's FashionMNIST.
- :func:`standardize`, :class:`Standardizer`: scaling with training statistics only.
- :class:`DataLoader`: shuffled batches for a training loop of your own; :func:`permutation`, the order of a
  shuffled epoch (``jax.random.permutation``'s, sorted faster on CPU).
- :func:`split`: a stratified validation part (``Dataset.val``) held out of the training examples.

>>> from jaxdl import data
>>> ds = data.load("digits")
>>> ds.train[0].shape, ds.num_classes
((1437, 8, 8, 1), 10)
"""

from jaxdl.data._builtin import DIGIT_CLASSES, diabetes, digits, load_diabetes_raw, synthetic_regression
from jaxdl.data._csv import from_csv
from jaxdl.data._dataset import Dataset, from_arrays
from jaxdl.data._idx import IDX_FILES, read_idx, write_idx
from jaxdl.data._load import LOADERS, load
from jaxdl.data._loader import DataLoader
from jaxdl.data._mnist import FASHION_MNIST_CLASSES
from jaxdl.data._permutation import permutation
from jaxdl.data._split import split
from jaxdl.data._standardize import standardize
from jaxdl.data._standardizer import Standardizer

__all__ = [
    "DIGIT_CLASSES",
    "FASHION_MNIST_CLASSES",
    "IDX_FILES",
    "LOADERS",
    "DataLoader",
    "Dataset",
    "Standardizer",
    "diabetes",
    "digits",
    "from_arrays",
    "from_csv",
    "load",
    "load_diabetes_raw",
    "permutation",
    "read_idx",
    "split",
    "standardize",
    "synthetic_regression",
    "write_idx",
]
