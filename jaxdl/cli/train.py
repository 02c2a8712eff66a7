"""``jaxdl train``: train one model and write metrics.json, curves.png and a checkpoint.

The checkpoint is written as training goes, so a run that is killed, stopped with Ctrl-C
or diverges can be continued with ``jaxdl train --resume DIR`` (see :mod:`jaxdl.cli.resume`).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import sys

from jaxdl import data, models, optim, schedules, transforms
from jaxdl.activations import LAYER_ACTIVATIONS
from jaxdl.cli import args as types
from jaxdl.cli import distributed
from jaxdl.cli import resume
from jaxdl.cli.outputs import staged_output, write_json
from jaxdl.cli.progress import epoch_bar, summary_table
from jaxdl.errors import ConfigError
from jaxdl.parallel import is_main_process
from jaxdl.plots import plot_history
from jaxdl.train import DivergenceError, check_fit_args, fit
from jaxdl.train import lr as lr_plan

MODEL_CHOICES = tuple(models.MODELS)
LENET_SIDE = 28


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    p = sub.add_parser("train", help="train one model (default: an MLP on the embedded digits, offline)")
    types.track_given(p)
    add_training_args(p)
    p.add_argument("--out", type=types.writable_dir, default="runs/train",
                   help="folder for metrics.json, curves.png, checkpoint (default runs/train)")
    p.add_argument("--resume", type=types.existing_dir, default=None, metavar="DIR",
                   help="continue the run in DIR (an earlier --out) from its checkpoint, with its saved settings; "
                        "only --epochs (to train longer) and --data-dir may be given anew")
    p.add_argument("--checkpoint-every", type=types.positive_int, default=None, metavar="K",
                   help="write the checkpoint every K epochs and at the end (default: about 50 per run)")
    p.set_defaults(run=run)


def add_training_args(p: argparse.ArgumentParser) -> None:
    """Data, model and optimizer arguments shared by ``train`` and ``sweep``."""
    p.add_argument("--dataset", default="digits", help=f"one of {', '.join(data.LOADERS)} (default digits)")
    p.add_argument("--data-dir", type=types.existing_dir, default=None,
                   help="folder with TFDS data or the IDX files (for mnist / fashion_mnist)")
    p.add_argument("--model", default="mlp", type=types.choice("model", MODEL_CHOICES),
                   help=f"one of {', '.join(MODEL_CHOICES)} (default mlp)")
    p.add_argument("--hidden", type=types.int_list, default=(256,), help="hidden widths, e.g. 256 or 256,128")
    p.add_argument("--dropout", type=types.probability, default=0.0, help="dropout probability in [0, 1)")
    p.add_argument("--batch-norm", action="store_true", help="batch norm after each hidden layer (torch convention)")
    p.add_argument("--activation", default="relu", help=f"hidden activation ({', '.join(LAYER_ACTIVATIONS)})")
    p.add_argument("--optimizer", default="sgd", help="torch.optim name: sgd, adam, adamw, rmsprop, adagrad, adadelta")
    p.add_argument("--optimizer-args", type=types.key_values, default={}, metavar="K=V,...",
                   help="more torch.optim arguments, e.g. momentum=0.9,weight_decay=1e-4")
    p.add_argument("--lr", type=types.positive_float, default=0.1, help="learning rate (default 0.1)")
    p.add_argument("--scheduler", default=None,
                   help="torch.optim.lr_scheduler name, e.g. StepLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau")
    p.add_argument("--scheduler-args", type=types.key_values, default={}, metavar="K=V,...",
                   help="its arguments, e.g. T_0=10,T_mult=2 or milestones=[30,60],gamma=0.1 (--lr is its base lr)")
    p.add_argument("--schedule-unit", choices=lr_plan.UNITS, default="epoch",
                   help="step the scheduler once per epoch (torch's usual loop, default) or per optimizer step")
    p.add_argument("--epochs", type=types.positive_int, default=500, help="epochs (default 500)")
    p.add_argument("--batch-size", type=types.positive_int, default=256, help="batch size (default 256)")
    p.add_argument("--seed", type=types.nonnegative_int, default=0, help="seed for init, shuffling and dropout")
    distributed.add_arguments(p)


def model_of(args: argparse.Namespace, ds: data.Dataset):
    """The model named by ``--model`` for ``ds`` (see :func:`jaxdl.models.build_model`)."""
    return models.build_model(args.model, ds, hidden=args.hidden, dropout=args.dropout, batch_norm=args.batch_norm,
                              activation=args.activation)


def model_transform(args: argparse.Namespace, ds: data.Dataset) -> transforms.Transform | None:
    """LeNet sees 28×28 images: smaller or larger ones (digits are 8×8) are resized on the device."""
    if args.model == "lenet" and ds.input_shape[:2] != (LENET_SIDE, LENET_SIDE):
        return transforms.resize(LENET_SIDE)
    return None


def scheduler_of(args: argparse.Namespace, lr) -> schedules.Schedule | schedules.Plateau:
    """``--scheduler`` with ``--scheduler-args`` around the base learning rate ``lr`` (a number or an array)."""
    torch_name, fn = schedules.resolve(args.scheduler)
    if torch_name in ("SequentialLR", "ChainedScheduler"):
        raise ConfigError(f"--scheduler {torch_name} combines other schedulers: build it in Python (jaxdl.schedules).")
    base = next(iter(inspect.signature(fn).parameters))
    return schedules.by_name(torch_name, **{base: lr, **args.scheduler_args})


def optimizer_kwargs(args: argparse.Namespace, plain) -> dict:
    """``fit``'s ``optimizer`` (and ``schedule``) arguments; ``plain`` is the optimizer at the fixed ``--lr``."""
    if args.scheduler is None:
        return {"optimizer": plain}
    make = functools.partial(optim.by_name, args.optimizer, **args.optimizer_args)
    return {"optimizer": make, "schedule": scheduler_of(args, args.lr), "schedule_unit": args.schedule_unit}


def config_of(args: argparse.Namespace) -> dict:
    """The run's full configuration as JSON-friendly values."""
    skip = {"run", "command"} | resume.RUN_OPTIONS | distributed.RUN_OPTIONS
    return {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(vars(args).items()) if k not in skip}


def write_outputs(args: argparse.Namespace, ds: data.Dataset, history: dict[str, list[float]]) -> None:
    """Write metrics.json, timing.json and curves.png for ``history`` into ``--out`` at once."""
    metrics = {k: v for k, v in history.items() if k != "epoch_time"}
    with staged_output(args.out) as stage:
        write_json(os.path.join(stage, "metrics.json"), {"config": config_of(args), "history": metrics})
        write_json(os.path.join(stage, "timing.json"), {"epoch_time": history["epoch_time"]})
        plot_history(history, title=f"{args.model} on {ds.name}").savefig(os.path.join(stage, "curves.png"), dpi=100)


def run(args: argparse.Namespace) -> int:
    """Train with a checkpoint every few epochs, then write the outputs into ``--out`` at once.

    Returns 0, or 1 when training diverged, 130 on Ctrl-C (outputs written for the epochs
    in the checkpoint). On several devices or hosts (see :mod:`jaxdl.cli.distributed`) every
    process trains its part; process 0 writes the checkpoint and the outputs.
    """
    mesh = distributed.setup(args)
    saved = None
    if args.resume is not None:
        saved = resume.load_saved(args.resume)
        args = resume.resumed_args(args, saved, args.resume)
    ds = data.load(args.dataset, data_dir=args.data_dir, seed=args.seed)
    model = model_of(args, ds)
    plain = optim.by_name(args.optimizer, lr=args.lr, **args.optimizer_args)
    check_fit_args(model, ds, optimizer=plain, epochs=args.epochs, batch_size=args.batch_size)
    optimizer = optimizer_kwargs(args, plain)
    transform = model_transform(args, ds)
    every = resume.checkpoint_every(args.epochs, args.checkpoint_every)
    folder = resume.RunFolder(args.out, config_of(args), epochs=args.epochs, every=every,
                              history=None if saved is None else saved.history)
    placed = distributed.place(ds, mesh, args, batch_size=args.batch_size)
    try:
        with epoch_bar(args.epochs, f"{args.model} on {ds.name}") as callback:
            result = fit(model, placed, **optimizer, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                         callback=callback, transform=transform, initial=saved, max_loss=resume.max_loss_for(ds),
                         on_epoch_end=folder.save_epoch if is_main_process() else None, mesh=mesh)
    except DivergenceError as err:
        print(f"jaxdl train: error: {resume.divergence_message(err, folder)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if folder.history is not None:
            write_outputs(args, ds, folder.history)
        print(f"jaxdl train: {resume.interrupted_message(folder, args.out)}", file=sys.stderr)
        return 130
    if not is_main_process():
        return 0
    write_outputs(args, ds, result.history)
    history = {k: v for k, v in result.history.items() if k != "epoch_time"}
    times = result.history["epoch_time"]
    rows = [(k, f"{v[-1]:.4f}") for k, v in history.items()]
    rows.append(("compile + first epoch (s)", f"{times[0]:.2f}"))
    if len(times) > 1:
        rows.append(("steady epoch, median (s)", f"{sorted(times[1:])[len(times[1:]) // 2]:.4f}"))
    rows.append(("outputs", args.out))
    summary_table(f"jaxdl train: {args.model} on {ds.name}, {args.epochs} epochs", rows)
    return 0
