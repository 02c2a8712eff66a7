"""jaxdl.parallel on 8 fake CPU devices: sharded ``fit`` / ``fit_many`` equal one device, the compiled
epoch's shardings, clear errors, ``--devices`` in the CLI, the scaling benchmark, and a real
two-process run (two processes on this machine, talking through ``jax.distributed``).

JAX fixes its device count when it starts, so every check runs in a fresh Python process with
``XLA_FLAGS=--xla_force_host_platform_device_count=8`` and reports JSON back.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-5


def result_of(proc: subprocess.Popen, timeout: int = 400) -> dict:
    """Wait for a snippet started by :func:`start_python`; return the JSON of its last line."""
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, f"snippet failed (rc {proc.returncode}):\n{stderr[-4000:]}"
    return json.loads(stdout.strip().splitlines()[-1])


def start_python(code: str, *, devices: int, args: tuple[str, ...] = ()) -> subprocess.Popen:
    """Start ``python -c code *args`` with ``devices`` fake CPU devices and this checkout first on the path."""
    env = {
        **os.environ,
        "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={devices}".strip(),
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


HELPERS = """
import json, re, sys
import jax, numpy as np, optax
from jaxdl import data, models, parallel
from jaxdl.errors import ConfigError
from jaxdl.train import create_train_state, fit, fit_many, objective_for, train_epoch

def diff(a, b):
    pairs = zip(jax.tree.leaves(a), jax.tree.leaves(b))
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in pairs)

def history_diff(a, b):
    assert set(a) == set(b), (set(a), set(b))
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a if k != "epoch_time")

def error(fn):
    try:
        fn()
    except ConfigError as err:
        return str(err)
    return None
"""

LIBRARY = (
    HELPERS
    + r"""
out = {"devices": jax.device_count()}
ds = data.load("digits")
mesh = parallel.make_mesh()
out["mesh"] = [list(mesh.axis_names), mesh.size]

# fit: batch norm, dropout and momentum, so batch statistics, dropout masks and optimizer state are all compared
model = models.MLP(hidden=(24,), dropout=0.2, batch_norm=True)
kw = dict(optimizer=optax.sgd(0.1, momentum=0.9), epochs=2, batch_size=40, seed=3)
one, many = fit(model, ds, **kw), fit(model, ds, **kw, mesh=mesh)
out["fit_param_diff"] = diff(one.state.params, many.state.params)
out["fit_stats_diff"] = diff(one.state.batch_stats, many.state.batch_stats)
out["fit_opt_diff"] = diff(one.state.opt_state, many.state.opt_state)
out["fit_history_diff"] = history_diff(one.history, many.history)
out["fit_test_acc"] = many.history["test_acc"][-1]
leaves = jax.tree.leaves((many.state.params, many.state.opt_state, many.state.batch_stats))
out["state_specs"] = sorted({str(leaf.sharding.spec) for leaf in leaves})
out["state_replicated_on_8"] = all(leaf.sharding.is_fully_replicated and leaf.sharding.mesh.size == 8
                                   for leaf in leaves)

# the compiled epoch of that fit: per-device matmuls, the gradient all-reduce, the work per device, output shardings
state = create_train_state(model, kw["optimizer"], ds.train[0][:1], key=jax.random.key(0))
for name, sharding in (("epoch_one", None), ("epoch_mesh", parallel.data_sharding(mesh))):
    args = (state, *ds.train) if sharding is None else parallel.replicate((state, *ds.train), mesh)
    lowered = train_epoch.lower(*args, batch_size=40, objective=objective_for(model), batch_sharding=sharding)
    compiled = lowered.compile()
    text = compiled.as_text()
    out[name] = {
        "dot_shapes": sorted(set(re.findall(r"= f32\[([\d,]*)\]\{[^}]*\} dot\(", text))),
        "all_reduces": len(re.findall(r" all-reduce\(", text)),
        "flops": compiled.cost_analysis()["flops"],
        "param_out_specs": sorted({str(s.spec) for s in jax.tree.leaves(compiled.output_shardings[0].params)}
                                  if sharding is not None else []),
    }

# a gathered batch, constrained as in the epoch's scan body
batch = jax.jit(lambda X, y: parallel.constrain((X[:64], y[:64]), parallel.data_sharding(mesh)))(
    *parallel.replicate(ds.train, mesh))
out["batch_spec"] = str(batch[0].sharding.spec)
out["batch_rows_per_device"] = sorted({s.data.shape[0] for s in batch[0].addressable_shards})
out["batch_shards"] = len(batch[0].addressable_shards)

# fit_many: 16 runs, 2 per device; then 10 runs with max_parallel=3: chunks of 8 (one per device), the last padded
kw = dict(optimizer=lambda lr: optax.sgd(lr), hparams={"lr": [0.1, 0.3]}, epochs=2, batch_size=64)
small = models.MLP(hidden=(16,))
m1 = fit_many(small, ds, seeds=range(8), **kw)
m8 = fit_many(small, ds, seeds=range(8), **kw, mesh=mesh)
out["many_param_diff"] = diff(m1.state.params, m8.state.params)
out["many_history_diff"] = history_diff(m1.history, m8.history)
out["many_runs_differ"] = diff(m1.run_state(0).params, m1.run_state(9).params)
leaf = jax.tree.leaves(m8.state.params)[0]
out["many_spec"] = str(leaf.sharding.spec)
out["many_runs_per_device"] = sorted({s.data.shape[0] for s in leaf.addressable_shards})
same = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12]  # (lr, seed) of the 10-run sweep inside the 16-run one
padded = fit_many(small, ds, seeds=range(5), max_parallel=3, **kw, mesh=mesh)
out["padded_runs"] = len(padded.runs)
out["padded_param_diff"] = diff(jax.tree.map(lambda x: np.asarray(x)[same], m1.state.params), padded.state.params)
out["padded_history_diff"] = history_diff({k: v[same] for k, v in m1.history.items()}, padded.history)

# the dataset split by rows (1432 and 360 examples divide by 8) gives the same fit as on one device
X, y = ds.train
trimmed = data.from_arrays(np.asarray(X[:1432]), np.asarray(y[:1432]), *map(np.asarray, ds.test), num_classes=10)
rows = parallel.place_dataset(trimmed, mesh, shard=True)
out["rows_spec"] = str(rows.train[0].sharding.spec)
out["rows_per_device"] = sorted({s.data.shape[0] for s in rows.train[0].addressable_shards})
plain = models.MLP(hidden=(16,))
kw = dict(optimizer=optax.sgd(0.1), epochs=2, batch_size=64)
a, b = fit(plain, trimmed, **kw), fit(plain, rows, **kw, mesh=mesh)
out["rows_param_diff"] = diff(a.state.params, b.state.params)
out["rows_history_diff"] = history_diff(a.history, b.history)

# mistakes
out["err_batch"] = error(lambda: fit(plain, ds, optimizer=optax.sgd(0.1), epochs=1, batch_size=100, mesh=mesh))
out["err_small_batch"] = error(lambda: fit(plain, ds, optimizer=optax.sgd(0.1), epochs=1, batch_size=5, mesh=mesh))
out["err_mesh_100"] = error(lambda: parallel.make_mesh(100))
out["err_mesh_0"] = error(lambda: parallel.make_mesh(0))
out["err_fit_mesh_type"] = error(lambda: fit(plain, ds, optimizer=optax.sgd(0.1), epochs=1, batch_size=64, mesh=8))
out["err_many_mesh_type"] = error(lambda: fit_many(plain, ds, optimizer=optax.sgd(0.1), epochs=1, batch_size=64,
                                                   mesh="data"))
out["err_rows"] = error(lambda: parallel.place_dataset(ds, mesh, shard=True))
print(json.dumps(out))
"""
)


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> dict:
    """The library and CLI snippets, started together (each mostly waits on one core compiling)."""
    folder = tmp_path_factory.mktemp("cli")
    procs = {"lib": start_python(LIBRARY, devices=8), "cli": start_python(CLI, devices=8, args=(str(folder),))}
    yield {"folder": folder, **procs}
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # closes its pipes (a no-op after result_of)


@pytest.fixture(scope="module")
def lib(started) -> dict:
    return result_of(started["lib"])


def test_mesh_spans_the_eight_fake_devices(lib):
    assert lib["devices"] == 8
    assert lib["mesh"] == [["data"], 8]


def test_sharded_fit_equals_one_device_fit(lib):
    assert lib["fit_param_diff"] < TOL
    assert lib["fit_stats_diff"] < TOL
    assert lib["fit_opt_diff"] < TOL
    assert lib["fit_history_diff"] < TOL
    assert lib["fit_test_acc"] > 0.5  # it trained


def test_sharded_fit_state_is_replicated(lib):
    assert lib["state_specs"] == ["P()"]
    assert lib["state_replicated_on_8"]


def test_compiled_epoch_splits_each_batch_and_all_reduces_gradients(lib):
    one, mesh = lib["epoch_one"], lib["epoch_mesh"]
    assert "40,24" in one["dot_shapes"] and one["all_reduces"] == 0  # batch 40 -> hidden 24
    assert "5,24" in mesh["dot_shapes"] and "40,24" not in mesh["dot_shapes"]  # 40 rows / 8 devices
    assert mesh["all_reduces"] >= 1
    assert mesh["flops"] < 0.5 * one["flops"]  # per device: 1/8 of the matmuls (0.30 with the replicated BN and update)
    assert mesh["param_out_specs"] == ["P()"]


def test_constrained_batch_is_split_over_data(lib):
    assert lib["batch_spec"] == "P('data',)"
    assert lib["batch_rows_per_device"] == [8]
    assert lib["batch_shards"] == 8


def test_sharded_fit_many_equals_unsharded(lib):
    assert lib["many_param_diff"] < TOL
    assert lib["many_history_diff"] < TOL
    assert lib["many_runs_differ"] > 1e-3
    assert lib["many_spec"] == "P('data',)"
    assert lib["many_runs_per_device"] == [2]


def test_fit_many_pads_runs_to_the_device_count(lib):
    assert lib["padded_runs"] == 10
    assert lib["padded_param_diff"] < TOL
    assert lib["padded_history_diff"] < TOL


def test_dataset_split_by_rows_gives_the_same_fit(lib):
    assert lib["rows_spec"] == "P('data',)"
    assert lib["rows_per_device"] == [179]
    assert lib["rows_param_diff"] < TOL
    assert lib["rows_history_diff"] < TOL


def test_clear_errors(lib):
    assert lib["err_batch"] == "batch_size=100 does not split over 8 devices: use a multiple of 8 such as 96 or 104."
    assert lib["err_small_batch"] == "batch_size=5 does not split over 8 devices: use a multiple of 8 such as 8."
    assert lib["err_mesh_100"].startswith(
        "n_devices=100: 8 cpu device(s) are visible; expected an integer from 1 to 8."
    )
    assert lib["err_mesh_0"].startswith("n_devices=0: 8 cpu device(s) are visible")
    assert lib["err_fit_mesh_type"] == "mesh=8: expected a 1-D jax.sharding.Mesh, e.g. jaxdl.parallel.make_mesh()."
    assert lib["err_many_mesh_type"].startswith("mesh='data': expected a 1-D jax.sharding.Mesh")
    assert lib["err_rows"].startswith("the training set has 1437 rows, which do not split over 8 devices")


CLI = r"""
import contextlib, io, json, os, sys
from jaxdl.cli import main

RUN_OPTIONS = {"devices", "shard_data", "distributed", "coordinator_address", "num_processes", "process_id"}

tmp = sys.argv[1]
out = {}

def cli(*argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(list(argv))
    return rc, err.getvalue()

def metrics(name):
    with open(os.path.join(tmp, name, "metrics.json")) as f:
        return json.load(f)

def history_diff(a, b):
    assert set(a) == set(b) and all(len(a[k]) == len(b[k]) for k in a), (a, b)
    return max(abs(x - y) for k in a for x, y in zip(a[k], b[k]))

train = ["train", "--epochs", "2", "--batch-size", "64", "--hidden", "16"]
out["train_rc"] = [cli(*train, "--devices", "1", "--out", f"{tmp}/one")[0], cli(*train, "--out", f"{tmp}/all")[0]]
one, every = metrics("one"), metrics("all")
out["train_history_diff"] = history_diff(one["history"], every["history"])
out["run_options_in_config"] = sorted(set(every["config"]) & RUN_OPTIONS)
out["config_equal"] = one["config"] == every["config"]

# continue the 8-device run on 4 devices; it matches 3 epochs on one device
out["resume_rc"] = cli("train", "--resume", f"{tmp}/all", "--epochs", "3", "--devices", "4")[0]
out["one3_rc"] = cli("train", "--epochs", "3", "--batch-size", "64", "--hidden", "16", "--devices", "1",
                     "--out", f"{tmp}/one3")[0]
out["resume_history_diff"] = history_diff(metrics("one3")["history"], metrics("all")["history"])

sweep = ["sweep", "--epochs", "2", "--batch-size", "64", "--hidden", "16", "--lr", "0.1,0.3", "--seeds", "3"]
out["sweep_rc"] = [cli(*sweep, "--devices", "1", "--out", f"{tmp}/sweep1")[0],
                   cli(*sweep, "--devices", "8", "--out", f"{tmp}/sweep8")[0]]
runs1, runs8 = metrics("sweep1")["runs"], metrics("sweep8")["runs"]
out["sweep_runs"] = [len(runs1), len(runs8)]
out["sweep_history_diff"] = max(history_diff(a["history"], b["history"]) for a, b in zip(runs1, runs8))

out["err_devices"] = cli(*train, "--devices", "100", "--out", f"{tmp}/x")
out["err_batch"] = cli("train", "--epochs", "1", "--batch-size", "100", "--devices", "8", "--out", f"{tmp}/x")
out["err_cluster"] = cli(*train, "--num-processes", "2", "--out", f"{tmp}/x")
out["err_late_distributed"] = cli(*train, "--distributed", "--out", f"{tmp}/x")  # devices are in use already
out["nothing_written_on_errors"] = not os.path.exists(f"{tmp}/x")

from benchmarks import mesh_scaling
bench_err = io.StringIO()
with contextlib.redirect_stderr(bench_err), contextlib.redirect_stdout(io.StringIO()):
    out["bench_rc"] = mesh_scaling.main(["--devices", "1,8", "--epochs", "1", "--train-size", "512", "--test-size",
                                         "256", "--models", "8", "--out", f"{tmp}/bench"])
out["bench_stderr"] = bench_err.getvalue()
with open(os.path.join(tmp, "bench", "mesh_scaling.json")) as f:
    out["bench"] = json.load(f)
out["bench_md"] = open(os.path.join(tmp, "bench", "mesh_scaling.md")).read()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def cli(started) -> dict:
    return {**result_of(started["cli"]), "folder": started["folder"]}


def test_train_devices_flag_matches_one_device(cli):
    assert cli["train_rc"] == [0, 0]
    assert cli["train_history_diff"] < TOL
    assert cli["run_options_in_config"] == []  # how to run is not what to train: configs are equal
    assert cli["config_equal"]


def test_resume_on_other_device_count_matches_one_device(cli):
    assert cli["resume_rc"] == 0 and cli["one3_rc"] == 0
    assert cli["resume_history_diff"] < TOL


def test_sweep_devices_flag_matches_one_device(cli):
    assert cli["sweep_rc"] == [0, 0]
    assert cli["sweep_runs"] == [6, 6]  # 6 runs padded to 8 on 8 devices, padding dropped
    assert cli["sweep_history_diff"] < TOL


def test_cli_errors_are_one_line(cli):
    rc, err = cli["err_devices"]
    assert rc == 2 and err.startswith("jaxdl train: error: --devices=100: 8 cpu device(s) are visible;")
    rc, err = cli["err_batch"]
    assert (rc, err) == (
        2,
        "jaxdl train: error: batch_size=100 does not split over 8 devices: use a multiple of 8 such as 96 or 104.\n",
    )
    rc, err = cli["err_cluster"]
    assert (rc, err) == (2, "jaxdl train: error: --num-processes only apply to a multi-host run: add --distributed.\n")
    rc, err = cli["err_late_distributed"]
    assert rc == 2 and err.startswith("jaxdl train: error: cannot start the multi-host run (")
    assert "--coordinator-address" in err and err.count("\n") == 1
    assert cli["nothing_written_on_errors"]


def test_mesh_scaling_benchmark_checks_correctness_on_fake_devices(cli):
    assert cli["bench_rc"] == 0
    rows = cli["bench"]["rows"]
    assert [r["devices"] for r in rows] == [1, 8]
    assert all(r["fit_max_param_diff"] < TOL and r["fit_many_max_param_diff"] < TOL for r in rows)
    assert all(r["fit_epoch_s"] > 0 and r["fit_many_epoch_s"] > 0 for r in rows)
    assert "correctness only" in cli["bench"]["meta"]["note"]
    assert "correctness only" in cli["bench_stderr"] and "correctness only" in cli["bench_md"]


DISTRIBUTED = r"""
import json, os, sys
from jaxdl.cli import main

coordinator, processes, process, out_dir = sys.argv[1:5]
rc = main(["train", "--distributed", "--coordinator-address", coordinator, "--num-processes", processes,
           "--process-id", process, "--epochs", "2", "--batch-size", "64", "--hidden", "16", "--out", out_dir])
import jax, numpy as np, optax
from jax.experimental import multihost_utils
from jaxdl import data, models, parallel
from jaxdl.train import fit, fit_many

res = {"rc": rc, "processes": jax.process_count(), "devices": jax.device_count(),
       "local_devices": jax.local_device_count(),
       "wrote": sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []}
if len(sys.argv) > 5:  # library checks across processes: every process compares with its own one-device run
    mesh = parallel.make_mesh()
    ds = data.load("digits")
    X, y = ds.train
    trimmed = data.from_arrays(np.asarray(X[:1432]), np.asarray(y[:1432]), *map(np.asarray, ds.test), num_classes=10)
    rows = parallel.place_dataset(trimmed, mesh, shard=True)
    res["rows_per_local_device"] = sorted({s.data.shape[0] for s in rows.train[0].addressable_shards})
    kw = dict(optimizer=optax.sgd(0.1), epochs=2, batch_size=64)
    model = models.MLP(hidden=(16,))
    local, spread = fit(model, trimmed, **kw), fit(model, rows, **kw, mesh=mesh)
    pairs = zip(jax.tree.leaves(local.state.params), jax.tree.leaves(spread.state.params))
    res["rows_param_diff"] = max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in pairs)
    kw = dict(optimizer=lambda lr: optax.sgd(lr), hparams={"lr": [0.1, 0.3]}, seeds=range(4), epochs=2, batch_size=64)
    m1, m8 = fit_many(model, ds, **kw), fit_many(model, ds, **kw, mesh=mesh)
    gathered = multihost_utils.process_allgather(m8.state.params, tiled=True)
    res["many_param_diff"] = max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                                 for a, b in zip(jax.tree.leaves(m1.state.params), jax.tree.leaves(gathered)))
    res["many_history_diff"] = max(float(np.abs(m1.history[k] - m8.history[k]).max()) for k in m1.history)
print(json.dumps(res))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(processes: int, folder: Path, *, library: bool) -> list[dict]:
    """Run DISTRIBUTED as ``processes`` processes of 8 / processes fake devices each, like one per host."""
    coordinator = f"127.0.0.1:{free_port()}"
    extra = ("library",) if library else ()
    procs = [
        start_python(
            DISTRIBUTED,
            devices=8 // processes,
            args=(coordinator, str(processes), str(i), str(folder / f"out{i}"), *extra),
        )
        for i in range(processes)
    ]
    try:
        return [result_of(proc) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def history_of(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())["history"]


def max_history_diff(a: dict, b: dict) -> float:
    assert set(a) == set(b)
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


def test_distributed_entry_point_single_process(tmp_path, cli):
    (result,) = launch(1, tmp_path, library=False)
    assert result == {
        "rc": 0,
        "processes": 1,
        "devices": 8,
        "local_devices": 8,
        "wrote": ["checkpoint", "curves.png", "metrics.csv", "metrics.json", "timing.json"],
    }
    assert max_history_diff(history_of(tmp_path / "out0"), history_of(cli["folder"] / "one")) < TOL


def test_two_processes_train_like_one_device(tmp_path, cli):
    """Two processes of 4 devices each (two 'hosts' on this machine) form one 8-device mesh."""
    first, second = launch(2, tmp_path, library=True)
    for result in (first, second):
        assert (result["rc"], result["processes"], result["devices"], result["local_devices"]) == (0, 2, 8, 4)
        assert result["rows_per_local_device"] == [179]  # each process holds its devices' rows only
        assert result["rows_param_diff"] < TOL
        assert result["many_param_diff"] < TOL and result["many_history_diff"] < TOL
    assert first["wrote"] == ["checkpoint", "curves.png", "metrics.csv", "metrics.json", "timing.json"]
    assert second["wrote"] == []  # only process 0 writes
    assert max_history_diff(history_of(tmp_path / "out0"), history_of(cli["folder"] / "one")) < TOL
