"""``fit`` with a scheduler: same parameters as a torch loop that calls ``scheduler.step()``."""

import functools

import jax
import numpy as np
import optax
import pytest
import torch

from jaxdl import data, optim, schedules
from jaxdl.errors import ConfigError
from jaxdl.models import SoftmaxRegression
from jaxdl.train import fit

EPOCHS = 6


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def torch_run(ds, params, make_scheduler, *, make_optimizer=None, plateau=False):
    """Full-batch training in torch (SGD with momentum 0.9 unless ``make_optimizer(parameters)`` says otherwise),
    the scheduler stepped after each step like a course loop."""
    X = torch.tensor(np.asarray(ds.train[0]).reshape(len(ds.train[0]), -1))
    y = torch.tensor(np.asarray(ds.train[1]), dtype=torch.long)
    Xt = torch.tensor(np.asarray(ds.test[0]).reshape(len(ds.test[0]), -1))
    yt = torch.tensor(np.asarray(ds.test[1]), dtype=torch.long)
    net = torch.nn.Linear(64, 10)
    with torch.no_grad():
        net.weight.copy_(torch.tensor(np.asarray(params["kernel"]).T))
        net.bias.copy_(torch.tensor(np.asarray(params["bias"])))
    opt = (make_optimizer or (lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9)))(net.parameters())
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(EPOCHS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
        if plateau:
            with torch.no_grad():
                scheduler.step(torch.nn.functional.cross_entropy(net(Xt), yt).item())
        else:
            scheduler.step()
    return net.weight.detach().numpy().T, net.bias.detach().numpy(), lrs


def initial_params(ds):
    first = fit(SoftmaxRegression(10), ds, optimizer=optim.sgd(lr=0.0), epochs=1, batch_size=len(ds.train[0]))
    return jax.tree.map(np.asarray, first.state.params["Linear_0"])


@pytest.mark.parametrize("case", ["step_lr", "cosine", "plateau"])
def test_fit_with_scheduler_per_epoch_matches_torch(digits, case):
    n = len(digits.train[0])
    if case == "step_lr":
        ours, theirs = (
            schedules.step_lr(0.5, step_size=2, gamma=0.3),
            lambda o: torch.optim.lr_scheduler.StepLR(o, 2, 0.3),
        )
    elif case == "cosine":
        ours = schedules.cosine_annealing_lr(0.5, T_max=4, eta_min=0.01)
        theirs = lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01)  # noqa: E731
    else:
        ours = schedules.reduce_lr_on_plateau(0.5, patience=0, factor=0.5, threshold=0.05)
        theirs = lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0, factor=0.5, threshold=0.05)  # noqa: E731
    result = fit(
        SoftmaxRegression(10),
        digits,
        optimizer=functools.partial(optim.sgd, momentum=0.9),
        schedule=ours,
        epochs=EPOCHS,
        batch_size=n,
    )
    kernel, bias, lrs = torch_run(digits, initial_params(digits), theirs, plateau=case == "plateau")
    np.testing.assert_allclose(result.history["lr"], lrs, rtol=1e-6)
    params = result.state.params["Linear_0"]
    np.testing.assert_allclose(params["kernel"], kernel, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(params["bias"], bias, rtol=1e-4, atol=1e-5)


def test_per_step_unit_changes_the_rate_inside_an_epoch(digits):
    sched = schedules.step_lr(0.5, step_size=3, gamma=0.1)
    per_step = fit(
        SoftmaxRegression(10),
        digits,
        optimizer=optim.sgd,
        schedule=schedules.per_step(sched),
        epochs=2,
        batch_size=256,
    )
    per_epoch = fit(SoftmaxRegression(10), digits, optimizer=optim.sgd, schedule=sched, epochs=2, batch_size=256)
    assert per_step.history["lr"] == pytest.approx([0.5, 0.5 * 0.1**2])
    assert per_epoch.history["lr"] == pytest.approx([0.5, 0.5])


def test_schedule_needs_an_optimizer_factory(digits):
    with pytest.raises(ConfigError, match="function of the learning rate"):
        fit(
            SoftmaxRegression(10),
            digits,
            optimizer=optim.sgd(lr=0.1),
            schedule=schedules.step_lr(0.1, 2),
            epochs=1,
            batch_size=64,
        )
    with pytest.raises(ConfigError, match="per_step: schedule must be a schedule count -> lr"):
        schedules.per_step("batch")


def test_fit_warmup_then_plateau_matches_hand_stepped_torch(digits):
    """fit with a LinearLR warm-up followed by ReduceLROnPlateau: the torch loop steps one, then the other."""
    n, warm = len(digits.train[0]), 2
    ours = schedules.sequential_lr(
        [
            schedules.linear_lr(0.5, start_factor=0.2, total_iters=warm),
            schedules.reduce_lr_on_plateau(0.5, patience=0, factor=0.5, threshold=0.5),
        ],
        milestones=[warm],
    )
    result = fit(
        SoftmaxRegression(10),
        digits,
        optimizer=functools.partial(optim.sgd, momentum=0.9),
        schedule=ours,
        epochs=EPOCHS,
        batch_size=n,
        verbose=0,
    )

    class WarmupThenPlateau:
        def __init__(self, opt):
            self.epoch = 0
            self.warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=warm)
            self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=0.5)

        def step(self, metric):
            self.warmup.step() if self.epoch < warm else self.plateau.step(metric)
            self.epoch += 1

    kernel, bias, lrs = torch_run(digits, initial_params(digits), WarmupThenPlateau, plateau=True)
    assert lrs[0] == pytest.approx(0.1) and min(lrs[warm:]) < 0.5  # warmed up, then reduced
    np.testing.assert_allclose(result.history["lr"], lrs, rtol=1e-6)
    params = result.state.params["Linear_0"]
    np.testing.assert_allclose(params["kernel"], kernel, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(params["bias"], bias, rtol=1e-4, atol=1e-5)


CYCLING = {
    "OneCycleLR, SGD built without momentum": (
        lambda: schedules.one_cycle_lr(0.5, total_steps=EPOCHS),
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=EPOCHS),
        optim.sgd,
        lambda p: torch.optim.SGD(p, lr=0.5),
    ),
    "OneCycleLR per step, Adam": (
        lambda: schedules.per_step(schedules.one_cycle_lr(0.05, total_steps=EPOCHS, three_phase=True)),
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.05, total_steps=EPOCHS, three_phase=True),
        functools.partial(optim.adam, betas=(0.9, 0.99)),
        lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.9, 0.99)),
    ),
    "CyclicLR, RMSprop": (
        lambda: schedules.cyclic_lr(0.001, max_lr=0.01, step_size_up=2),
        lambda o: torch.optim.lr_scheduler.CyclicLR(o, 0.001, max_lr=0.01, step_size_up=2),
        functools.partial(optim.rmsprop, momentum=0.5),
        lambda p: torch.optim.RMSprop(p, lr=0.001, momentum=0.5),
    ),
    "CyclicLR, NAdam": (
        lambda: schedules.cyclic_lr(0.01, max_lr=0.1, step_size_up=2, base_momentum=0.7, max_momentum=0.95),
        lambda o: torch.optim.lr_scheduler.CyclicLR(
            o, 0.01, max_lr=0.1, step_size_up=2, base_momentum=0.7, max_momentum=0.95
        ),
        optim.nadam,
        lambda p: torch.optim.NAdam(p, lr=0.01),
    ),
}


@pytest.mark.parametrize("case", CYCLING)
def test_cycling_schedulers_set_the_momentum_as_torch_does(digits, case):
    """CyclicLR and OneCycleLR (cycle_momentum=True) set SGD's and RMSprop's momentum or Adam's beta1 each step."""
    ours, theirs, optimizer, torch_optimizer = CYCLING[case]
    n = len(digits.train[0])
    result = fit(SoftmaxRegression(10), digits, optimizer=optimizer, schedule=ours(), epochs=EPOCHS, batch_size=n)
    kernel, bias, lrs = torch_run(digits, initial_params(digits), theirs, make_optimizer=torch_optimizer)
    np.testing.assert_allclose(result.history["lr"], lrs, rtol=1e-6)
    params = result.state.params["Linear_0"]
    np.testing.assert_allclose(params["kernel"], kernel, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(params["bias"], bias, rtol=1e-4, atol=1e-5)


def test_a_cycling_scheduler_refuses_an_optimizer_without_momentum(digits):
    cycle = schedules.one_cycle_lr(0.5, total_steps=EPOCHS)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        torch.optim.lr_scheduler.OneCycleLR(torch.optim.Adagrad([torch.zeros(1, requires_grad=True)]), 0.5, 2)
    kw = {"schedule": cycle, "epochs": 1, "batch_size": 64, "verbose": 0}
    with pytest.raises(ConfigError) as err:
        fit(SoftmaxRegression(10), digits, optimizer=optim.adagrad, **kw)
    assert str(err.value).startswith("OneCycleLR cycles the optimizer's momentum (cycle_momentum=True), which adagrad")
    with pytest.raises(ConfigError, match="only a jaxdl.optim optimizer can take from it"):
        fit(SoftmaxRegression(10), digits, optimizer=lambda lr: optax.adam(lr), **kw)
    off = schedules.one_cycle_lr(0.5, total_steps=EPOCHS, cycle_momentum=False)
    trained = fit(SoftmaxRegression(10), digits, optimizer=optim.adagrad, **{**kw, "schedule": off})
    assert trained.history["lr"] == pytest.approx([0.5 / 25])  # OneCycleLR's first rate: max_lr / div_factor
