"""The momentum SequentialLR and ChainedScheduler leave in the optimizer when one of their schedulers cycles it
(CyclicLR, OneCycleLR): ``.momentum`` of the jaxdl composite against SGD's ``momentum`` in torch, step by step."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as T

from jaxdl import schedules as S
from jaxdl.errors import ConfigError

STEPS = 40


def torch_momentum(make) -> np.ndarray:
    """SGD's ``momentum`` before each of STEPS steps, ``make(opt)`` stepped after each."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.5)
    sched = make(opt)
    values = []
    for _ in range(STEPS):
        values.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    return np.array(values)


CASES = {
    "warm-up, then one cycle": (
        lambda o: T.SequentialLR(o, [T.LinearLR(o, 0.5, total_iters=5), T.OneCycleLR(o, 0.1, total_steps=35)], [5]),
        lambda: S.sequential_lr([S.linear_lr(0.1, 0.5, total_iters=5), S.one_cycle_lr(0.1, total_steps=35)], [5]),
    ),
    "one cycle, then a decay that keeps its last momentum": (
        lambda o: T.SequentialLR(o, [T.OneCycleLR(o, 0.1, total_steps=60), T.ExponentialLR(o, 0.9)], [12]),
        lambda: S.sequential_lr([S.one_cycle_lr(0.1, total_steps=60), S.exponential_lr(0.1, 0.9)], [12]),
    ),
    "decay, cyclic, decay": (
        lambda o: T.SequentialLR(
            o,
            [T.StepLR(o, 3), T.CyclicLR(o, 0.01, 0.1, step_size_up=4, base_momentum=0.6), T.ExponentialLR(o, 0.9)],
            [6, 20],
        ),
        lambda: S.sequential_lr(
            [S.step_lr(0.1, 3), S.cyclic_lr(0.01, 0.1, step_size_up=4, base_momentum=0.6), S.exponential_lr(0.1, 0.9)],
            [6, 20],
        ),
    ),
    "chained: cyclic and a decay": (
        lambda o: T.ChainedScheduler([T.CyclicLR(o, 0.01, 0.1, step_size_up=3), T.ExponentialLR(o, 0.99)]),
        lambda: S.chained_scheduler([S.cyclic_lr(0.01, 0.1, step_size_up=3), S.exponential_lr(0.01, 0.99)]),
    ),
    "chained: the last of two cycling schedulers wins": (
        lambda o: T.ChainedScheduler([T.CyclicLR(o, 0.01, 0.1, step_size_up=3), T.OneCycleLR(o, 0.1, total_steps=50)]),
        lambda: S.chained_scheduler([S.cyclic_lr(0.01, 0.1, step_size_up=3), S.one_cycle_lr(0.1, total_steps=50)]),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_composite_momentum_matches_torch(case):
    theirs, ours = CASES[case]
    expected = torch_momentum(theirs)
    assert np.ptp(expected) > 0.05  # the momentum moves
    momentum = ours().momentum
    assert momentum is not None
    np.testing.assert_allclose(np.asarray(momentum(jnp.arange(STEPS))), expected, rtol=1e-6)


def test_composites_without_a_cycling_scheduler_leave_the_momentum_alone():
    warm = S.sequential_lr([S.linear_lr(0.1, 0.5, total_iters=5), S.one_cycle_lr(0.1, 35, cycle_momentum=False)], [5])
    assert warm.momentum is None
    assert S.chained_scheduler([S.step_lr(0.1, 3), S.exponential_lr(0.1, 0.9)]).momentum is None


def test_two_cycling_schedulers_in_sequence_are_refused():
    with pytest.raises(ConfigError) as err:
        S.sequential_lr([S.one_cycle_lr(0.1, total_steps=10), S.cyclic_lr(0.01, 0.1)], [5])
    assert str(err.value) == (
        "SequentialLR: schedulers[0] (OneCycleLR) and schedulers[1] (CyclicLR) cycle the momentum, whose range "
        "PyTorch's schedulers share (each overwrites the other's): give all but one cycle_momentum=False."
    )
