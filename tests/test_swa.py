"""jaxdl.swa against torch.optim.swa_utils: same weights in, same averages, rates and statistics out."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as T
from torch.optim import swa_utils as U

from jaxdl import data, swa
from jaxdl import schedules as S
from jaxdl.errors import ConfigError
from jaxdl.models import MLP


def torch_rates(make, lr=0.1, steps=200):
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=lr)
    sched = make(opt)
    out = [sched.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()  # no gradient: changes nothing, but steps in torch's order (optimizer, then scheduler)
        sched.step()
        out.append(sched.get_last_lr()[0])
    return np.array(out)


@pytest.mark.parametrize(
    "swa_lr, anneal_epochs, strategy",
    [
        (0.05, 10, "cos"),
        (0.05, 10, "linear"),
        (0.5, 1, "cos"),
        (0.01, 0, "cos"),
        (0.02, 150, "linear"),
        (0.1, 7, "cos"),
    ],
)
def test_swalr_matches_torch(x64, swa_lr, anneal_epochs, strategy):
    expected = torch_rates(lambda o: U.SWALR(o, swa_lr, anneal_epochs, strategy))
    got = np.asarray(jax.vmap(S.swalr(0.1, swa_lr, anneal_epochs, strategy))(jnp.arange(201)))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert (
        S.by_name("SWALR", lr=0.1, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy).name == "SWALR"
    )


def test_swalr_in_a_chain_replays_torch(x64):
    expected = torch_rates(lambda o: T.ChainedScheduler([T.ExponentialLR(o, 0.99), U.SWALR(o, 0.05, 20)]))
    chained = S.chained_scheduler([S.exponential_lr(0.1, 0.99), S.swalr(0.1, 0.05, 20)])
    np.testing.assert_allclose(np.asarray(jax.vmap(chained)(jnp.arange(201))), expected, rtol=1e-9, atol=1e-12)


def test_swalr_bad_arguments_are_one_line():
    with pytest.raises(ConfigError, match="anneal_strategy"):
        S.swalr(0.1, 0.01, anneal_strategy="cosine")
    with pytest.raises(ConfigError, match="anneal_epochs"):
        S.swalr(0.1, 0.01, anneal_epochs=-1)


def _torch_net(dtype):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)).to(dtype)
    net[1].num_batches_tracked = None  # flax keeps no integer counter (torch's SWA on it fails with use_buffers)
    return net


def _jnp(x) -> jnp.ndarray:
    """A torch tensor as a jax array."""
    return jnp.asarray(x.detach().numpy())


def _as_variables(net):
    lin, bn = net[0], net[1]
    t = _jnp
    return {
        "params": {
            "lin": {"kernel": t(lin.weight), "bias": t(lin.bias)},
            "bn": {"scale": t(bn.weight), "bias": t(bn.bias)},
        },
        "batch_stats": {"bn": {"mean": t(bn.running_mean), "var": t(bn.running_var)}},
    }


AVERAGES = {
    "swa-default": (lambda: {}, lambda: {}),
    "swa-multi": (
        lambda: {"multi_avg_fn": U.get_swa_multi_avg_fn()},
        lambda: {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
    ),
    "ema-multi": (
        lambda: {"multi_avg_fn": U.get_ema_multi_avg_fn(0.9)},
        lambda: {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.9)},
    ),
    "ema-multi-low-decay": (
        lambda: {"multi_avg_fn": U.get_ema_multi_avg_fn(0.3)},
        lambda: {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.3)},
    ),
    "ema-avg-fn": (lambda: {"avg_fn": U.get_ema_avg_fn(0.95)}, lambda: {"avg_fn": swa.get_ema_avg_fn(0.95)}),
    "swa-avg-fn": (lambda: {"avg_fn": U.get_swa_avg_fn()}, lambda: {"avg_fn": swa.get_swa_avg_fn()}),
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("name", list(AVERAGES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_averaged_model_matches_torch(x64, name, use_buffers, dtype):
    torch_kwargs, jax_kwargs = AVERAGES[name]
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    net = _torch_net(tdtype)
    reference = U.AveragedModel(net, use_buffers=use_buffers, **torch_kwargs())
    averaged = swa.averaged_model(use_buffers=use_buffers, **jax_kwargs())
    state = averaged.init(_as_variables(net))
    update = jax.jit(averaged.update)
    gen = torch.Generator().manual_seed(1)
    for _ in range(7):  # a new "epoch" of weights and running statistics each time
        with torch.no_grad():
            for p in list(net.parameters()) + [net[1].running_mean, net[1].running_var]:
                p.copy_(torch.randn(p.shape, generator=gen, dtype=tdtype) + 1.5)
        reference.update_parameters(net)
        state = update(state, _as_variables(net))
    want = _as_variables(reference.module)
    got = state.variables
    tol = {"float64": 1e-14, "float32": 1e-6}[dtype]
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)
    assert int(state.n_averaged) == int(reference.n_averaged) == 7


def test_averaged_model_takes_a_train_state_and_rejects_both_functions():
    import optax

    from jaxdl.train import create_train_state

    model = MLP(hidden=(4,), num_classes=2, batch_norm=True)
    ts = create_train_state(model, optax.sgd(0.1), jnp.ones((1, 3)), key=jax.random.key(0))
    avg = swa.averaged_model()
    state = avg.update(avg.init(ts), ts)
    assert set(state.variables) == {"params", "batch_stats"}
    with pytest.raises(ConfigError, match=r"multi_avg_fn must be None when avg_fn is given"):
        swa.averaged_model(avg_fn=swa.get_swa_avg_fn(), multi_avg_fn=swa.get_swa_multi_avg_fn())
    with pytest.raises(ConfigError, match="flax variables"):
        avg.init([1, 2])


def _variables_of(net) -> dict:
    """The MLP(hidden=(5,), batch_norm=True) variables of torch's Linear-BatchNorm1d-ReLU-Linear ``net``,
    with batch statistics (7, 9) that update_bn must replace."""
    return {
        "params": {
            "Linear_0": {"kernel": _jnp(net[0].weight).T, "bias": _jnp(net[0].bias)},
            "BatchNorm_0": {"scale": _jnp(net[1].weight), "bias": _jnp(net[1].bias)},
            "Linear_1": {"kernel": _jnp(net[3].weight).T, "bias": _jnp(net[3].bias)},
        },
        "batch_stats": {"BatchNorm_0": {"mean": jnp.full(5, 7.0), "var": jnp.full(5, 9.0)}},
    }


def test_update_bn_matches_torch():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    X = torch.randn(50, 3) * 2 + 1
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, torch.zeros(50)), batch_size=16)
    U.update_bn(loader, net)
    model = MLP(hidden=(5,), num_classes=2, batch_norm=True)
    variables = _variables_of(net)
    for loader_arg, kwargs in [(_jnp(X), {"batch_size": 16}), ([(_jnp(x), y) for x, y in loader], {})]:
        new = swa.update_bn(loader_arg, model, variables, **kwargs)
        np.testing.assert_allclose(
            new["batch_stats"]["BatchNorm_0"]["mean"], net[1].running_mean.numpy(), rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            new["batch_stats"]["BatchNorm_0"]["var"], net[1].running_var.numpy(), rtol=1e-5, atol=1e-6
        )
        assert new["params"] is variables["params"]


def test_update_bn_matches_torch_in_float64(x64):
    """Every batch's weight 1/k is taken in the statistics' dtype: float64 statistics match torch's to 1e-14."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    net = net.double()
    X = torch.randn(70, 3, dtype=torch.float64) * 2 + 1
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, torch.zeros(70)), batch_size=16)
    U.update_bn(loader, net)
    variables = _variables_of(net)
    new = swa.update_bn(_jnp(X), MLP(hidden=(5,), num_classes=2, batch_norm=True), variables, batch_size=16)
    for ours, theirs in (("mean", net[1].running_mean), ("var", net[1].running_var)):
        assert new["batch_stats"]["BatchNorm_0"][ours].dtype == jnp.float64
        np.testing.assert_allclose(new["batch_stats"]["BatchNorm_0"][ours], theirs.numpy(), rtol=1e-14, atol=0)


def test_update_bn_averages_batches_for_flax_batchnorm_and_needs_a_batch_size():
    import flax.linen as nn

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x, train: bool = False):
            return nn.BatchNorm(use_running_average=not train)(x)

    x = jnp.arange(24.0).reshape(6, 4)
    v = Net().init(jax.random.key(0), x)
    new = swa.update_bn(x, Net(), v, batch_size=2)
    np.testing.assert_allclose(new["batch_stats"]["BatchNorm_0"]["mean"], x.reshape(3, 2, 4).mean(1).mean(0), rtol=1e-6)
    with pytest.raises(ConfigError, match="update_bn: batch_size must be an integer >= 1 when the data is an array"):
        swa.update_bn(x, Net(), v)
    assert swa.update_bn(x, MLP(hidden=(3,), num_classes=2), {"params": {}}) == {"params": {}}


def test_averaged_weights_callback_averages_the_epochs_from_start(tmp_path):
    import optax

    from jaxdl.callbacks import LambdaCallback
    from jaxdl.train import fit

    ds = data.load("digits")
    cb = swa.AveragedWeights(start_epoch=2)
    seen = []

    def keep(epoch, state):
        if epoch >= 2:
            seen.append(jax.tree.map(np.asarray, state.params))

    model = MLP(hidden=(16,), num_classes=10, batch_norm=True)
    fit(
        model,
        ds,
        optimizer=optax.sgd(0.1),
        epochs=4,
        batch_size=128,
        callbacks=[cb, LambdaCallback(on_state=keep)],
        verbose=0,
    )
    assert int(cb.state.n_averaged) == 3 and len(seen) == 3
    expected = jax.tree.map(
        lambda *ws: ws[0] + (ws[1] - ws[0]) / 2 + (ws[2] - (ws[0] + (ws[1] - ws[0]) / 2)) / 3, *seen
    )
    for a, b in zip(jax.tree.leaves(cb.variables["params"]), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ConfigError, match="no epoch averaged yet"):
        _ = swa.AveragedWeights(start_epoch=5).variables
