"""The activation functions of d2l 5.1 (and the GELU and ELU models may use), with PyTorch's conventions.

:data:`ACTIVATIONS` is the one table of them: the plots, the CLI and the models take names from it.

Derivatives come from ``jax.grad`` mapped over the elements with ``jax.vmap`` (what
``y.backward(torch.ones_like(x)); x.grad`` computes for an elementwise ``y``). At the kinks
they match torch: ReLU'(0) = 0 (torch's ``threshold_backward`` blocks the gradient where
``x <= 0``) and PReLU'(0) = alpha (torch takes the ``x > 0`` branch only for ``x > 0``).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxdl._checks import fail
from jaxdl.errors import unknown

__all__ = [
    "ACTIVATIONS",
    "LAYER_ACTIVATIONS",
    "PRELU_INIT",
    "derivative",
    "elu",
    "gelu",
    "get_activation",
    "prelu",
    "prelu_grad",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
]

PRELU_INIT = 0.25
"""``nn.PReLU()``'s initial slope; the plots and the CLI use it unless told otherwise."""


@jax.custom_jvp
def relu(x: jax.Array) -> jax.Array:
    """``torch.relu``: ``max(x, 0)`` elementwise, any shape; NaN stays NaN.

    The derivative is torch's ``threshold_backward``: 0 where ``x <= 0`` (so 0 at 0), else 1
    (so 1 at NaN, where ``jax.nn.relu`` gives 0).

    >>> relu(jnp.array([-1.0, 0.0, 2.0]))
    Array([0., 0., 2.], dtype=float32)
    """
    return jnp.where(x <= 0, jnp.zeros_like(x), x)


relu.defjvps(lambda tangent, _, x: jnp.where(x <= 0, jnp.zeros_like(tangent), tangent))


def sigmoid(x: jax.Array) -> jax.Array:
    """``torch.sigmoid``: ``1 / (1 + exp(-x))`` elementwise, any shape.

    >>> sigmoid(jnp.array([0.0]))
    Array([0.5], dtype=float32)
    """
    return jax.nn.sigmoid(x)


def tanh(x: jax.Array) -> jax.Array:
    """``torch.tanh``: ``(1 - exp(-2x)) / (1 + exp(-2x))`` elementwise, any shape.

    >>> tanh(jnp.array([0.0]))
    Array([0.], dtype=float32)
    """
    return jnp.tanh(x)


def prelu(x: jax.Array, alpha: ArrayLike) -> jax.Array:
    """``F.prelu(x, weight=alpha)`` with one shared slope: ``x`` if ``x > 0`` else ``alpha * x``.

    >>> prelu(jnp.array([-2.0, 3.0]), 0.25)
    Array([-0.5,  3. ], dtype=float32)
    """
    return jnp.where(x > 0, x, alpha * x)


def gelu(x: jax.Array) -> jax.Array:
    """``F.gelu(x, approximate="tanh")`` (flax's ``nn.gelu``): ``x/2 (1 + tanh(√(2/π) (x + 0.044715 x³)))``.

    >>> gelu(jnp.array([0.0]))
    Array([0.], dtype=float32)
    """
    return jax.nn.gelu(x, approximate=True)


def elu(x: jax.Array) -> jax.Array:
    """``F.elu`` (alpha 1): ``x`` if ``x > 0`` else ``exp(x) - 1``; derivative 1 at 0 and at NaN, as torch.

    >>> elu(jnp.array([0.0, 2.0]))
    Array([0., 2.], dtype=float32)
    """
    return jnp.where(x <= 0, jnp.expm1(jnp.where(x <= 0, x, jnp.zeros_like(x))), x)


ACTIVATIONS: dict[str, Callable[..., jax.Array]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "prelu": prelu,
    "gelu": gelu,
    "elu": elu,
}

LAYER_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "prelu")
"""The names a model's hidden layers take: the activations of ``x`` alone (PReLU's slope is a parameter)."""


def get_activation(name: str, *, layer: bool = False) -> Callable[..., jax.Array]:
    """The activation called ``name``: one of :data:`ACTIVATIONS`, or of :data:`LAYER_ACTIVATIONS` with ``layer``.

    >>> get_activation("tanh") is tanh
    True
    >>> get_activation("prelu", layer=True)
    Traceback (most recent call last):
    jaxdl.errors.ConfigError: unknown activation 'prelu' (did you mean 'relu'?); expected one of relu, sigmoid, \
tanh, gelu, elu
    """
    choices = LAYER_ACTIVATIONS if layer else tuple(ACTIVATIONS)
    if name not in choices:
        raise unknown("activation", name, choices)
    return ACTIVATIONS[name]


def derivative(fn: Callable[..., jax.Array] | str, x: ArrayLike, *args: ArrayLike) -> jax.Array:
    """Elementwise derivative ``d fn(x) / dx`` at every element of ``x`` (any shape).

    PyTorch: ``x.requires_grad_(); fn(x, *args).backward(torch.ones_like(x)); x.grad``.
    JAX: ``jax.vmap(jax.grad(fn))`` over the flattened elements.

    Args:
      fn: an elementwise scalar function or an activation name.
      x: float array of any shape.
      *args: extra arguments of ``fn`` (PReLU's ``alpha``), held fixed.

    Returns:
      Array with ``x``'s shape.

    >>> derivative("relu", jnp.array([-1.0, 0.0, 2.0]))
    Array([0., 0., 1.], dtype=float32)
    """
    fn = get_activation(fn) if isinstance(fn, str) else fn
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise fail("derivative", "x", x, "floats to differentiate at", got=f"dtype {x.dtype}")
    flat = jax.vmap(jax.grad(lambda v: fn(v, *args)))(jnp.ravel(x))
    return flat.reshape(x.shape)


def relu_grad(x: jax.Array) -> jax.Array:
    """ReLU'(x): 1 where ``x > 0``, else 0 (0 at 0, as torch).

    >>> relu_grad(jnp.array([0.0, 1.0]))
    Array([0., 1.], dtype=float32)
    """
    return derivative(relu, x)


def sigmoid_grad(x: jax.Array) -> jax.Array:
    """sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)).

    >>> sigmoid_grad(jnp.array([0.0]))
    Array([0.25], dtype=float32)
    """
    return derivative(sigmoid, x)


def tanh_grad(x: jax.Array) -> jax.Array:
    """tanh'(x) = 1 - tanh(x)².

    >>> tanh_grad(jnp.array([0.0]))
    Array([1.], dtype=float32)
    """
    return derivative(tanh, x)


def prelu_grad(x: jax.Array, alpha: ArrayLike) -> jax.Array:
    """PReLU'(x) with respect to ``x``: 1 where ``x > 0``, else ``alpha`` (``alpha`` at 0, as torch).

    >>> prelu_grad(jnp.array([-1.0, 0.0, 1.0]), 0.25)
    Array([0.25, 0.25, 1.  ], dtype=float32)
    """
    return derivative(prelu, x, alpha)
