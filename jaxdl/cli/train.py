"""``jaxdl train``: train one model and write metrics.json, curves.png and a checkpoint.

The checkpoint is written as training goes, so a run that is killed, stopped with Ctrl-C
or diverges can be continued with ``jaxdl train --resume DIR`` (see :mod:`jaxdl.cli.resume`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import os
import sys
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from jaxdl import data, models, optim, schedules, transforms
from jaxdl.activations import LAYER_ACTIVATIONS
from jaxdl.cli import args as types
from jaxdl.cli import distributed, keyvalues, resume, rundir, signals
from jaxdl.cli.outputs import write_csv, write_json
from jaxdl.cli.progress import EpochProgress, summary_table
from jaxdl.errors import ConfigError
from jaxdl.parallel import is_main_process
from jaxdl.train import DivergenceError, check_fit_args, fit
from jaxdl.train import lr as lr_plan

if TYPE_CHECKING:
    import flax.linen as nn
    import optax
    from jax.typing import ArrayLike

MODEL_CHOICES = tuple(models.MODELS)
MODEL_OPTIONS = {
    "mlp": ("hidden", "dropout", "batch_norm", "activation"),
    "softmax": (),
    "linear": (),
    "lenet": ("activation",),
}
"""The model options each ``--model`` uses; typing another one is an error, not silence."""
DEFAULT_OUT = os.path.join("runs", "train")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    p = sub.add_parser("train", help="train one model (default: an MLP on the embedded digits, offline)")
    types.track_given(p)
    add_training_args(p)
    add_run_folder_args(p, DEFAULT_OUT, "metrics.json, metrics.csv, curves.png, checkpoint")
    p.add_argument(
        "--resume",
        type=types.existing_dir,
        default=None,
        metavar="DIR",
        help="continue the run in DIR (an earlier --out) from its checkpoint, with its saved settings; "
        "only --epochs (to train longer) and --data-dir may be given anew",
    )
    p.add_argument(
        "--checkpoint-every",
        type=types.positive_int,
        default=None,
        metavar="K",
        help="write the checkpoint every K epochs and at the end (default: about 50 per run)",
    )
    p.add_argument(
        "--val",
        type=types.fraction,
        default=None,
        metavar="FRACTION",
        help="hold out this fraction of the training data for validation (stratified); "
        "the history gains val_loss and val_acc",
    )
    p.add_argument(
        "--early-stopping",
        type=types.positive_int,
        default=None,
        metavar="PATIENCE",
        help="stop when val_loss has not improved for PATIENCE epochs and keep the best epoch's weights (needs --val)",
    )
    p.add_argument(
        "--tensorboard",
        action="store_true",
        help="also write TensorBoard event files into OUT/tensorboard (needs tensorboardX)",
    )
    p.set_defaults(run=run)


def add_run_folder_args(p: argparse.ArgumentParser, default: str, files: str) -> None:
    """``--out`` and ``--overwrite`` (see :mod:`jaxdl.cli.rundir` for the policy)."""
    p.add_argument(
        "--out",
        type=types.writable_dir,
        default=None,
        help=f"folder for {files} (default {default}, or {default}-2, -3, ... when it holds a run); "
        "a folder you name must not hold a run unless you add --overwrite",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (its files are removed before training)",
    )


def add_training_args(p: argparse.ArgumentParser) -> None:
    """Data, model and optimizer arguments shared by ``train`` and ``sweep``."""
    p.add_argument("--dataset", default="digits", help=f"one of {', '.join(data.LOADERS)} (default digits)")
    p.add_argument(
        "--data-dir",
        type=types.existing_dir,
        default=None,
        help="folder with TFDS data or the IDX files (for mnist / fashion_mnist)",
    )
    p.add_argument(
        "--model",
        default="mlp",
        type=types.choice("model", MODEL_CHOICES),
        help=f"one of {', '.join(MODEL_CHOICES)} (default mlp)",
    )
    p.add_argument("--hidden", type=types.int_list, default=(256,), help="hidden widths, e.g. 256 or 256,128")
    p.add_argument("--dropout", type=types.probability, default=0.0, help="dropout probability in [0, 1)")
    p.add_argument("--batch-norm", action="store_true", help="batch norm after each hidden layer (torch convention)")
    p.add_argument("--activation", default="relu", help=f"hidden activation ({', '.join(LAYER_ACTIVATIONS)})")
    p.add_argument("--optimizer", default="sgd", help="torch.optim name: sgd, adam, adamw, rmsprop, adagrad, adadelta")
    p.add_argument(
        "--optimizer-args",
        type=keyvalues.parse,
        default={},
        metavar="K=V,...",
        help="more torch.optim arguments, e.g. momentum=0.9,weight_decay=1e-4",
    )
    p.add_argument("--lr", type=types.positive_float, default=0.1, help="learning rate (default 0.1)")
    p.add_argument(
        "--scheduler",
        default=None,
        help="torch.optim.lr_scheduler name, e.g. StepLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau",
    )
    p.add_argument(
        "--scheduler-args",
        type=keyvalues.parse,
        default={},
        metavar="K=V,...",
        help="its arguments, e.g. T_0=10,T_mult=2 or milestones=[30,60],gamma=0.1 (--lr is its base lr)",
    )
    p.add_argument(
        "--schedule-unit",
        choices=lr_plan.UNITS,
        default="epoch",
        help="step the scheduler once per epoch (torch's usual loop, default) or per optimizer step",
    )
    p.add_argument(
        "--warmup-epochs",
        type=types.nonnegative_int,
        default=0,
        metavar="K",
        help="linear warm-up from lr/3 to lr over the first K epochs (torch's LinearLR), then --scheduler "
        "(ReduceLROnPlateau included) or the constant --lr",
    )
    p.add_argument("--epochs", type=types.positive_int, default=500, help="epochs (default 500)")
    p.add_argument("--batch-size", type=types.positive_int, default=256, help="batch size (default 256)")
    p.add_argument(
        "--seed", type=types.seed, default=0, help="seed for init, shuffling and dropout (0 <= seed < 2**63)"
    )
    distributed.add_arguments(p)


def model_of(args: argparse.Namespace, ds: data.Dataset) -> nn.Module:
    """The model named by ``--model`` for ``ds`` (see :func:`jaxdl.models.build_model`)."""
    return models.build_model(
        args.model, ds, hidden=args.hidden, dropout=args.dropout, batch_norm=args.batch_norm, activation=args.activation
    )


def model_transform(args: argparse.Namespace, ds: data.Dataset) -> transforms.Transform | None:
    """What ``--model`` needs done to ``ds``'s inputs first (see :func:`jaxdl.models.input_transform`)."""
    return models.input_transform(args.model, ds.input_shape)


def scheduler_of(args: argparse.Namespace, lr: ArrayLike) -> schedules.Schedule | schedules.Plateau | None:
    """``--scheduler`` with ``--scheduler-args`` around the base learning rate ``lr`` (a number or an array),
    after ``--warmup-epochs`` of linear warm-up (torch's ``SequentialLR([LinearLR, scheduler])``)."""
    warmup = args.warmup_epochs
    if warmup and args.schedule_unit != "epoch":
        raise ConfigError("--warmup-epochs counts epochs: use it with --schedule-unit epoch.")
    warm = schedules.linear_lr(lr, total_iters=warmup) if warmup else None
    if args.scheduler is None:
        return warm
    torch_name, fn = schedules.resolve(args.scheduler)
    if torch_name in ("SequentialLR", "ChainedScheduler"):
        raise ConfigError(f"--scheduler {torch_name} combines other schedulers: build it in Python (jaxdl.schedules).")
    base = next(iter(inspect.signature(fn).parameters))
    built = schedules.by_name(torch_name, **{base: lr, **args.scheduler_args})
    return built if warm is None else schedules.sequential_lr([warm, built], milestones=[warmup])


def optimizer_kwargs(args: argparse.Namespace, plain: optax.GradientTransformation) -> dict:
    """``fit``'s ``optimizer`` (and ``schedule``) arguments; ``plain`` is the optimizer at the fixed ``--lr``."""
    if args.scheduler is None and not args.warmup_epochs:
        return {"optimizer": plain}
    make = functools.partial(optim.by_name, args.optimizer, **args.optimizer_args)
    return {"optimizer": make, "schedule": scheduler_of(args, args.lr), "schedule_unit": args.schedule_unit}


def config_of(args: argparse.Namespace) -> dict:
    """The run's full configuration as JSON-friendly values."""
    skip = {"run", "command", "no_cache"} | resume.RUN_OPTIONS | distributed.RUN_OPTIONS
    return {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(vars(args).items()) if k not in skip}


def checked_options(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with ``--optimizer-args``/``--scheduler-args`` bound to their functions (booleans converted).

    Raises:
      ConfigError: a key the optimizer or scheduler does not take, a key with its own flag (``lr``),
        a bad boolean, ``--scheduler-args`` without ``--scheduler``, ``--early-stopping`` without
        ``--val``, or a model option the chosen ``--model`` ignores (e.g. ``--hidden`` with ``--model softmax``).
    """
    typed = types.given(args)
    unused = [
        dest
        for dest in ("hidden", "dropout", "batch_norm", "activation")
        if dest in typed and dest not in MODEL_OPTIONS[args.model]
    ]
    if unused:
        takes = ", ".join(resume.flag(d) for d in MODEL_OPTIONS[args.model]) or "none of them"
        raise ConfigError(
            f"--model {args.model} has no {', '.join(resume.flag(d) for d in unused)}: "
            f"leave it out (it takes {takes}), or choose --model mlp."
        )
    if getattr(args, "early_stopping", None) is not None and args.val is None:
        raise ConfigError("--early-stopping watches the validation loss: add --val FRACTION (e.g. --val 0.1).")
    if args.scheduler is None and args.scheduler_args:
        raise ConfigError(
            "--scheduler-args without --scheduler: name the scheduler they are for, "
            "e.g. --scheduler StepLR --scheduler-args step_size=30."
        )
    optim.by_name(args.optimizer)
    bound = dict(vars(args))
    bound["optimizer_args"] = keyvalues.bind(
        "--optimizer-args", args.optimizer_args, getattr(optim, args.optimizer.lower()), own_flags={"lr": "--lr"}
    )
    optim.by_name(args.optimizer, **bound["optimizer_args"])
    if args.scheduler is not None:
        fn = schedules.resolve(args.scheduler)[1]
        base = next(iter(inspect.signature(fn).parameters))
        bound["scheduler_args"] = keyvalues.bind("--scheduler-args", args.scheduler_args, fn, own_flags={base: "--lr"})
    return argparse.Namespace(**bound)


def write_outputs(args: argparse.Namespace, ds: data.Dataset, history: dict[str, list[float]]) -> None:
    """Write metrics.json, metrics.csv, timing.json and curves.png for ``history`` into ``--out`` at once.

    SIGINT and SIGTERM wait until the files are in place (the run has already decided to stop).
    """
    from jaxdl.plots import plot_history

    metrics = {k: v for k, v in history.items() if k != "epoch_time"}
    with signals.held(), rundir.staged(args.out) as stage:
        write_json(os.path.join(stage, "metrics.json"), {"config": config_of(args), "history": metrics})
        write_csv(os.path.join(stage, "metrics.csv"), metrics)
        write_json(os.path.join(stage, "timing.json"), {"epoch_time": history["epoch_time"]})
        plot_history(history, title=f"{args.model} on {ds.name}").savefig(os.path.join(stage, "curves.png"), dpi=100)


def _print_summary(model, ds: data.Dataset, transform: transforms.Transform | None) -> None:
    """The model's layers and parameter counts (``jaxdl.models.summary``) for the inputs it sees, before training."""
    shape = tuple(ds.input_shape)
    if transform is not None:
        sample = jax.ShapeDtypeStruct((1, *shape), jnp.float32)
        shape = jax.eval_shape(lambda x: transform(x, key=None), sample).shape[1:]
    print(models.summary(model, shape), flush=True)


def _extras(args: argparse.Namespace) -> dict:
    """``fit`` arguments for ``--val``, ``--early-stopping`` and ``--tensorboard`` (only those given)."""
    extras: dict = {}
    if args.val is not None:
        extras["validation_split"] = args.val
    if args.early_stopping is not None:
        from jaxdl.callbacks import EarlyStopping

        extras["early_stopping"] = EarlyStopping(monitor="val_loss", patience=args.early_stopping)
    if args.tensorboard:
        from jaxdl.callbacks import TensorBoard

        extras["callbacks"] = [TensorBoard(os.path.join(args.out, "tensorboard"))]
    return extras


def run(args: argparse.Namespace) -> int:
    """Train with a checkpoint every few epochs, then write the outputs into the run folder at once.

    Returns 0, or 1 when training diverged, 130 on Ctrl-C and 143 on SIGTERM (outputs written for
    the epochs in the checkpoint). On several devices or hosts (see :mod:`jaxdl.cli.distributed`)
    every process trains its part; process 0 holds the run folder and writes into it.
    """
    with signals.terminate_as_interrupt():
        try:
            return _run(args)
        except signals.Terminated:
            print("jaxdl train: terminated (SIGTERM) before any output was written.", file=sys.stderr)
            return signals.EXIT_TERMINATED


def _run(args: argparse.Namespace) -> int:
    mesh = distributed.setup(args)
    saved = None
    if args.resume is not None:
        if args.overwrite:
            raise ConfigError(
                f"--resume {args.resume!r} continues that run and --overwrite would delete it: give one of them."
            )
        saved = resume.load_saved(args.resume)
        args = resume.resumed_args(args, saved, args.resume)
    args = checked_options(args)
    ds = data.load(args.dataset, data_dir=args.data_dir, seed=args.seed)
    model = model_of(args, ds)
    plain = optim.by_name(args.optimizer, lr=args.lr, **args.optimizer_args)
    check_fit_args(model, ds, optimizer=plain, epochs=args.epochs, batch_size=args.batch_size)
    optimizer = optimizer_kwargs(args, plain)
    transform = model_transform(args, ds)
    every = resume.checkpoint_every(args.epochs, args.checkpoint_every)
    placed = distributed.place(ds, mesh, args, batch_size=args.batch_size)
    main = is_main_process()
    claim = (
        rundir.claim(args.out, kind="train", default=DEFAULT_OUT, overwrite=args.overwrite, resume=saved is not None)
        if main
        else contextlib.nullcontext(args.out)
    )
    with claim as out:
        args = argparse.Namespace(**{**vars(args), "out": out})
        if main and args.overwrite:
            rundir.clear_old_run(out)
        extras = _extras(args)
        if main:
            print(f"jaxdl train: run folder {out}", flush=True)
            if args.scheduler is not None and schedules.resolve(args.scheduler)[0] == "ReduceLROnPlateau":
                watched = (
                    "val_loss (the --val split)"
                    if args.val is not None
                    else "test_loss (add --val 0.1 to watch a validation split instead)"
                )
                print(f"jaxdl train: ReduceLROnPlateau watches {watched}", flush=True)
            _print_summary(model, ds, transform)
        folder = resume.RunFolder(
            out, config_of(args), epochs=args.epochs, every=every, history=None if saved is None else saved.history
        )
        first = 1 if saved is None else saved.epochs_done + 1
        bar = EpochProgress(args.epochs, f"{args.model} on {ds.name}", first_epoch=first)
        callbacks = [bar, *extras.pop("callbacks", ())]
        try:
            with bar:
                result = fit(
                    model,
                    placed,
                    **optimizer,
                    **extras,
                    epochs=args.epochs,
                    batch_size=args.batch_size,
                    seed=args.seed,
                    callbacks=callbacks,
                    progress=False,
                    transform=transform,
                    initial=saved,
                    max_loss=resume.max_loss_for(ds),
                    on_epoch_end=folder.save_epoch if main else None,
                    mesh=mesh,
                )
        except DivergenceError as err:
            print(f"jaxdl train: error: {resume.divergence_message(err, folder)}", file=sys.stderr)
            return 1
        except KeyboardInterrupt as stop:
            with signals.held():
                if main and folder.history is not None:
                    write_outputs(args, ds, folder.history)
                print(f"jaxdl train: {resume.interrupted_message(folder, out, stop)}", file=sys.stderr)
            return signals.exit_code(stop)
        if not main:
            return 0
        if getattr(result, "stopped_epoch", None) is not None:
            folder.save_final(result)
        write_outputs(args, ds, result.history)
    _print_result(args, ds, result)
    return 0


def _print_result(args: argparse.Namespace, ds: data.Dataset, result) -> None:
    """The final summary table, on stdout."""
    history = {k: v for k, v in result.history.items() if k != "epoch_time"}
    times = result.history["epoch_time"]
    rows = [(k, f"{v[-1]:.4f}") for k, v in history.items()]
    if getattr(result, "stopped_epoch", None) is not None:
        rows.append(("early stop", f"epoch {result.stopped_epoch}, best epoch {result.best_epoch} kept"))
    rows.append(("compile + first epoch (s)", f"{times[0]:.2f}"))
    if len(times) > 1:
        rows.append(("steady epoch, median (s)", f"{sorted(times[1:])[len(times[1:]) // 2]:.4f}"))
    rows.append(("outputs", args.out))
    summary_table(f"jaxdl train: {args.model} on {ds.name}, {args.epochs} epochs", rows)
