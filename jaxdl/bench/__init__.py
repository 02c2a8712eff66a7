"""jaxdl against PyTorch: the benchmark behind ``jaxdl bench``.

Ten contestants (PyTorch's course loop, eager, ``torch.compile`` and ``torch.func`` steps;
jaxdl's jitted step, ``fit``, ``fit_many`` and sequential fits) train the same three
FashionMNIST-shaped workloads with the same init, batches and SGD, at the same matmul
precision, on CPU or GPU. :func:`compare` measures them and returns :class:`Results`.

PyTorch is optional (``pip install "jaxdl-course[torch]"``): the names that need it (:func:`compare`,
:func:`check`, :func:`gpu_available`, :func:`describe`, :func:`matmul_precision`, :data:`PRECISIONS`,
:func:`torch_model`, :class:`TorchData`, :func:`plan`) load it on first use.

>>> from jaxdl import bench
>>> bench.WORKLOADS["mlp"].description
'MLP 784-256-10, ReLU'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jaxdl.bench import _digits_sweep as digits_sweep
from jaxdl.bench._course_loop import REPRODUCED, jaxdl_epochs, steady, torch_epochs, torchvision_style_dataset
from jaxdl.bench._jax_contestants import jax_model, sweep_rates, to_dataset
from jaxdl.bench._measure import CONTESTANTS, MULTI_MODEL, Measurement, failure, time_epochs
from jaxdl.bench._options import RESULTS, TORCH_HINT, WORKLOAD_NAMES, Options, require_torch, resolve, shown_path
from jaxdl.bench._processes import (
    Calibration,
    add_quiet_calibration,
    add_record_out,
    against_torch,
    calibrate,
    last_json,
    machine,
    machine_line,
    median,
    record_path,
    run_timed,
    save_json,
)
from jaxdl.bench._report import Results, find, results_table, row_json, scaling_figure, scaling_table, speedup, targets
from jaxdl.bench._workloads import BATCH_SIZE, LR, NUM_CLASSES, WORKLOADS, BenchData, Workload, load_data, synthetic

if TYPE_CHECKING:
    from jaxdl.bench._compare import check, compare, describe_row, plan
    from jaxdl.bench._precision import PRECISIONS, describe, gpu_available, matmul_precision
    from jaxdl.bench._torch_contestants import TorchData, torch_model

_NEED_TORCH = {
    "compare": "_compare",
    "check": "_compare",
    "plan": "_compare",
    "describe_row": "_compare",
    "gpu_available": "_precision",
    "describe": "_precision",
    "matmul_precision": "_precision",
    "PRECISIONS": "_precision",
    "torch_model": "_torch_contestants",
    "TorchData": "_torch_contestants",
}

__all__ = [
    "Calibration",
    "add_quiet_calibration",
    "add_record_out",
    "calibrate",
    "BATCH_SIZE",
    "CONTESTANTS",
    "LR",
    "MULTI_MODEL",
    "NUM_CLASSES",
    "RESULTS",
    "TORCH_HINT",
    "WORKLOADS",
    "WORKLOAD_NAMES",
    "BenchData",
    "Measurement",
    "Options",
    "Results",
    "Workload",
    "failure",
    "find",
    "jax_model",
    "load_data",
    "require_torch",
    "resolve",
    "results_table",
    "row_json",
    "scaling_figure",
    "scaling_table",
    "shown_path",
    "speedup",
    "sweep_rates",
    "synthetic",
    "targets",
    "time_epochs",
    "to_dataset",
    "digits_sweep",
    "REPRODUCED",
    "jaxdl_epochs",
    "steady",
    "torch_epochs",
    "torchvision_style_dataset",
    "against_torch",
    "last_json",
    "machine",
    "machine_line",
    "median",
    "record_path",
    "run_timed",
    "save_json",
    "compare",
    "check",
    "plan",
    "describe_row",
    "gpu_available",
    "describe",
    "matmul_precision",
    "PRECISIONS",
    "torch_model",
    "TorchData",
]


def __getattr__(name: str) -> Any:
    if name in _NEED_TORCH:
        return getattr(importlib.import_module(f"jaxdl.bench.{_NEED_TORCH[name]}"), name)
    raise AttributeError(f"module 'jaxdl.bench' has no attribute {name!r}")
