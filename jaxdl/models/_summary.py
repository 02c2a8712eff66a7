"""``summary(model, input_shape)``: torchinfo's / Keras' layer table (layer, output shape, parameters)."""

from __future__ import annotations

import inspect
import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxdl._checks import fail


def _shape(out: Any) -> str:
    shapes = [leaf.shape for leaf in jax.tree.leaves(out) if hasattr(leaf, "shape")]
    text = ["(N" + "".join(f", {d}" for d in shape[1:]) + ")" if shape else "()" for shape in shapes]
    return " ".join(text) or "-"


def _count(tree: Any) -> int:
    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(tree))


def _subtree(variables: dict, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(variables, dict) or name not in variables:
            return {}
        variables = variables[name]
    return variables


def summary(model: nn.Module, input_shape: tuple[int, ...]) -> str:
    """A table of ``model``'s layers for one input of ``input_shape``: name, type, output shape, parameters.

    Like ``torchinfo.summary`` / Keras' ``model.summary()``; nothing is computed (shapes only).
    A layer's parameter count includes its sublayers'; batch-norm statistics are counted apart
    as non-trainable, as PyTorch counts buffers.

    Args:
      model: a ``flax.linen`` module.
      input_shape: the shape of one example, e.g. ``(8, 8, 1)`` (without the batch axis N).

    Returns:
      the table as text, one layer per line, and the totals.

    >>> from jaxdl.models import MLP
    >>> print(summary(MLP(hidden=(32,), num_classes=10), (8, 8, 1)).splitlines()[-3])
    Total params: 2,410
    """
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise fail("summary", "input_shape", input_shape, "the shape of one example, e.g. (8, 8, 1)") from None
    rows: list[list[str]] = []

    def record(next_fun, args, kwargs, context):
        if context.method_name != "__call__" or not context.module.path:
            return next_fun(*args, **kwargs)
        row = ["/".join(context.module.path), type(context.module).__name__, "", ""]
        rows.append(row)
        out = next_fun(*args, **kwargs)
        row[2] = _shape(out)
        return out

    parameters = inspect.signature(model.__call__).parameters
    kwargs: dict[str, Any] = {"train": False} if "train" in parameters else {}
    x = jnp.zeros((1, *shape), jnp.float32)
    with nn.intercept_methods(record):
        outputs, variables = jax.eval_shape(lambda: model.init_with_output(jax.random.key(0), x, **kwargs))
    params = variables.get("params", {})
    seen: set[str] = set()
    table = [["layer", "type", "output shape", "params"]]
    for row in rows:
        if row[0] in seen:
            continue
        seen.add(row[0])
        row[3] = f"{_count(_subtree(params, tuple(row[0].split('/')))):,}"
        table.append(row)
    table.append(["(output)", type(model).__name__, _shape(outputs), ""])
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in table
    ]
    rule = "-" * max(map(len, lines))
    stats = _count({k: v for k, v in variables.items() if k != "params"})
    return "\n".join(
        [
            lines[0],
            rule,
            *lines[1:],
            rule,
            f"Total params: {_count(params):,}",
            f"Non-trainable (batch-norm statistics): {stats:,}",
            f"Input: (N, {', '.join(map(str, shape))})",
        ]
    )
