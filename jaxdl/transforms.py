"""On-device image transforms: ``torchvision.transforms`` as pure functions of a batch and a key.

A transform is a frozen dataclass (hashable, so it can be a static ``jit`` argument) called
as ``t(x, *, key) -> x`` on a batch ``x`` of shape (B, H, W, C). :func:`jaxdl.train.fit`
applies it inside the compiled epoch to every training batch with a key of its own, so
augmentation costs no host round trip. Random transforms draw per-example choices from
``key``; deterministic ones ignore it (``key=None`` is accepted) and also run at evaluation
time through :meth:`Transform.deterministic_part`, so the model sees one input shape.

==========================================  =======================================
torchvision                                 jaxdl.transforms
==========================================  =======================================
``T.RandomHorizontalFlip(p=0.5)``           ``random_flip("horizontal", p=0.5)``
``T.RandomVerticalFlip(p=0.5)``             ``random_flip("vertical", p=0.5)``
``T.Normalize(mean, std)``                  ``normalize(mean, std)``
``T.Resize((h, w))``                        ``resize((h, w))`` (bilinear, antialiased)
``T.Pad(padding, fill, padding_mode)``      ``pad(padding, fill, padding_mode)``
``T.Compose([...])``                        ``compose([...])``
==========================================  =======================================
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jaxdl._checks import fail
from jaxdl.errors import unknown

__all__ = [
    "FLIP_AXES",
    "PADDING_MODES",
    "Compose",
    "Identity",
    "Normalize",
    "Pad",
    "RandomFlip",
    "Resize",
    "Transform",
    "compose",
    "eval_transform_for",
    "normalize",
    "pad",
    "random_flip",
    "resize",
]

FLIP_AXES = {"vertical": 1, "horizontal": 2}
PADDING_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _check_batch(x: jax.Array, name: str) -> None:
    if x.ndim != 4:
        raise fail(
            name, "x", x, "an image batch (B, H, W, C): transforms apply to images only", got=f"shape {tuple(x.shape)}"
        )


@dataclasses.dataclass(frozen=True)
class Transform(abc.ABC):
    """Base class: ``__call__(x (B, H, W, C), *, key) -> (B, H', W', C')``."""

    random = False
    """Whether the output depends on ``key`` (such transforms run at training time only)."""

    @abc.abstractmethod
    def __call__(self, x: jax.Array, *, key: jax.Array | None) -> jax.Array:
        """Transform the batch ``x``; ``key`` drives the random choices (``None`` if there are none)."""

    def deterministic_part(self) -> Transform:
        """What to apply at evaluation time: the transform itself, or :class:`Identity` if random."""
        return Identity() if self.random else self


@dataclasses.dataclass(frozen=True)
class Identity(Transform):
    """Returns the batch unchanged (``compose([])`` or a random transform at evaluation time)."""

    def __call__(self, x: jax.Array, *, key: jax.Array | None) -> jax.Array:
        del key
        return x


@dataclasses.dataclass(frozen=True)
class RandomFlip(Transform):
    """Flip each example of the batch along ``axis`` (1 = H, 2 = W) with probability ``p``."""

    axis: int
    p: float = 0.5
    random = True

    def __post_init__(self) -> None:
        if self.axis not in (1, 2):
            raise fail("random_flip", "axis", self.axis, "'horizontal', 'vertical', 1 (H) or 2 (W)")
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not 0.0 <= self.p <= 1.0:
            raise fail("random_flip", "p", self.p, "a probability in [0, 1]")

    def __call__(self, x: jax.Array, *, key: jax.Array | None) -> jax.Array:
        _check_batch(x, "random_flip")
        if key is None:
            raise fail("random_flip", "key", None, "a key (it is a training-time augmentation)")
        flip = jax.random.bernoulli(key, self.p, (x.shape[0],))
        return jnp.where(flip[:, None, None, None], jnp.flip(x, axis=self.axis), x)


@dataclasses.dataclass(frozen=True)
class Normalize(Transform):
    """``(x - mean) / std`` per channel; ``mean`` and ``std`` hold 1 or C numbers."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __post_init__(self) -> None:
        for name, values in (("mean", self.mean), ("std", self.std)):
            if not values or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
                raise fail("normalize", name, values, "one finite number per channel")
        if any(s <= 0 for s in self.std):
            raise fail("normalize", "std", self.std, "positive numbers")

    def __call__(self, x: jax.Array, *, key: jax.Array | None) -> jax.Array:
        del key
        _check_batch(x, "normalize")
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, x.shape[-1]):
                raise fail("normalize", name, values, f"1 or {x.shape[-1]} values, one per channel")
        return (x - jnp.asarray(self.mean, x.dtype)) / jnp.asarray(self.std, x.dtype)


@dataclasses.dataclass(frozen=True)
class Resize(Transform):
    """Bilinear resize to ``size = (h, w)``, antialiased when shrinking (torchvision's default)."""

    size: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.size) != 2 or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in self.size):
            raise fail("resize", "size", self.size, "(height, width) as positive integers")

    def __call__(self, x: jax.Array, *, key: jax.Array | None) -> jax.Array:
        del key
        _check_batch(x, "resize")
        shape = (x.shape[0], *self.size, x.shape[-1])
        return jax.image.resize(x, shape, method="bilinear", antialias=True)


@dataclasses.dataclass(frozen=True)
class Pad(Transform):
    """Pad H and W by ``padding = (left, top, right, bottom)`` pixels."""

    padding: tuple[int, ...]
    fill: float = 0.0
    padding_mode: str = "constant"

    def __post_init__(self) -> None:
        if len(self.padding) != 4 or not all(
            isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in self.padding
        ):
            raise fail("pad", "padding", self.padding, "(left, top, right, bottom) integers >= 0")
        if self.padding_mode not in PADDING_MODES:
            raise unknown("padding_mode", self.padding_mode, PADDING_MODES, where="pad")
        if not isinstance(self.fill, (int, float)) or not math.isfinite(self.fill):
            raise fail("pad", "fill", self.fill, "a finite number")

    def __call__(self, x: jax.Array, *, key: jax.Array | None) -> jax.Array:
        del key
        _check_batch(x, "pad")
        left, top, right, bottom = self.padding
        widths = ((0, 0), (top, bottom), (left, right), (0, 0))
        if self.padding_mode == "constant":
            return jnp.pad(x, widths, constant_values=self.fill)
        return jnp.pad(x, widths, mode=PADDING_MODES[self.padding_mode])


@dataclasses.dataclass(frozen=True)
class Compose(Transform):
    """Apply ``transforms`` in order, each with its own key split from ``key``."""

    transforms: tuple[Transform, ...]

    def __post_init__(self) -> None:
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise fail("compose", "transforms", t, "jaxdl.transforms transforms")

    @property
    def random(self) -> bool:
        """Whether any part is random."""
        return any(t.random for t in self.transforms)

    def __call__(self, x: jax.Array, *, key: jax.Array | None) -> jax.Array:
        keys = [None] * len(self.transforms) if key is None else jax.random.split(key, len(self.transforms))
        for t, k in zip(self.transforms, keys, strict=True):
            x = t(x, key=k)
        return x

    def deterministic_part(self) -> Transform:
        """The composition of the deterministic parts, in order (random ones dropped)."""
        parts = (t.deterministic_part() for t in self.transforms)
        return Compose(tuple(part for part in parts if not isinstance(part, Identity)))


def random_flip(axis: str | int, p: float = 0.5) -> RandomFlip:
    """Flip each example with probability ``p``: ``"horizontal"`` (W, axis 2) or ``"vertical"`` (H, axis 1).

    >>> random_flip("horizontal", p=1.0)(jnp.arange(2.0).reshape(1, 1, 2, 1), key=jax.random.key(0)).ravel().tolist()
    [1.0, 0.0]
    """
    if isinstance(axis, str):
        if axis not in FLIP_AXES:
            raise unknown("axis", axis, [*FLIP_AXES, "1", "2"], where="random_flip")
        axis = FLIP_AXES[axis]
    return RandomFlip(axis, p)


def _floats(values: float | Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in (values if isinstance(values, Sequence) else (values,)))


def normalize(mean: float | Sequence[float], std: float | Sequence[float]) -> Normalize:
    """``torchvision.transforms.Normalize``: per-channel ``(x - mean) / std``.

    >>> normalize(0.5, 0.5)(jnp.ones((1, 1, 1, 1)), key=None).item()
    1.0
    """
    return Normalize(_floats(mean), _floats(std))


def resize(size: int | Sequence[int]) -> Resize:
    """Bilinear resize to ``(h, w)`` (an int means a square), like ``torchvision.transforms.Resize``.

    >>> resize((28, 28))(jnp.zeros((2, 8, 8, 1)), key=None).shape
    (2, 28, 28, 1)
    """
    return Resize((size, size) if isinstance(size, int) else tuple(size))


def pad(padding: int | Sequence[int], fill: float = 0.0, padding_mode: str = "constant") -> Pad:
    """``torchvision.transforms.Pad``: ``padding`` is an int, ``(left/right, top/bottom)`` or ``(l, t, r, b)``.

    >>> pad(2)(jnp.zeros((1, 8, 8, 1)), key=None).shape
    (1, 12, 12, 1)
    """
    if isinstance(padding, int):
        padding = (padding,) * 4
    padding = tuple(padding)
    if len(padding) == 2:
        padding = padding * 2
    return Pad(padding, fill, padding_mode)


def compose(transforms: Sequence[Transform]) -> Compose:
    """Chain transforms in order, like ``torchvision.transforms.Compose``.

    >>> compose([pad(2), random_flip("horizontal")]).deterministic_part()
    Compose(transforms=(Pad(padding=(2, 2, 2, 2), fill=0.0, padding_mode='constant'),))
    """
    return Compose(tuple(transforms))


def eval_transform_for(
    transform: Transform | None, eval_transform: Transform | None, example: jax.Array, *, where: str = "fit"
) -> Transform | None:
    """Check a train/eval transform pair and return the eval transform.

    ``eval_transform`` defaults to ``transform.deterministic_part()``; both must turn
    ``example`` (1, H, W, C) into the same shape, or the model could not see both. ``where``
    names the caller in errors.

    >>> eval_transform_for(compose([resize(28), random_flip("horizontal")]), None, jnp.zeros((1, 8, 8, 1)))
    Compose(transforms=(Resize(size=(28, 28)),))
    """
    for name, t in (("transform", transform), ("eval_transform", eval_transform)):
        if t is not None and not isinstance(t, Transform):
            raise fail(where, name, t, "a jaxdl.transforms transform, e.g. transforms.resize(28)")
    if eval_transform is None and transform is not None:
        eval_transform = transform.deterministic_part()
    train_shape = eval_shape = example.shape
    if transform is not None:
        train_shape = jax.eval_shape(lambda x, k: transform(x, key=k), example, jax.random.key(0)).shape
    if eval_transform is not None:
        eval_shape = jax.eval_shape(lambda x: eval_transform(x, key=None), example).shape
    if train_shape != eval_shape:
        raise fail(
            where,
            "eval_transform",
            eval_transform,
            f"a transform to the examples' shape {train_shape[1:]} that transform gives (the model needs one "
            "input shape: apply resize/pad in both)",
            got=f"one to {eval_shape[1:]}",
        )
    return eval_transform
