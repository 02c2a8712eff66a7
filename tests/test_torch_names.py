"""PyTorch's class names on jaxdl.optim and jaxdl.losses: one line that names the jaxdl function (lists from torch)."""

import importlib

import pytest
import torch
import torch.nn.modules.loss as torch_losses
import torch.optim.lr_scheduler as torch_schedulers

from jaxdl import losses, optim, schedules
from jaxdl.errors import ConfigError

OPTIMIZERS = sorted(
    name
    for name, obj in vars(torch.optim).items()
    if isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer) and obj is not torch.optim.Optimizer
)
LOSSES = sorted(
    name
    for name, obj in vars(torch_losses).items()
    if isinstance(obj, type) and issubclass(obj, torch_losses._Loss) and not name.startswith("_")
)
SCHEDULERS = sorted(
    name
    for name, obj in vars(torch_schedulers).items()
    if isinstance(obj, type)
    and (issubclass(obj, torch_schedulers.LRScheduler) or name == "ReduceLROnPlateau")
    and not name.startswith("_")
)
OPTIMIZER_TWINS = {"SparseAdam": None, "Muon": None}
LOSS_TWINS = {
    "CrossEntropyLoss": "cross_entropy",
    "MSELoss": "mse",
    "L1Loss": "l1",
    "NLLLoss": "nll",
    "BCELoss": "bce",
    "BCEWithLogitsLoss": "bce_with_logits",
}


def message(module, name: str) -> str:
    with pytest.raises(ConfigError) as err:
        getattr(module, name)
    text = str(err.value)
    assert "\n" not in text
    return text


def test_the_lists_from_torch_hold_the_course_names():
    assert {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "LBFGS"} <= set(OPTIMIZERS)
    assert {"CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "HuberLoss"} <= set(LOSSES)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_torch_optimizer_class_names_its_jaxdl_function_or_says_it_has_none(name):
    text = message(optim, name)
    twin = OPTIMIZER_TWINS.get(name, name.lower())
    if twin is None:
        assert text.startswith(f"torch.optim.{name} has no twin in jaxdl.optim, whose functions are adadelta,")
    else:
        assert text.startswith(f"jaxdl.optim.{name} is torch.optim's class; use the function jaxdl.optim.{twin}:")
        assert callable(getattr(optim, twin)) and twin in optim.__all__


@pytest.mark.parametrize("name", LOSSES)
def test_every_torch_loss_class_names_its_jaxdl_function_or_says_it_has_none(name):
    text = message(losses, name)
    twin = LOSS_TWINS.get(name)
    if twin is None:
        assert text.startswith(f"torch.nn.{name} has no twin in jaxdl.losses, whose functions are accuracy, bce,")
    else:
        assert text.startswith(f"jaxdl.losses.{name} is torch.nn's class; use the function jaxdl.losses.{twin}:")
        assert f'fit(..., loss="{twin}")' in text and callable(getattr(losses, twin))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_every_torch_scheduler_class_names_its_jaxdl_function_or_says_it_has_none(name):
    text = message(schedules, name)
    if name == "LRScheduler":
        assert text.startswith("torch.optim.lr_scheduler.LRScheduler has no twin in jaxdl.schedules, whose functions")
        return
    twin = next(f for f in schedules.__all__ if f.replace("_", "") == name.lower())
    expected = f"jaxdl.schedules.{name} is torch.optim.lr_scheduler's class; use the function jaxdl.schedules.{twin}:"
    assert text.startswith(expected) and f"fit(..., schedule=schedules.{twin}(...))" in text


def test_from_import_of_a_torch_name_keeps_the_message():
    with pytest.raises(ConfigError, match=r"use the function jaxdl\.optim\.adam: .*optim\.adam\(lr=0\.1\)"):
        exec("from jaxdl.optim import Adam", {})


def test_a_lowercase_typo_is_an_attribute_error_with_did_you_mean():
    with pytest.raises(AttributeError, match=r"jaxdl.optim: unknown name 'adma' \(did you mean 'adam'\?\)"):
        optim.adma  # noqa: B018
    with pytest.raises(AttributeError, match=r"did you mean 'cross_entropy'"):
        losses.crossentropy  # noqa: B018
    assert not hasattr(importlib.import_module("jaxdl.losses"), "_private")


def test_the_course_from_scratch_sgd_has_its_own_name():
    import jax.numpy as jnp

    tx = optim.scratch_sgd(0.5)
    assert float(tx.update({"w": jnp.ones(1)}, tx.init(None))[0]["w"][0]) == -0.5
