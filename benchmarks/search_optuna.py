"""A 64-setting random search with successive halving: `fit_many` (one vmapped program per rung) against Optuna
driving sequential PyTorch trials with its SuccessiveHalvingPruner, on the same settings and budget.

Both search an MLP 64-256-10 (ReLU, torch's init) trained with torch.optim.SGD(lr, momentum, weight_decay),
batch 64, on the same split of a dataset (digits by default: 20% of the training part held out for
validation, stratified, seed 0). The settings are drawn once by `jaxdl.train.search_space` (lr log-uniform
1e-4..1, momentum uniform 0..0.99, weight_decay log-uniform 1e-6..1e-2, seed 0) and Optuna gets the same ones
in the same order (`study.enqueue_trial`). Rungs at 1, 3, 9, 27 epochs, reduction factor 3: jaxdl keeps the
best third of all runs at each rung (synchronous), Optuna prunes a trial that is not in the best third of the
trials that reached that rung before it (asynchronous, its pruner's rule). Both rank on the validation
accuracy of the last epoch trained and report the chosen run's test accuracy (jaxdl evaluates the test set
every epoch for every run as `fit_many` does; Optuna's trials only once, at their end).

Each contestant runs in its own process, timed around the search only (data loaded, imports done): jaxdl with an empty
compilation cache (a first search) and then again with that cache (the next search), Optuna + PyTorch at 1 thread. The
jaxdl process also repeats its search once its programs are in memory: the training without tracing, compiling or
loading. --repeats rounds alternate the contestants, calibrated before each round and after each contestant
(jaxdl.bench.Calibration); medians are of the rounds whose every reading is within 20% of the quietest (that of this
run or --quiet-calibration, the idle machine's). Prints a markdown table; writes it with every round's numbers to
--out (default benchmarks/results/search_optuna-<dataset>-<date>.json).

    pip install optuna torch
    python benchmarks/search_optuna.py                                # digits
    python benchmarks/search_optuna.py --dataset fashion_mnist --data-dir ~/data --batch-size 256
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
HIDDEN = 256


def _data(args):
    from jaxdl import data

    return data.split(data.load(args.dataset, data_dir=args.data_dir, seed=0), val=0.2, seed=0)


def _space(args) -> list[dict[str, float]]:
    from jaxdl.train import LogUniform, Uniform, search_space

    ranges = {"lr": LogUniform(1e-4, 1.0), "momentum": Uniform(0.0, 0.99), "weight_decay": LogUniform(1e-6, 1e-2)}
    return search_space(random=ranges, samples=args.trials, seed=0)


def _sgd(lr, momentum, weight_decay):
    from jaxdl import optim

    return optim.sgd(lr=lr, momentum=momentum, weight_decay=weight_decay)


def run_jaxdl(args) -> dict:
    """The search as one `fit_many` with successive halving; seconds, best setting, its val and test accuracy.

    The same search runs a second time in the same process (`repeat_seconds`): its programs are then in memory,
    so that time is the training itself with the loop around it, without tracing, compiling or loading.
    """
    from jaxdl import compilation_cache, models
    from jaxdl.train import SuccessiveHalving, fit_many

    compilation_cache.enable_default()
    ds, space = _data(args), _space(args)
    model = models.MLP(hidden=(HIDDEN,), num_classes=ds.num_classes)

    def search():
        start = time.perf_counter()
        result = fit_many(
            model,
            ds,
            optimizer=_sgd,
            hparams=space,
            epochs=args.epochs,
            batch_size=args.batch_size,
            halving=SuccessiveHalving(eta=args.eta),
            verbose=0,
        )
        best = result.best("val_acc")
        return time.perf_counter() - start, result, best

    seconds, result, best = search()
    repeat_seconds = search()[0]
    return {
        "seconds": seconds,
        "repeat_seconds": repeat_seconds,
        "best": {k: best[k] for k in space[0]},
        "val_acc": best["val_acc"],
        "test_acc": float(result.final("test_acc")[best["index"]]),
        "run_epochs": int(result.epochs.sum()),
    }


def run_optuna(args) -> dict:
    """Optuna's study over the same settings: one PyTorch trial after another, pruned by SuccessiveHalvingPruner."""
    import optuna
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ds, space = _data(args), _space(args)
    num_classes = ds.num_classes
    assert num_classes is not None  # the search's datasets are classification sets

    def tensors(split):
        X, y = split
        return torch.tensor(np.asarray(X).reshape(len(X), -1)), torch.tensor(np.asarray(y), dtype=torch.long)

    (X, y), (X_val, y_val), (X_test, y_test) = tensors(ds.train), tensors(ds.val), tensors(ds.test)

    def accuracy(model, X, y) -> float:
        with torch.no_grad():
            return float((model(X).argmax(1) == y).float().mean())

    def objective(trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        momentum = trial.suggest_float("momentum", 0.0, 0.99)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        torch.manual_seed(trial.number)
        model = nn.Sequential(nn.Linear(X.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, num_classes))
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
        loss_fn = nn.CrossEntropyLoss()
        val = 0.0
        for epoch in range(1, args.epochs + 1):
            for batch in torch.randperm(len(X)).split(args.batch_size):
                opt.zero_grad()
                loss_fn(model(X[batch]), y[batch]).backward()
                opt.step()
            val = accuracy(model, X_val, y_val)
            trial.report(val, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        trial.set_user_attr("test_acc", accuracy(model, X_test, y_test))
        trial.set_user_attr("epochs", args.epochs)
        return val

    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=args.eta)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0), pruner=pruner)
    for setting in space:
        study.enqueue_trial(setting)
    start = time.perf_counter()
    study.optimize(objective, n_trials=len(space))
    seconds = time.perf_counter() - start
    best = study.best_trial
    run_epochs = sum(len(t.intermediate_values) for t in study.trials)
    return {
        "seconds": seconds,
        "best": dict(best.params),
        "val_acc": float(best.values[0]),
        "test_acc": float(best.user_attrs["test_acc"]),
        "run_epochs": run_epochs,
    }


def _child(args) -> None:
    run = run_jaxdl if args.child == "jaxdl" else run_optuna
    print(json.dumps(run(args)), flush=True)


def main() -> None:
    from jaxdl import bench

    p = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    p.add_argument("--dataset", default="digits")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--trials", type=int, default=64)
    p.add_argument("--epochs", type=int, default=27)
    p.add_argument("--eta", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 was its best setting on 2 cores)")
    p.add_argument("--child", choices=("jaxdl", "optuna"), help=argparse.SUPPRESS)
    p.add_argument("--repeats", type=int, default=3, help="rounds, each calibrated, alternating the contestants")
    bench.add_record_out(p, "benchmarks/results/search_optuna-<dataset>-<date>.json")
    bench.add_quiet_calibration(p)
    args = p.parse_args()
    if args.child:
        _child(args)
        return

    try:
        info = {**bench.machine(), "optuna": importlib.metadata.version("optuna")}
    except importlib.metadata.PackageNotFoundError:
        sys.exit("search_optuna.py: error: Optuna is not installed: pip install optuna")
    date = info["date_utc"][:10]
    out = bench.record_path(p, args, os.path.join(HERE, "results", f"search_optuna-{args.dataset}-{date}.json"))
    common = ["--dataset", args.dataset, "--trials", str(args.trials), "--epochs", str(args.epochs)]
    common += ["--eta", str(args.eta), "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
    common += ["--data-dir", args.data_dir] if args.data_dir else []
    contestants = (
        ("jaxdl fit_many + halving, empty compilation cache", "jaxdl"),
        ("jaxdl fit_many + halving, cache of the run above", "jaxdl"),
        (f"Optuna + PyTorch, {args.threads} thread(s)", "optuna"),
    )
    rounds: dict[str, list[dict]] = {name: [] for name, _ in contestants}
    calibration = bench.Calibration(reference=args.quiet_calibration)
    with tempfile.TemporaryDirectory(prefix="jaxdl-search-") as work:
        for r in range(args.repeats):
            cal = calibration.measure()
            print(f"round {r + 1}: calibration {cal}", file=sys.stderr, flush=True)
            env = {"JAX_COMPILATION_CACHE_DIR": os.path.join(work, f"cache-{r}"), "JAXDL_NO_CACHE": ""}
            for name, child in contestants:
                _, stdout = bench.run_timed([sys.executable, __file__, "--child", child, *common], env=env, cwd=work)
                rounds[name].append(bench.last_json(stdout))
                seconds, after = rounds[name][-1]["seconds"], calibration.check()
                print(f"round {r + 1}: {name}: {seconds:.2f} s; then {after}", file=sys.stderr, flush=True)
    quiet = [r for r in range(args.repeats) if not calibration.contended(r)] or list(range(args.repeats))
    rows = {
        name: {**runs[quiet[0]], "seconds": bench.median([runs[r]["seconds"] for r in quiet])}
        for name, runs in rounds.items()
    }
    for name, runs in rounds.items():
        if "repeat_seconds" in runs[0]:
            rows[name]["repeat_seconds"] = bench.median([runs[r]["repeat_seconds"] for r in quiet])
    optuna_s = rows[contestants[-1][0]]["seconds"]
    command = f"python benchmarks/search_optuna.py --repeats {args.repeats} {' '.join(common)}{calibration.option}"
    lines = [
        f"Machine: {bench.machine_line(info)}, Optuna {info['optuna']}",
        f"Command: {command}",
        *calibration.lines(),
        f"Seconds: median of the rounds {', '.join(str(r + 1) for r in quiet)}; every round's in the JSON.",
        "",
        "| contestant | search s | all rounds | run-epochs | best val acc | its test acc | vs Optuna |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        every = ", ".join(
            f"{run['seconds']:.2f}{'*' if calibration.contended(r) else ''}" for r, run in enumerate(rounds[name])
        )
        lines.append(
            f"| {name} | {row['seconds']:.2f} | {every} | {row['run_epochs']} | "
            f"{row['val_acc']:.4f} | {row['test_acc']:.4f} | {optuna_s / row['seconds']:.2f}x |"
        )
    jax_rows = [row for row in rows.values() if "repeat_seconds" in row]
    if jax_rows:
        floor = bench.median([row["repeat_seconds"] for row in jax_rows])
        lines += [
            "",
            f"The same jaxdl search again in the same process (programs in memory: no tracing, compiling or "
            f"loading): {floor:.2f} s, {optuna_s / floor:.2f}x Optuna.",
        ]
    table = "\n".join(lines)
    print(table)
    record = {
        "machine": info,
        "command": command,
        "calibration": calibration.rounds,
        "calibration_readings": calibration.readings,
        "rounds": rounds,
        "rows": rows,
    }
    bench.save_json(out, {**record, "table": table})


if __name__ == "__main__":
    main()
