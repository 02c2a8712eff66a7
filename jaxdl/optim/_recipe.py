"""How a torch optimizer is declared, and the one place its equality and rebuilding come from.

:func:`torch_optimizer` turns a function with a ``torch.optim`` class's signature into that
optimizer: it takes PyTorch's one-element tensors wherever a number goes, checks and drops
PyTorch's kernel switches, and records the call as a :class:`Recipe` on the result. Two
optimizers are equal when their recipes are (``fit`` keys its compiled epoch on the optimizer),
and :func:`jaxdl.optim.float_args_as_arrays` rebuilds one from its recipe.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import optax

from jaxdl._checks import fail
from jaxdl.errors import unknown
from jaxdl.optim._args import torch_number

if TYPE_CHECKING:
    from typing_extensions import Self

F = TypeVar("F", bound=Callable[..., optax.GradientTransformation])

KERNEL_SWITCHES = ("foreach", "capturable", "differentiable", "fused")
"""PyTorch's switches of how an optimizer computes, not what: accepted where torch has them, no effect."""


@dataclasses.dataclass(frozen=True, eq=False)
class Recipe:
    """The call that built an optimizer: its :mod:`jaxdl.optim` function and arguments.

    Recipes are equal when the function and the arguments are (a recipe with an argument that
    cannot be hashed, e.g. an array ``lr``, equals only itself). ``arrays`` names, with their
    kinds, the arguments an optimizer of :func:`~jaxdl.optim.float_args_as_arrays` reads from its
    state instead of ``args``; :meth:`rebuild` takes their values.

    Attributes:
      build: the public optimizer function (e.g. :func:`jaxdl.optim.sgd`).
      args: its arguments, kernel switches left out.
      arrays: ``(name, kind)`` of each argument that travels as an array, sorted by name.
    """

    build: Callable[..., optax.GradientTransformation]
    args: Mapping[str, Any]
    arrays: tuple[tuple[str, Any], ...] = ()

    @functools.cached_property
    def key(self) -> tuple | None:
        """What equality compares: hashable, or None when an argument is not."""
        args = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in self.args.items()))
        key = (self.build, args, self.arrays)
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def rebuild(self, **values: Any) -> optax.GradientTransformation:
        """The optimizer of this call with ``values`` given for (or in place of) some arguments.

        >>> from jaxdl.optim import sgd
        >>> sgd(0.1, momentum=0.9).recipe.rebuild(lr=0.5) == sgd(0.5, momentum=0.9)
        True
        """
        return self.build(**{**self.args, **values})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recipe):
            return NotImplemented
        if self.key is None or other.key is None:
            return self is other
        return self.key == other.key

    def __hash__(self) -> int:
        return id(self) if self.key is None else hash(self.key)


class _EqualByRecipe:
    """Equality and hash by ``recipe``."""

    recipe: Recipe

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _EqualByRecipe) and self.recipe == other.recipe

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.recipe)


class Configured(_EqualByRecipe, optax.GradientTransformation):
    """An optimizer that remembers its :class:`Recipe`: equal to any other built by an equal call.

    ``fit`` keys its compiled epoch on the optimizer, so ``fit(..., optimizer=optim.sgd(lr=0.1))``
    called twice compiles once.
    """

    def __new__(cls, init: optax.TransformInitFn, update: optax.TransformUpdateFn, recipe: Recipe) -> Self:
        self = super().__new__(cls, init, update)
        self.recipe = recipe
        return self


class ConfiguredExtraArgs(_EqualByRecipe, optax.GradientTransformationExtraArgs):
    """A ``Configured`` whose ``update`` takes extra keyword arguments (``optax.chain`` passes them on)."""

    def __new__(cls, init: optax.TransformInitFn, update: optax.TransformUpdateExtraArgsFn, recipe: Recipe) -> Self:
        self = super().__new__(cls, init, update)
        self.recipe = recipe
        return self


def configured(tx: optax.GradientTransformation, recipe: Recipe) -> Configured | ConfiguredExtraArgs:
    """``tx`` remembering ``recipe`` (keeping its extra arguments, if its ``update`` takes them)."""
    if isinstance(tx, optax.GradientTransformationExtraArgs):
        return ConfiguredExtraArgs(tx.init, tx.update, recipe)
    return Configured(tx.init, tx.update, recipe)


def torch_optimizer(name: str) -> Callable[[F], F]:
    """Declare ``build``, a function with the signature of ``torch.optim.<name>``, as that optimizer.

    The optimizer it returns takes one-element arrays or tensors wherever a number goes, as
    PyTorch does (see :func:`~jaxdl.optim._args.torch_number`), checks that each of PyTorch's
    kernel switches in the signature (:data:`KERNEL_SWITCHES`) is True, False or None and drops
    it, calls ``build`` with the other arguments, and records the call as the result's
    :class:`Recipe`.
    """

    def declare(build: F) -> F:
        signature = inspect.signature(build)
        switches = [s for s in KERNEL_SWITCHES if s in signature.parameters]

        @functools.wraps(build)
        def optimizer(*args: Any, **kwargs: Any) -> Configured | ConfiguredExtraArgs:
            for key in kwargs:
                if key not in signature.parameters:
                    raise unknown("argument", key, signature.parameters, where=name)
            bound = signature.bind(*map(torch_number, args), **{k: torch_number(v) for k, v in kwargs.items()})
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            for switch in switches:
                value = arguments.pop(switch)
                if value is not None and not isinstance(value, bool):
                    raise fail(name, switch, value, "True, False or None (it has no effect in jaxdl)")
            return configured(build(**arguments), Recipe(optimizer, arguments))

        return cast(F, optimizer)  # functools.wraps keeps build's signature, which pyright cannot see

    return declare
