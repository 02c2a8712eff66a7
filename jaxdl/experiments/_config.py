"""The jobs of the ``jaxdl`` command as typed configs: one frozen dataclass per job, one field per option.

A field's metadata says what its option needs: ``help``, and where it has them ``parse`` (the text reader),
``metavar``, ``choices``, ``nargs`` and ``group``. ``saved`` fields are the run's settings, kept in metrics.json and the
checkpoint; the others say how to run it. ``may_change`` fields may differ when a run is resumed.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar

from jaxdl import _readers as read
from jaxdl import data, models, optim, schedules
from jaxdl._install import pip_install
from jaxdl.activations import LAYER_ACTIVATIONS
from jaxdl.errors import ConfigError
from jaxdl.experiments import _keyvalues

DEVICES = "devices and hosts (see docs/scale.md)"
"""The option group of the device and multi-host options."""


def option(
    default: Any,
    help: str,
    *,
    parse: Callable[[str], Any] | None = None,
    metavar: str | tuple[str, ...] | None = None,
    choices: tuple[str, ...] | None = None,
    nargs: str | None = None,
    group: str | None = None,
    saved: bool = True,
    may_change: bool = False,
) -> Any:
    """A config field with its option: ``jaxdl`` generates ``--name`` from ``help``, ``parse``, ... (a ``{}``
    default is a new dict per config)."""
    metadata = {
        "help": help,
        "parse": parse,
        "metavar": metavar,
        "choices": choices,
        "nargs": nargs,
        "group": group,
        "saved": saved,
        "may_change": may_change,
    }
    if isinstance(default, dict):
        return dataclasses.field(default_factory=dict, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def same_option(config: type, name: str) -> Any:
    """A new field with the default and option of ``config``'s field ``name``: an option shared by composition."""
    field = next(f for f in dataclasses.fields(config) if f.name == name)
    return dataclasses.field(default=field.default, metadata=field.metadata)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _as_json(value: Any) -> Any:
    return list(value) if isinstance(value, (tuple, list)) else value


def saved_fields(config: Any) -> dict[str, Any]:
    """The ``saved`` fields of a config instance as JSON values, sorted by name."""
    fields = sorted(dataclasses.fields(config), key=lambda f: f.name)
    return {f.name: _as_json(getattr(config, f.name)) for f in fields if f.metadata.get("saved")}


def changed_fields(config: Any) -> set[str]:
    """The fields of a config instance that differ from their defaults."""
    defaults = type(config)()
    return {f.name for f in dataclasses.fields(config) if getattr(config, f.name) != getattr(defaults, f.name)}


_MODEL_OPTIONS = tuple(
    p.name for p in inspect.signature(models.build_model).parameters.values() if p.kind is p.KEYWORD_ONLY
)


def _model_options(name: str) -> tuple[str, ...]:
    """The options the model called ``name`` takes (its builder's keywords); all of them for an unknown name."""
    if name not in models.MODELS:
        return _MODEL_OPTIONS
    parameters = inspect.signature(models.MODELS[name]).parameters.values()
    return tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)


def check_optimizer_flag(name: str) -> None:
    """Raise unless ``--optimizer name`` names an optimizer that trains in mini-batches (not LBFGS)."""
    optim.by_name(name)
    if name.lower() == "lbfgs":
        raise ConfigError(
            "--optimizer LBFGS is a full-batch solver that re-evaluates the loss, which training in "
            "mini-batches does not do: use jaxdl.optim.lbfgs from Python (docs/optim.md), or another optimizer."
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """What ``jaxdl train`` trains and how: one field per option (``batch_size`` is ``--batch-size``).

    ``TrainConfig()`` is the default run: an MLP 64-256-10 on the digits, SGD lr 0.1, batch 256, 500
    epochs. Change fields with ``dataclasses.replace``; :meth:`checked` validates them and errors name a
    field by its option. The fields from ``checkpoint_every`` on say how to run (checkpoints, logs, devices
    and hosts, see docs/scale.md) and are not saved with the run; ``epochs`` and ``data_dir`` may change when
    it is resumed.

    >>> TrainConfig(hidden=(32,), epochs=5).to_dict()["hidden"]
    [32]
    """

    default_out: ClassVar[str] = os.path.join("runs", "train")

    dataset: str = option("digits", f"one of {', '.join(data.LOADERS)} (default digits)")
    data_dir: str | None = option(
        None,
        "folder with TFDS data or the IDX files (for mnist / fashion_mnist)",
        parse=read.existing_dir,
        may_change=True,
    )
    model: str = option(
        "mlp", f"one of {', '.join(models.MODELS)} (default mlp)", parse=read.choice("model", tuple(models.MODELS))
    )
    hidden: tuple[int, ...] = option((256,), "hidden widths, e.g. 256 or 256,128", parse=read.int_list)
    dropout: float = option(0.0, "dropout probability in [0, 1)", parse=read.probability)
    batch_norm: bool = option(False, "batch norm after each hidden layer (torch convention)")
    activation: str = option("relu", f"hidden activation ({', '.join(LAYER_ACTIVATIONS)})")
    optimizer: str = option(
        "sgd",
        "torch.optim class name, any case: SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, NAdam, RAdam, "
        "ASGD, Rprop, Adafactor (default sgd)",
    )
    optimizer_args: Mapping[str, Any] = option(
        {},
        "more torch.optim arguments, e.g. momentum=0.9,weight_decay=1e-4",
        parse=_keyvalues.parse,
        metavar="K=V,...",
    )
    lr: float = option(0.1, "learning rate (default 0.1)", parse=read.positive_float)
    scheduler: str | None = option(
        None, "torch.optim.lr_scheduler name, e.g. StepLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau"
    )
    scheduler_args: Mapping[str, Any] = option(
        {},
        "its arguments, e.g. T_0=10,T_mult=2 or milestones=[30,60],gamma=0.1 (--lr is its base lr)",
        parse=_keyvalues.parse,
        metavar="K=V,...",
    )
    schedule_unit: str = option(
        "epoch",
        "step the scheduler once per epoch (torch's usual loop, default) or per optimizer step",
        choices=("epoch", "step"),
    )
    warmup_epochs: int = option(
        0,
        "linear warm-up from lr/3 to lr over the first K epochs (torch's LinearLR), then --scheduler "
        "(ReduceLROnPlateau included) or the constant --lr",
        parse=read.nonnegative_int,
        metavar="K",
    )
    epochs: int = option(500, "epochs (default 500)", parse=read.positive_int, may_change=True)
    batch_size: int = option(256, "batch size (default 256)", parse=read.positive_int)
    seed: int = option(0, "seed for init, shuffling and dropout (0 <= seed < 2**63)", parse=read.seed)
    val: float | None = option(
        None,
        "hold out this fraction of the training data for validation (stratified); "
        "the history gains val_loss and val_acc",
        parse=read.fraction,
        metavar="FRACTION",
    )
    early_stopping: int | None = option(
        None,
        "stop when val_loss has not improved for PATIENCE epochs and keep the best epoch's weights (needs --val)",
        parse=read.positive_int,
        metavar="PATIENCE",
    )
    checkpoint_every: int | None = option(
        None,
        "write the checkpoint every K epochs and at the end (default: once a minute, and at the end)",
        parse=read.positive_int,
        metavar="K",
        saved=False,
    )
    tensorboard: bool = option(
        False,
        f"also write TensorBoard event files into OUT/tensorboard (needs tensorboardX: {pip_install('tensorboard')})",
        saved=False,
    )
    devices: int | None = option(
        None,
        "train on a mesh of the first N devices (default: all visible; with 1 nothing changes)",
        parse=read.positive_int,
        metavar="N",
        group=DEVICES,
        saved=False,
    )
    shard_data: bool = option(
        False,
        "split the dataset's rows over the devices instead of copying it to each (memory / N; sizes must divide "
        "by N; same results)",
        group=DEVICES,
        saved=False,
    )
    distributed: bool = option(
        False,
        "one process per host: join the others with jax.distributed.initialize (SLURM, Open MPI and Cloud TPU "
        "pods are detected; else give the three options below)",
        group=DEVICES,
        saved=False,
    )
    coordinator_address: str | None = option(
        None,
        "process 0's address and a free port (or JAX_COORDINATOR_ADDRESS)",
        metavar="HOST:PORT",
        group=DEVICES,
        saved=False,
    )
    num_processes: int | None = option(
        None, "number of processes in the run", parse=read.positive_int, metavar="P", group=DEVICES, saved=False
    )
    process_id: int | None = option(
        None, "this process's index, 0 to P - 1", parse=read.nonnegative_int, metavar="I", group=DEVICES, saved=False
    )

    def to_dict(self) -> dict[str, Any]:
        """The saved fields as JSON values, sorted by name: the ``config`` of metrics.json and the checkpoint."""
        return saved_fields(self)

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any]) -> TrainConfig:
        """The config of a saved run (e.g. ``jaxdl.checkpoint.load_run(path).config``); keys it lacks keep defaults."""
        names = {f.name for f in dataclasses.fields(cls) if f.metadata.get("saved")}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in saved.items() if k in names}
        return cls(**values)

    def checked(self, given: Collection[str] | None = None) -> TrainConfig:
        """This config validated, with ``optimizer_args`` and ``scheduler_args`` bound (booleans converted).

        Args:
          given: the fields set on purpose (``jaxdl train``: the options typed); default: those that differ
            from their defaults.

        Raises:
          ConfigError: a model option the model ignores (``hidden`` for softmax), ``early_stopping`` without
            ``val``, ``scheduler_args`` without ``scheduler``, warm-up with per-step scheduling, a combining
            scheduler, an unknown optimizer or scheduler, LBFGS (full-batch), or arguments they do not take.
        """
        given = changed_fields(self) if given is None else set(given)
        takes = _model_options(self.model)
        unused = [name for name in _MODEL_OPTIONS if name in given and name not in takes]
        if unused:
            raise ConfigError(
                f"--model {self.model} has no {', '.join(map(_flag, unused))}: "
                f"leave it out (it takes {', '.join(map(_flag, takes)) or 'none of them'}), or choose --model mlp."
            )
        if self.early_stopping is not None and self.val is None:
            raise ConfigError("--early-stopping watches the validation loss: add --val FRACTION (e.g. --val 0.1).")
        if self.scheduler is None and self.scheduler_args:
            raise ConfigError(
                "--scheduler-args without --scheduler: name the scheduler they are for, "
                "e.g. --scheduler StepLR --scheduler-args step_size=30."
            )
        if self.warmup_epochs and self.schedule_unit != "epoch":
            raise ConfigError("--warmup-epochs counts epochs: use it with --schedule-unit epoch.")
        if self.warmup_epochs >= 2**31:
            raise ConfigError(
                f"--warmup-epochs must be below 2**31 (schedules count epochs in int32), got {self.warmup_epochs}."
            )
        check_optimizer_flag(self.optimizer)
        optimizer_args = _keyvalues.bind(
            "--optimizer-args", self.optimizer_args, getattr(optim, self.optimizer.lower()), own_flags={"lr": "--lr"}
        )
        optim.by_name(self.optimizer, **optimizer_args)
        scheduler_args = self.scheduler_args
        if self.scheduler is not None:
            torch_name, fn = schedules.resolve(self.scheduler)
            if torch_name in ("SequentialLR", "ChainedScheduler"):
                raise ConfigError(
                    f"--scheduler {torch_name} combines other schedulers: build it in Python (jaxdl.schedules)."
                )
            example = {"LambdaLR": "0.95 ** epoch", "MultiplicativeLR": "0.95"}.get(torch_name)
            if example is not None:
                raise ConfigError(
                    f"--scheduler {torch_name} takes a Python function (lr_lambda): build it in Python "
                    f"(jaxdl.schedules), or draw one with jaxdl schedules {torch_name} --lr_lambda '{example}'."
                )
            base = next(iter(inspect.signature(fn).parameters))
            scheduler_args = _keyvalues.bind("--scheduler-args", scheduler_args, fn, own_flags={base: "--lr"})
            _check_required(torch_name, {base, *scheduler_args})
        checked = dataclasses.replace(self, optimizer_args=optimizer_args, scheduler_args=scheduler_args)
        if checked.cycles_momentum() and not optim.takes_cycled_momentum(self.optimizer):
            raise ConfigError(
                f"--scheduler {schedules.resolve(self.scheduler or '')[0]} cycles the optimizer's momentum "
                f"(cycle_momentum=True), which --optimizer {self.optimizer} does not have: add --scheduler-args "
                "cycle_momentum=False, or use --optimizer SGD, RMSprop or an Adam-family one (torch refuses this too)."
            )
        return checked

    def numeric_arguments(self) -> tuple[list[str], list[str]]:
        """The numeric arguments of the optimizer (but ``lr``), which a sweep may vary, and of the scheduler (but
        its base), which it may not: schedulers check them as Python numbers."""

        def numeric(parameters: list[inspect.Parameter]) -> list[str]:
            return [p.name for p in parameters if type(p.default) in (int, float)]

        optimizer = inspect.signature(getattr(optim, self.optimizer.lower())).parameters.values()
        names = numeric([p for p in optimizer if p.name != "lr"])
        if self.scheduler is None:
            return names, []
        return names, numeric(list(inspect.signature(schedules.resolve(self.scheduler)[1]).parameters.values())[1:])

    def cycles_momentum(self) -> bool:
        """Whether the scheduler sets the optimizer's momentum (or ``beta1``) at every step, as ``CyclicLR`` and
        ``OneCycleLR`` do unless given ``cycle_momentum=False``."""
        if self.scheduler is None:
            return False
        switch = inspect.signature(schedules.resolve(self.scheduler)[1]).parameters.get("cycle_momentum")
        return switch is not None and bool(self.scheduler_args.get("cycle_momentum", switch.default))

    def build_model(self, ds: data.Dataset) -> Any:
        """The ``flax.linen`` model named by ``model``, with its options, for ``ds`` (see
        :func:`jaxdl.models.build_model`)."""
        options = {name: getattr(self, name) for name in _MODEL_OPTIONS}
        return models.build_model(self.model, ds, **options)

    def build_schedule(self, lr: Any) -> schedules.Schedule | schedules.PerStep | schedules.Plateau | None:
        """``scheduler`` with ``scheduler_args`` around the base rate ``lr`` (a number or an array), after
        ``warmup_epochs`` of linear warm-up (torch's ``SequentialLR([LinearLR, scheduler])``), wrapped in
        :func:`~jaxdl.schedules.per_step` for ``schedule_unit="step"``; None for a constant rate."""
        warmup = self.warmup_epochs
        warm = schedules.linear_lr(lr, total_iters=warmup) if warmup else None
        if self.scheduler is None:
            return warm
        torch_name, fn = schedules.resolve(self.scheduler)
        base = next(iter(inspect.signature(fn).parameters))
        built = schedules.by_name(torch_name, **{base: lr, **self.scheduler_args})
        if warm is not None:
            return schedules.sequential_lr([warm, built], milestones=[warmup])
        if self.schedule_unit == "step" and isinstance(built, schedules.Schedule):
            return schedules.per_step(built)
        return built


def _check_required(torch_name: str, given: set[str]) -> None:
    """Raise unless ``given`` (the base rate and ``--scheduler-args``' keys) names only arguments the scheduler takes
    and every one PyTorch requires."""
    missing = schedules.missing_arguments(torch_name, given)
    if missing:
        raise ConfigError(
            f"--scheduler {torch_name} needs {missing[0]} (torch's has no default): add --scheduler-args "
            f"{missing[0]}=..."
        )
    if torch_name == "OneCycleLR" and "total_steps" not in given and not {"epochs", "steps_per_epoch"} <= set(given):
        raise ConfigError(
            "--scheduler OneCycleLR needs the length of its cycle: add --scheduler-args total_steps=N, N the "
            "scheduler's steps in the run (--epochs, or --epochs times the batches per epoch with --schedule-unit "
            "step)."
        )
