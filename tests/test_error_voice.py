"""One voice: every bad argument and every unknown name in the library is one line of one of two forms.

``<where>: <arg> must be <expected>, got <value>`` for a bad argument, and
``[<where>: ]unknown <what> <name> (did you mean <x>?); expected one of <names>`` for a name that
is not known. Each row calls a public entry point with one mistake.
"""

import math
import re
import types

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdl import activations, autograd, callbacks, data, losses, models, optim, plots, schedules, swa, transforms
from jaxdl import predict as jaxdl_predict
from jaxdl.errors import ConfigError, unknown
from jaxdl.models import MLP
from jaxdl.train import fit, fit_many, objective_for

ARGUMENT = re.compile(r"^(?P<where>[\w.\- ]+): (?P<arg>[\w.\[\]'()\-]+) must be (?P<expected>.+), got (?P<value>.+)$")
UNKNOWN = re.compile(
    r"^(?:(?P<where>[\w.\- ]+): )?unknown (?P<what>[\w ]+?) (?P<name>'[^']*'|\S+)"
    r"(?: \(did you mean '[^']*'\?\))?; expected one of (?P<names>.+)$"
)
SGD = optax.sgd(0.1)


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def tiny():
    return data.from_arrays(np.zeros((4, 3)), [0, 1, 2, 1], np.zeros((2, 3)), [0, 2])


SWEEP = types.SimpleNamespace(history={"test_acc": np.zeros((2, 3))}, runs=[{"seed": 0, "lr": 0.1}] * 2)

UNKNOWN_NAMES = {
    "dataset": lambda ds: data.load("digist"),
    "optimizer": lambda ds: optim.by_name("adma"),
    "optimizer argument": lambda ds: optim.by_name("SGD", momentun=0.9),
    "scheduler": lambda ds: schedules.by_name("StepLRR", lr=0.1),
    "scheduler argument": lambda ds: schedules.by_name("StepLR", lr=0.1, step_size=2, gama=0.5),
    "scheduler by resolve": lambda ds: schedules.resolve("cosine"),
    "model": lambda ds: models.build_model("mpl", ds),
    "activation": lambda ds: MLP(activation="rleu"),
    "activation by name": lambda ds: activations.get_activation("sigmod"),
    "loss": lambda ds: objective_for(MLP(), "cross_entropi"),
    "loss at fit": lambda ds: fit(MLP(), ds, optimizer=SGD, epochs=1, batch_size=64, loss="mse_loss"),
    "padding mode": lambda ds: transforms.pad(2, padding_mode="reflet"),
    "flip axis": lambda ds: transforms.random_flip("horizontl"),
    "jacobian strategy": lambda ds: autograd.jacobian(jnp.sin, jnp.ones(2), strategy="forward"),
    "sweep metric": lambda ds: plots.plot_sweep(SWEEP, metric="test_ac"),
    "sweep hyperparameter": lambda ds: plots.plot_sweep(SWEEP, param="momentum"),
    "swept hyperparameter": lambda ds: fit_many(
        MLP(hidden=(8,)), ds, optimizer=lambda lr: optax.sgd(lr), hparams={"lrr": [0.1]}, epochs=1, batch_size=64
    ),
}

BAD_ARGUMENTS = {
    "fit epochs": lambda ds: fit(MLP(), ds, optimizer=SGD, epochs=0, batch_size=64),
    "fit batch size": lambda ds: fit(MLP(), ds, optimizer=SGD, epochs=1, batch_size=5000),
    "fit model class": lambda ds: fit(MLP, ds, optimizer=SGD, epochs=1, batch_size=64),
    "fit data name": lambda ds: fit(MLP(), "digits", optimizer=SGD, epochs=1, batch_size=64),
    "fit optimizer": lambda ds: fit(MLP(), ds, optimizer="sgd", epochs=1, batch_size=64),
    "fit loss of another task": lambda ds: fit(MLP(), ds, optimizer=SGD, epochs=1, batch_size=64, loss="mse"),
    "fit seed": lambda ds: fit(MLP(), ds, optimizer=SGD, epochs=1, batch_size=64, seed=-1),
    "fit validation split twice": lambda ds: fit(
        MLP(), data.split(ds, val=0.1), optimizer=SGD, epochs=1, batch_size=64, validation_split=0.1
    ),
    "fit callbacks": lambda ds: fit(MLP(), ds, optimizer=SGD, epochs=1, batch_size=64, callbacks=[print]),
    "fit verbose": lambda ds: fit(MLP(), ds, optimizer=SGD, epochs=1, batch_size=64, verbose=3),
    "fit_many seeds": lambda ds: fit_many(MLP(), ds, optimizer=SGD, seeds=[], epochs=1, batch_size=64),
    "fit_many hparams": lambda ds: fit_many(
        MLP(), ds, optimizer=lambda lr: optax.sgd(lr), hparams={"lr": []}, epochs=1, batch_size=64
    ),
    "sgd lr": lambda ds: optim.sgd(lr=-0.1),
    "sgd lr below float32": lambda ds: optim.sgd(lr=1e-300),
    "sgd nesterov": lambda ds: optim.sgd(lr=0.1, nesterov=True),
    "adam betas": lambda ds: optim.adam(betas=(0.9,)),
    "adam beta": lambda ds: optim.adam(betas=(0.9, 1.5)),
    "adamw weight decay": lambda ds: optim.adamw(weight_decay=-1.0),
    "adagrad eps": lambda ds: optim.adagrad(eps=math.inf),
    "rmsprop alpha": lambda ds: optim.rmsprop(alpha=-0.5),
    "adadelta rho": lambda ds: optim.adadelta(rho=1.5),
    "adamax eps": lambda ds: optim.adamax(eps=-1.0),
    "nadam momentum decay": lambda ds: optim.nadam(momentum_decay=-1.0),
    "radam lr": lambda ds: optim.radam(lr="fast"),
    "asgd weight decay": lambda ds: optim.asgd(weight_decay=-1.0),
    "rprop etas": lambda ds: optim.rprop(etas=(1.5, 1.2)),
    "adafactor d": lambda ds: optim.adafactor(d=0.5),
    "lbfgs line search": lambda ds: optim.lbfgs(line_search_fn="wolfe"),
    "kernel switch": lambda ds: optim.nadam(foreach="yes"),
    "weight decay without params": lambda ds: optim.adamw().update({"w": jnp.ones(2)}, optim.adamw().init({})),
    "golden section bracket": lambda ds: optim.golden_section(jnp.square, 1.0, 0.0),
    "step_lr gamma": lambda ds: schedules.step_lr(0.1, step_size=2, gamma=0.0),
    "scheduler without a required argument": lambda ds: schedules.by_name("StepLR", lr=0.1),
    "one_cycle_lr length": lambda ds: schedules.one_cycle_lr(0.1),
    "sequential_lr milestones": lambda ds: schedules.sequential_lr([schedules.step_lr(0.1, 2)] * 2, [1, 2]),
    "MLP hidden": lambda ds: MLP(hidden=(16, 0)),
    "MLP dropout": lambda ds: MLP(dropout=1.0),
    "SoftmaxRegression classes": lambda ds: models.SoftmaxRegression(num_classes=1),
    "summary input shape": lambda ds: models.summary(MLP(), "8x8"),
    "normal equations": lambda ds: models.normal_equations(jnp.ones(5), jnp.ones(5)),
    "build_model softmax on regression": lambda ds: models.build_model("softmax", data.load("diabetes")),
    "split val": lambda ds: data.split(ds, val=1.5),
    "from_arrays class names": lambda ds: data.from_arrays(
        np.zeros((4, 3)), [0, 1, 0, 1], np.zeros((2, 3)), [0, 1], num_classes=2, class_names=["a"]
    ),
    "from_csv sep": lambda ds: data.from_csv("any.csv", sep=";;"),
    "standardize targets": lambda ds: data.standardize(tiny(), targets=True),
    "cross entropy smoothing": lambda ds: losses.cross_entropy(jnp.zeros((1, 3)), jnp.array([0]), label_smoothing=2),
    "loss reduction": lambda ds: losses.mse(jnp.zeros(2), jnp.zeros(2), reduction="avg"),
    "random flip p": lambda ds: transforms.random_flip("vertical", p=1.5),
    "resize size": lambda ds: transforms.resize((0, 4)),
    "backward input dtype": lambda ds: autograd.backward(jnp.sum, jnp.arange(3)),
    "derivative input dtype": lambda ds: activations.derivative("relu", jnp.arange(3)),
    "predict output": lambda ds: jaxdl_predict({"params": {}}, MLP(), np.zeros((8, 8, 1)), output="logits"),
    "plot_history history": lambda ds: plots.plot_history(3),
    "averaged_model both functions": lambda ds: swa.averaged_model(
        avg_fn=swa.get_swa_avg_fn(), multi_avg_fn=swa.get_swa_multi_avg_fn()
    ),
    "AveragedWeights averaged": lambda ds: swa.AveragedWeights(averaged=3),
    "EarlyStopping patience": lambda ds: callbacks.EarlyStopping(patience=-1),
    "LossLimit": lambda ds: callbacks.LossLimit(-1.0),
    "CSVLogger path": lambda ds: callbacks.CSVLogger(3),
    "LambdaCallback function": lambda ds: callbacks.LambdaCallback(on_epoch_end=3),
    "one-run callback in a sweep": lambda ds: fit_many(
        MLP(hidden=(8,)),
        ds,
        optimizer=SGD,
        seeds=[0, 1],
        epochs=1,
        batch_size=64,
        callbacks=[callbacks.EarlyStopping()],
    ),
}


def message_of(make, ds) -> str:
    with pytest.raises(ConfigError) as err:
        make(ds)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("case", list(UNKNOWN_NAMES))
def test_an_unknown_name_reads_unknown_what_name_did_you_mean_expected_one_of(case, digits):
    message = message_of(UNKNOWN_NAMES[case], digits)
    assert UNKNOWN.match(message), message


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_a_bad_argument_reads_where_arg_must_be_expected_got_value(case, digits):
    message = message_of(BAD_ARGUMENTS[case], digits)
    assert ARGUMENT.match(message), message


def test_the_two_forms_and_their_examples(digits):
    assert message_of(BAD_ARGUMENTS["fit epochs"], digits) == "fit: epochs must be an integer >= 1, got 0"
    assert message_of(BAD_ARGUMENTS["backward input dtype"], digits) == (
        "backward: x must be floating-point to be differentiated, got dtype int32"
    )
    assert str(unknown("optimizer", "adma", ["SGD", "Adam", "Adamax"])) == (
        "unknown optimizer 'adma' (did you mean 'Adam'?); expected one of SGD, Adam, Adamax"
    )
    assert str(unknown("argument", "zzz", ["lr"], where="StepLR")) == (
        "StepLR: unknown argument 'zzz'; expected one of lr"
    )
    many = unknown("column", "x", [f"pixel{i}" for i in range(30)])
    assert str(many).endswith("pixel19, ... (30 in all)") and UNKNOWN.match(str(many))


def test_the_forms_do_not_match_each_other():
    assert not ARGUMENT.match("unknown dataset 'x'; expected one of digits")
    assert not UNKNOWN.match("fit: epochs must be an integer >= 1, got 0")
