"""PyTorch's class names on a jaxdl module (``optim.Adam``, ``losses.CrossEntropyLoss``) name jaxdl's function."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from jaxdl.errors import ConfigError, unknown


def torch_class_getattr(
    module: str,
    torch_module: str,
    twins: Mapping[str, str],
    choices: Sequence[str],
    hint: str,
    notes: Mapping[str, str] | None = None,
) -> Callable[[str], object]:
    """A module ``__getattr__`` that answers a PyTorch class name with the jaxdl function to use instead.

    Args:
      module: the jaxdl module, e.g. ``"jaxdl.optim"``.
      torch_module: where PyTorch keeps the classes, e.g. ``"torch.optim"``.
      twins: a PyTorch class name, lowercased, to the jaxdl function that does its job.
      choices: the module's public functions, for the "did you mean" of a name without a twin.
      hint: how to call the twin, a format string of ``twin``.
      notes: a twin's name to a remark appended to its message.

    A name that starts with a capital letter raises a :class:`ConfigError` (also on
    ``from module import Name``: an ``AttributeError`` would become a bare ``ImportError``);
    any other missing name raises ``AttributeError`` with the "did you mean" of
    :func:`jaxdl.errors.unknown`.

    >>> getattr_ = torch_class_getattr("jaxdl.losses", "torch.nn", {"mseloss": "mse"}, ["mse"], "{twin}(y_hat, y)")
    >>> try:
    ...     getattr_("MSELoss")
    ... except ConfigError as err:
    ...     print(err)
    jaxdl.losses.MSELoss is torch.nn's class; use the function jaxdl.losses.mse: mse(y_hat, y)
    """

    def lookup(name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        if not name[:1].isupper():
            raise AttributeError(str(unknown("name", name, choices, where=module)))
        twin = twins.get(name.lower())
        if twin is None:
            functions = ", ".join(choices)
            raise ConfigError(f"{torch_module}.{name} has no twin in {module}, whose functions are {functions}")
        message = f"{module}.{name} is {torch_module}'s class; use the function {module}.{twin}"
        note = (notes or {}).get(twin)
        raise ConfigError(f"{message}: {hint.format(twin=twin)}" + (f"; {note}" if note else ""))

    return lookup
