"""Layers that behave like their ``torch.nn`` namesakes: ``Linear`` and ``Conv2d`` init, ``BatchNorm`` statistics."""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxdl import _checks


def _uniform(bound: float):
    """torch's default init of weights and biases: U(-bound, bound), with bound = 1/√fan_in."""

    def init(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


class Linear(nn.Module):
    """``torch.nn.Linear``: y = x W + b with torch's default init U(-1/√fan_in, 1/√fan_in) for W and b.

    Maps (..., fan_in) to (..., features); parameters ``kernel`` (fan_in, features), ``bias`` (features,).

    >>> Linear(3).init(jax.random.key(0), jnp.ones((2, 4)))["params"]["kernel"].shape
    (4, 3)
    """

    features: int

    def __post_init__(self) -> None:
        _checks.positive_int("Linear", "features", self.features)
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        bound = 1.0 / math.sqrt(x.shape[-1])
        kernel = self.param("kernel", _uniform(bound), (x.shape[-1], self.features))
        bias = self.param("bias", _uniform(bound), (self.features,))
        return x @ kernel + bias


class Conv2d(nn.Module):
    """``torch.nn.Conv2d`` on NHWC input with torch's default init U(-1/√fan_in, 1/√fan_in).

    fan_in = in_channels · k · k. Input (N, H, W, C) → (N, H + 2p - k + 1, W + 2p - k + 1,
    features); parameters ``kernel`` (k, k, C, features) and ``bias`` (features,).

    >>> Conv2d(6, 5, padding=2).init(jax.random.key(0), jnp.ones((1, 28, 28, 1)))["params"]["kernel"].shape
    (5, 5, 1, 6)
    """

    features: int
    kernel_size: int
    padding: int = 0

    def __post_init__(self) -> None:
        _checks.positive_int("Conv2d", "features", self.features)
        _checks.positive_int("Conv2d", "kernel_size", self.kernel_size)
        _checks.integer("Conv2d", "padding", self.padding, low=0)
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        init = _uniform(1.0 / math.sqrt(x.shape[-1] * self.kernel_size**2))
        kernel = self.param("kernel", init, (self.kernel_size, self.kernel_size, x.shape[-1], self.features))
        bias = self.param("bias", init, (self.features,))
        pad = [(self.padding, self.padding)] * 2
        y = jax.lax.conv_general_dilated(x, kernel, (1, 1), pad, dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return y + bias


class BatchNorm(nn.Module):
    """Batch normalisation over all axes but the last, in ``torch.nn.BatchNorm1d/2d``'s convention.

    ``momentum`` is torch's (running = (1 - momentum) * running + momentum * batch, default 0.1,
    i.e. flax momentum 0.9). With ``unbiased_running_var`` the running variance averages the
    unbiased batch variance as torch does (flax keeps the biased one: pass ``False`` for that).
    ``mask`` (N,) marks the real rows of a padded batch; padding does not touch the statistics.
    The masked sums are dot products with the mask (one fused reduction, also under ``vmap``).
    Input (N, ..., C) → output of the same shape; running stats live in ``batch_stats``.
    """

    momentum: float = 0.1
    epsilon: float = 1e-5
    unbiased_running_var: bool = True

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool, mask: jax.Array | None = None) -> jax.Array:
        features = x.shape[-1]
        mean_var = self.variable("batch_stats", "mean", jnp.zeros, (features,), jnp.float32)
        var_var = self.variable("batch_stats", "var", jnp.ones, (features,), jnp.float32)
        scale = self.param("scale", nn.initializers.ones, (features,))
        bias = self.param("bias", nn.initializers.zeros, (features,))
        if train:
            weight = jnp.ones(x.shape[:1], x.dtype) if mask is None else mask.astype(x.dtype)
            rows = x.reshape(x.shape[0], -1, features)
            count = weight.sum() * rows.shape[1]
            mean = jnp.tensordot(weight, rows, axes=1).sum(0) / count
            var = jnp.tensordot(weight, jnp.square(rows - mean), axes=1).sum(0) / count
            if not self.is_initializing():
                m = self.momentum
                running_var = var * count / jnp.maximum(count - 1, 1) if self.unbiased_running_var else var
                mean_var.value = (1 - m) * mean_var.value + m * mean
                var_var.value = (1 - m) * var_var.value + m * running_var
        else:
            mean, var = mean_var.value, var_var.value
        return (x - mean) * jax.lax.rsqrt(var + self.epsilon) * scale + bias
