"""Matmul precision set identically in both frameworks, and the device under test.

On CPU both frameworks multiply in full float32 (there is no TF32 on CPU). On GPU the
benchmark runs each contestant twice: ``highest`` (full float32 matmuls everywhere) and
``tf32`` (TensorFloat-32 matmuls, JAX's default on Ampere/Hopper).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

import jax
import torch

from jaxdl.errors import ConfigError, unknown

PRECISIONS = {
    "float32": "float32 (CPU: full-precision matmuls in both frameworks)",
    "highest": "float32 'highest': jax.default_matmul_precision('highest'), torch allow_tf32=False",
    "tf32": "TF32: jax.default_matmul_precision('tensorfloat32'), torch allow_tf32=True, "
    "set_float32_matmul_precision('high')",
}
DEVICES = ("cpu", "gpu")


@contextlib.contextmanager
def matmul_precision(mode: str) -> Iterator[None]:
    """Run the block with both frameworks at precision ``mode`` (a key of :data:`PRECISIONS`)."""
    if mode not in PRECISIONS:
        raise unknown("precision", mode, PRECISIONS)
    tf32 = mode == "tf32"
    saved = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.get_float32_matmul_precision(),
    )
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.set_float32_matmul_precision("high" if tf32 else "highest")
    try:
        with jax.default_matmul_precision("tensorfloat32" if tf32 else "highest"):
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[:2]
        torch.set_float32_matmul_precision(saved[2])


def cpu_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def gpu_available() -> bool:
    """Whether JAX and torch both see a GPU (then the benchmark runs there by default)."""
    return jax.default_backend() == "gpu" and torch.cuda.is_available()


def check_device(device: str) -> None:
    """Raise a :class:`ConfigError` unless both frameworks can use ``device``."""
    if device not in DEVICES:
        raise unknown("device", device, DEVICES, where="bench")
    if device == "gpu":
        if jax.default_backend() != "gpu":
            raise ConfigError(
                f"--device gpu: JAX sees no GPU (its backend is {jax.default_backend()!r}); "
                "install jax[cuda12] or use --device cpu."
            )
        if not torch.cuda.is_available():
            raise ConfigError(
                "--device gpu: PyTorch sees no CUDA GPU (torch.cuda.is_available() is False); "
                "install a CUDA build of torch or use --device cpu."
            )


def jax_device(device: str) -> jax.Device:  # pyright: ignore[reportInvalidTypeForm]  # jaxlib has no stub for Device
    """The JAX device the benchmark places its arrays and programs on."""
    return jax.devices("cpu")[0] if device == "cpu" else jax.devices("gpu")[0]


def torch_device(device: str) -> torch.device:
    """The torch device matching :func:`jax_device`."""
    return torch.device("cpu") if device == "cpu" else torch.device("cuda", 0)


def describe(device: str) -> dict[str, str]:
    """``slug`` (for folder names, e.g. ``cpu-2core`` or ``nvidia-h100-80gb-hbm3``) and a one-line ``name``."""
    if device == "cpu":
        cores = cpu_cores()
        return {
            "slug": f"cpu-{cores}core",
            "name": f"CPU: {_cpu_model()}, {cores} cores (torch threads: {torch.get_num_threads()})",
        }
    name = torch.cuda.get_device_name(0)
    return {"slug": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), "name": f"GPU: {name}"}


def synchronize(device: str) -> None:
    """Wait for torch's queued GPU work (a no-op on CPU)."""
    if device == "gpu":
        torch.cuda.synchronize()
