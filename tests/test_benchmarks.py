"""The benchmark harness (jaxdl.bench, ``jaxdl bench``, benchmarks/): files, rows, ratios, steps, options.

Not timings."""

import argparse
import json
import math
import re
import statistics
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from benchmarks import compare_pytorch
from jaxdl import bench
from jaxdl.bench import WORKLOADS, Measurement, failure, load_data, matmul_precision, synthetic, time_epochs
from jaxdl.cli import bench as bench_cli
from jaxdl.cli import main
from jaxdl.data import write_idx
from jaxdl.errors import ConfigError

TRAIN, TEST = 600, 300  # --quick sizes: 3 steps per epoch, the last one partial
STEPS = math.ceil(TRAIN / 256)
WORKLOAD = "mlp_bn_dropout"  # the scaling workload of the end-to-end run: dropout, batch norm, N = 1, 2
RUN = [k for k in bench.CONTESTANTS if k != 3]
"""Every contestant but torch.compile, whose inductor compile alone takes ~80 s on this 2-core CPU."""


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "cpu"
    rc = main(
        [
            "bench",
            "--quick",
            "--models",
            "1,2",  # --quick trains one model each; the pairs check the vmapped and sequential contestants
            "--device",
            "cpu",
            "--workloads",
            WORKLOAD,
            "--scaling-workloads",
            WORKLOAD,
            "--contestants",
            ",".join(map(str, RUN)),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    return out, json.loads((out / "results.json").read_text())


def _rows(results):
    return {(r["contestant"], r["models"]): r for r in results["rows"]}


def test_quick_run_writes_json_markdown_and_png(quick_run):
    out, results = quick_run
    assert sorted(p.name for p in out.iterdir()) == ["results.json", "results.md", "scaling.png"]
    assert (out / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = results["meta"]
    assert meta["device"] == "cpu" and meta["train_size"] == TRAIN and meta["test_size"] == TEST
    assert meta["data_source"].startswith("synthetic")
    assert meta["command"].startswith("jaxdl bench --device cpu --epochs 2 --models 1,2 ")
    md = (out / "results.md").read_text()
    for text in (meta["device_name"], meta["date"], meta["data_source"], meta["command"], "float32", "## Targets"):
        assert text in md
    assert " --quick --out " in meta["command"]
    assert results["targets"] is None  # 3-step epochs judge no target
    assert "Not judged: a --quick run times epochs of 3 optimizer steps" in md and not re.search(r"\bmet\b", md)


def test_every_contestant_has_a_timed_row_with_a_valid_accuracy(quick_run):
    _, results = quick_run
    rows = _rows(results)
    assert set(rows) == {
        (1, 1),
        (2, 1),
        (4, 1),
        (4, 2),
        (5, 1),
        (6, 1),
        (7, 1),
        (7, 2),
        (8, 1),
        (8, 2),
        (9, 1),
        (9, 2),
        (10, 1),
        (10, 2),
    }
    for (k, n), row in rows.items():
        assert row["error"] is None, (k, n, row["error"])
        assert len(row["epoch_times"]) == 3  # warm-up + --epochs 2
        assert all(t > 0 for t in row["epoch_times"])
        assert 0.0 <= row["test_acc"] <= 1.0
        assert row["workload"] == WORKLOAD and row["precision"] == "float32"


def test_every_contestant_takes_the_same_number_of_steps_per_epoch(quick_run):
    _, results = quick_run
    steps = {(r["contestant"], r["models"]): r["steps_per_epoch"] for r in results["rows"] if not r["error"]}
    assert set(steps.values()) == {STEPS}, steps


def test_speedups_and_throughput_follow_from_the_epoch_times(quick_run):
    _, results = quick_run
    rows = _rows(results)
    for row in results["rows"]:
        if row["error"]:
            continue
        assert row["steady_s"] == pytest.approx(statistics.median(row["epoch_times"][1:]))
        assert row["warmup_s"] == row["epoch_times"][0]
        assert row["images_per_s"] == pytest.approx(row["models"] * TRAIN / row["steady_s"])
        for k in (1, 2):
            base = rows[(k, 1)]
            assert row[f"speedup_vs_{k}"] == pytest.approx(row["models"] * base["steady_s"] / row["steady_s"])


def test_sequential_fits_add_up_the_measured_fits(quick_run):
    _, results = quick_run
    rows = _rows(results)
    for k in (8, 10):
        one, two = rows[(k, 1)], rows[(k, 2)]
        assert one["note"] == two["note"] == "measured"
        assert all(b > a for a, b in zip(one["epoch_times"], two["epoch_times"], strict=True))


def _m(k, seconds, *, models=1, workload="mlp", precision="float32"):
    return Measurement(k, workload, precision, models, 1000, [seconds * 3] + [seconds] * 3, 0.9, 4)


def test_cpu_targets_are_computed_from_the_numbers():
    rows = [
        _m(1, 10.0),
        _m(2, 1.0),
        _m(6, 0.5),
        _m(7, 2.0, models=8),
        _m(8, 4.0, models=8),
        _m(9, 3.0, models=8),
        _m(10, 4.0, models=8),
    ]
    got = [(round(v["value"], 6), v["met"]) for v in bench.targets(rows, "cpu", ["float32"])]
    # fit vs c1, fit vs c2, fit_many vs sequential fits over 8 seeds, then over 8 learning rates
    assert got == [(20.0, True), (2.0, True), (2.0, True), (1.333333, False)]
    slow_fit = [_m(1, 10.0), _m(2, 1.0), _m(6, 2.0)]
    met = [(v["value"], v["met"]) for v in bench.targets(slow_fit, "cpu", ["float32"])]
    assert met == [(5.0, False), (0.5, False), (None, None), (None, None)]


def test_gpu_targets_include_latency_and_256_models():
    rows = [
        _m(1, 1.0, precision="tf32"),
        _m(2, 0.05, precision="tf32"),
        _m(3, 0.02, precision="tf32"),
        _m(6, 0.004, precision="tf32"),
        _m(7, 0.02, models=256, precision="tf32"),
    ]
    got = [(round(v["value"], 6), v["met"]) for v in bench.targets(rows, "gpu", ["tf32"])]
    assert got == [(4.0, True), (250.0, True), (12.5, True), (5.0, True), (5.0, False)]


def test_failed_rows_and_unmeasured_sequential_fits_are_labelled_not_invented():
    rows = [
        _m(1, 1.0),
        failure(3, "mlp", "float32", 1, 1000, RuntimeError("no compiler\ndetails")),
        _m(7, 1.0),
        _m(7, 2.0, models=64),
        _m(8, 1.0),
        _m(4, 3.0, models=64),
        _m(10, 1.5),
    ]
    table = "\n".join(bench.results_table(rows))
    assert "failed: RuntimeError: no compiler |" in table
    scaling = bench.scaling_table(rows, "mlp", "float32")
    assert scaling[2] == (
        "| N | jaxdl fit_many, N seeds | jaxdl fit_many, N learning rates | torch.func vmap "
        "| N sequential jaxdl fits, N seeds (measured) "
        "| N sequential jaxdl fits, N learning rates (measured) |"
    )
    assert scaling[-1] == "| 64 | 2 | not measured | 3 | not measured | not measured |"
    assert scaling[-2] == "| 1 | 1 | not measured | not measured | 1 | 1.5 |"


def test_time_epochs_times_each_call():
    calls = []
    times, acc, steps = time_epochs(lambda: (calls.append(1) or 0.25, 7), 3)
    assert len(times) == 3 and all(t >= 0 for t in times) and (acc, steps) == (0.25, 7) and len(calls) == 3


def test_options_quick_defaults_explicit_values_win_and_bad_names_are_one_error():
    parser = bench_cli.build_parser()
    quick = bench.resolve(parser.parse_args(["--quick"]), gpu_available=False)
    assert (quick.device, quick.train_size, quick.test_size, quick.epochs, quick.models) == ("cpu", 600, 300, 2, (1,))
    assert (quick.workloads, quick.contestants, quick.quick) == (("mlp",), (1, 2, 4, 5, 6, 7, 8, 9, 10), True)
    named = bench.resolve(
        parser.parse_args(["--quick", "--contestants", "3", "--workloads", "softmax"]), gpu_available=False
    )
    assert (named.workloads, named.contestants) == (("softmax",), (3,))
    full = bench.resolve(parser.parse_args([]), gpu_available=False)
    assert (full.workloads, full.contestants, full.quick) == (bench.WORKLOAD_NAMES, tuple(range(1, 11)), False)
    full = bench.resolve(parser.parse_args(["--quick", "--train-size", "4096", "--models", "8,1"]), gpu_available=True)
    assert (full.device, full.train_size, full.models, full.precisions) == ("gpu", 4096, (1, 8), ("highest", "tf32"))
    assert "--train-size 4096" in full.command("out") and full.command("out").startswith("jaxdl bench --device gpu")
    assert full.command("out", "python benchmarks/compare_pytorch.py").startswith(
        "python benchmarks/compare_pytorch.py "
    )
    assert "benchmarks/results/h100-" in full.default_out("h100") and full.default_out("h100", "/r").startswith(
        "/r/h100-"
    )
    with pytest.raises(ConfigError, match="did you mean 'mlp'"):
        bench.resolve(parser.parse_args(["--workloads", "mpl"]), gpu_available=False)
    with pytest.raises(ConfigError, match="bench: unknown precision 'tf32'; expected one of float32"):
        bench.resolve(parser.parse_args(["--precisions", "tf32"]), gpu_available=False)
    with pytest.raises(ConfigError, match="bench: --contestants must be numbers from 1 to 10, got 11 in it"):
        bench.resolve(parser.parse_args(["--contestants", "1,11"]), gpu_available=False)


def test_plan_gives_every_n_and_the_sequential_fits_only_to_scaling_workloads():
    opts = bench.resolve(
        bench_cli.build_parser().parse_args(
            ["--models", "1,8,64", "--sequential-max", "8", "--contestants", "1,4,7,8,9,10"]
        ),
        gpu_available=False,
    )
    assert [(k, n) for k, n, _ in bench.plan(opts, "mlp")] == [
        (1, 1),
        (4, 1),
        (4, 8),
        (4, 64),
        (7, 1),
        (7, 8),
        (7, 64),
        (8, 8),
        (9, 1),
        (9, 8),
        (9, 64),
        (10, 8),
    ]
    assert bench.plan(opts, "mlp")[-1][2] == {"counts": (1, 8)}
    assert [(k, n) for k, n, _ in bench.plan(opts, "softmax")] == [(1, 1), (4, 1), (7, 1)]


def test_jaxdl_bench_forwards_to_the_benchmark(capsys):
    assert main(["bench", "--workloads", "nope"]) == 2
    assert "jaxdl bench: error: bench: unknown workload 'nope'; expected one of softmax" in capsys.readouterr().err


def test_a_second_run_is_numbered_and_a_named_folder_holding_results_is_refused_unless_overwritten(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    tiny = ["bench", "--quick", "--workloads", "softmax", "--scaling-workloads", "softmax", "--contestants", "6"]
    tiny += ["--models", "1", "--epochs", "1", "--train-size", "256", "--test-size", "64"]
    assert main(tiny) == 0
    first = tmp_path / capsys.readouterr().out.strip()
    assert first.parent == tmp_path / "benchmarks" / "results" and (first / "results.json").is_file()
    before = (first / "results.json").read_bytes()
    assert main([*tiny, "--out", str(first)]) == 2  # refused before measuring anything
    assert capsys.readouterr().err == (
        f"jaxdl bench: error: --out {str(first)!r} already holds a run (results.json, results.md, scaling.png): "
        "choose another --out, or replace it with --overwrite.\n"
    )
    assert main(tiny) == 0
    second = tmp_path / capsys.readouterr().out.strip()
    assert second == first.with_name(first.name + "-2") and (first / "results.json").read_bytes() == before
    assert main([*tiny, "--out", str(first), "--overwrite"]) == 0
    assert (first / "results.json").read_bytes() != before  # its own date and times
    assert sorted(p.name for p in first.iterdir()) == ["results.json", "results.md", "scaling.png"]


def test_the_checkout_script_is_jaxdl_bench_with_its_own_results_folder(capsys):
    assert compare_pytorch.main(["--workloads", "nope"]) == 2
    assert "compare_pytorch.py: error: bench: unknown workload 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        compare_pytorch.main(["--help"])
    default = str(compare_pytorch.RESULTS / "<device>-<YYYY-MM-DD>")
    assert "".join(default.split()) in "".join(capsys.readouterr().out.split())  # help text wraps anywhere


def test_without_torch_jaxdl_bench_says_how_to_install_it_in_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails as if it were not installed
    assert main(["bench", "--quick"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jaxdl bench: error: ")
    assert 'pip install "jaxdl-course[torch]"' in err


def test_synthetic_data_is_image_shaped_learnable_and_seeded():
    a, b = synthetic(2000, 50, seed=3), synthetic(2000, 50, seed=3)
    assert a.X_train.shape == (2000, 28, 28, 1) and a.X_train.dtype == np.float32
    assert 0.0 <= a.X_train.min() and a.X_train.max() <= 1.0
    assert set(np.unique(a.y_train)) == set(range(10))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    means = np.stack([a.X_train[a.y_train == c].mean(0).ravel() for c in range(10)])
    assert np.abs(means - means.mean(0)).mean() > 0.02  # the classes differ (up to label noise)


def test_missing_fashion_mnist_falls_back_to_synthetic_and_says_why(tmp_path):
    bench = load_data(300, 100, str(tmp_path), seed=0)
    assert bench.source.startswith("synthetic") and f"FashionMNIST not found in {tmp_path}" in bench.source
    assert bench.X_train.shape == (300, 28, 28, 1)


def test_fashion_mnist_idx_files_are_used_and_named(tmp_path):
    rng = np.random.default_rng(0)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    images = {"train": rng.integers(0, 256, (400, 28, 28)), "t10k": rng.integers(0, 256, (120, 28, 28))}
    for split, X in images.items():
        write_idx(str(raw / f"{split}-images-idx3-ubyte.gz"), X)
        write_idx(str(raw / f"{split}-labels-idx1-ubyte.gz"), rng.integers(0, 10, len(X)))
    bench = load_data(300, 100, str(tmp_path), seed=0)
    assert bench.source == f"FashionMNIST from {tmp_path} (300 train / 100 test)"
    np.testing.assert_allclose(bench.X_train[..., 0], images["train"][:300] / 255.0, rtol=1e-6)
    with pytest.raises(
        ConfigError, match="--train-size must be at most the 400 train images of the real data, got 500"
    ):
        load_data(500, 100, str(tmp_path), seed=0)


def test_matmul_precision_sets_both_frameworks_and_restores_them():
    before = (torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision())
    with matmul_precision("tf32"):
        assert torch.backends.cuda.matmul.allow_tf32 and torch.get_float32_matmul_precision() == "high"
        assert jax.config.jax_default_matmul_precision == "tensorfloat32"
    with matmul_precision("highest"):
        assert not torch.backends.cuda.matmul.allow_tf32 and torch.get_float32_matmul_precision() == "highest"
        assert jax.config.jax_default_matmul_precision == "highest"
    assert (torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision()) == before


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_both_frameworks_build_the_same_model(name):
    """Same layers, same init bounds, and with torch's weights copied in, the same eval-mode logits."""
    workload = WORKLOADS[name]
    net = bench.torch_model(workload, seed=0, device=torch.device("cpu")).eval()
    model = bench.jax_model(workload)
    x = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
    variables = model.init(jax.random.key(0), jnp.asarray(x))
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    norms = [m for m in net if isinstance(m, torch.nn.BatchNorm1d)]
    params = {
        f"Linear_{i}": {
            "kernel": jnp.asarray(m.weight.detach().numpy().T),
            "bias": jnp.asarray(m.bias.detach().numpy()),
        }
        for i, m in enumerate(linears)
    }
    params.update(
        {
            f"BatchNorm_{i}": {
                "scale": jnp.asarray(m.weight.detach().numpy()),
                "bias": jnp.asarray(m.bias.detach().numpy()),
            }
            for i, m in enumerate(norms)
        }
    )
    assert jax.tree.map(jnp.shape, params) == jax.tree.map(jnp.shape, variables["params"])
    for i, m in enumerate(linears):
        bound = 1 / math.sqrt(m.in_features)
        kernel = np.asarray(variables["params"][f"Linear_{i}"]["kernel"])
        assert np.abs(kernel).max() <= bound and np.abs(kernel).max() > 0.95 * bound
    out = model.apply({**variables, "params": params}, jnp.asarray(x), train=False)
    expected = net(torch.from_numpy(x).reshape(5, 1, 28, 28)).detach().numpy()
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)


def test_matmul_bound_shared_batches_compute_what_per_model_batches_compute():
    from benchmarks.matmul_bound import matmul_epoch

    X = jax.random.uniform(jax.random.key(1), (600, 784))
    W = jax.random.normal(jax.random.key(2), (3, 784, 256)) * 0.01
    key = jax.random.key(3)
    shared = matmul_epoch(X, W, key, shared=True)
    per_model = matmul_epoch(X, W, jnp.broadcast_to(key, (3,)), shared=False)
    assert shared.shape == W.shape
    assert float(jnp.abs(shared - W).max()) > 1e-4  # it trained
    np.testing.assert_allclose(shared, per_model, rtol=0, atol=1e-6)


def test_matmul_bound_writes_its_table_and_bounds_follow_from_the_times(tmp_path, capsys):
    from benchmarks import matmul_bound

    out = tmp_path / "bound"
    assert matmul_bound.main(["--models", "2", "--train-size", "512", "--repeats", "1", "--out", str(out)]) == 0
    saved = json.loads((out / "matmul_bound.json").read_text())
    r = saved["result"]
    for name in ("per_model", "shared"):
        assert r[name]["speedup_bound"] == pytest.approx(2 * r["one_model_s"] / r[name]["epoch_s"])
        assert r[name]["gflops"] == pytest.approx(2 * r["one_model_gflops"] * r["one_model_s"] / r[name]["epoch_s"])
    assert saved["meta"]["command"] in (out / "matmul_bound.md").read_text()
    with pytest.raises(SystemExit) as exit_info:
        matmul_bound.main(["--models", "0", "--out", str(tmp_path / "bad")])
    assert exit_info.value.code == 2
    assert "--models" in capsys.readouterr().err and not (tmp_path / "bad").exists()


# --- What users feel: whole processes, the notebook sweep, the course's own loop (benchmarks/README.md) ---


def test_median_and_last_json_line():
    from jaxdl.bench import last_json, median

    assert median([3.0, 1.0, 2.0]) == 2.0 and median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert last_json('progress\n{"a": 1}\n{"b": 2}\ndone\n') == {"b": 2} and last_json("nothing") == {}


def test_torchvision_style_item_is_pil_resize_then_to_tensor():
    from PIL import Image

    from jaxdl.bench import torchvision_style_dataset

    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    x, label = torchvision_style_dataset(images, np.array([7, 1, 2]))[0]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and label == 7
    np.testing.assert_array_equal(x.numpy()[0], images[0] / np.float32(255))  # ToTensor: uint8 / 255
    small, _ = torchvision_style_dataset(images, np.array([7, 1, 2]), resize=(14, 10))[2]
    expected = np.asarray(Image.fromarray(images[2], mode="L").resize((10, 14), Image.BILINEAR)) / np.float32(255)
    assert small.shape == (1, 14, 10)
    np.testing.assert_array_equal(small.numpy()[0], expected)


def test_torch_script_splits_digits_as_jaxdl_does():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from jaxdl import data

    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        (digits.data / 16.0).astype(np.float32), digits.target, test_size=0.2, stratify=digits.target, random_state=0
    )
    ds = data.digits()
    np.testing.assert_array_equal(np.asarray(ds.train[0]).reshape(len(X_train), -1), X_train)
    np.testing.assert_array_equal(np.asarray(ds.test[1]), y_test)


def test_torch_script_writes_a_run_folder_and_reports_its_phases(tmp_path):
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "torch_train_digits.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--epochs", "2", "--threads", "1", "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["threads"] == 1 and 0.0 <= report["test_acc"] <= 1.0 and report["train_s"] > 0
    assert {"metrics.json", "checkpoint.pt", "curves.png"} <= {p.name for p in (tmp_path / "r").iterdir()}
    assert len(json.loads((tmp_path / "r" / "metrics.json").read_text())["history"]["test_acc"]) == 2


def test_sweep_contestants_train_the_same_runs(capsys):
    from jaxdl.bench import digits_sweep

    rates = digits_sweep.RATES[::16]
    sequential = digits_sweep.jaxdl_sequential(rates, epochs=2)
    many = digits_sweep.jaxdl_fit_many(rates, epochs=2)
    np.testing.assert_allclose(many["test_acc"], sequential["test_acc"], atol=1 / 360)  # at most one test image
    torch_run = digits_sweep.torch_loop(rates, epochs=2, threads=1)
    assert torch_run["threads"] == 1 and len(torch_run["test_acc"]) == len(rates)


def test_calibration_marks_contended_rounds_and_medians_use_the_quiet_ones():
    cal = bench.Calibration(
        [
            {"matmul_s": 0.10, "python_s": 0.050, "load_1m": 0.2},
            {"matmul_s": 0.11, "python_s": 0.080, "load_1m": 3.5},  # the Python loop 1.6x slower
            {"matmul_s": 0.10, "python_s": 0.055, "load_1m": 0.3},
        ]
    )
    assert [cal.contended(i) for i in range(3)] == [False, True, False]
    times = {"jaxdl": [2.0, 9.0, 4.0], "torch": [6.0, 30.0, 6.0]}
    info = {"cpu": "c", "cores": 2, "load_average_1m": 0, "date_utc": "d", "python": "3", "jax": "j", "torch": "t"}
    table, record = bench.against_torch(
        times, {"jaxdl": 0.9, "torch": 0.9}, info=info, command="x", header="h", score="acc", calibration=cal
    )
    assert record["median_s"] == {"jaxdl": 3.0, "torch": 6.0} and record["contended_rounds"] == [2]
    assert "9.00*" in table and "30.00*" in table and "CONTENDED: round(s) 2" in table
    assert "seconds (median, quiet rounds)" in table and "| 2.00x |" in table
    every = bench.Calibration([{"matmul_s": 0.1, "python_s": 0.1, "load_1m": 0.1}] * 2)
    assert not every.contended(0) and "EVERY ROUND" not in "\n".join(every.lines())


def test_a_round_is_as_contended_as_its_slowest_reading_before_or_after_a_contestant():
    quiet, slow = (
        {"matmul_s": 0.10, "python_s": 0.050, "load_1m": 0.2},
        {"matmul_s": 0.10, "python_s": 0.09, "load_1m": 1.5},
    )
    cal = bench.Calibration([quiet, quiet])
    cal.readings[1].append(slow)  # quiet before round 2 started, slow after one of its contestants
    assert [cal.contended(i) for i in range(2)] == [False, True] and cal.rounds[1] == slow
    assert "CONTENDED: round(s) 2" in "\n".join(cal.lines())
    live = bench.Calibration()
    first = live.measure()
    after = live.check()
    assert live.readings == [[first, after]] and set(after) == {"matmul_s", "python_s", "load_1m"}


def test_a_run_slow_in_every_round_is_contended_against_the_machine_s_idle_reference(capsys):
    slow = [{"matmul_s": 0.020, "python_s": 0.070, "load_1m": 1.0}] * 3
    assert not any(bench.Calibration(slow).contended(i) for i in range(3))  # alike rounds: nothing to compare
    parser = argparse.ArgumentParser(prog="time_to_result.py")
    bench.add_quiet_calibration(parser)
    reference = parser.parse_args(["--quiet-calibration", "17,37"]).quiet_calibration
    assert reference == pytest.approx({"matmul_s": 0.017, "python_s": 0.037})
    cal = bench.Calibration(slow, reference=reference)
    assert [cal.contended(i) for i in range(3)] == [True] * 3 and round(cal.slowdown(0), 2) == 1.89
    assert "EVERY ROUND WAS CONTENDED" in "\n".join(cal.lines()) and "idle reference" in cal.lines()[0]
    assert not bench.Calibration(slow, reference={"matmul_s": 0.02, "python_s": 0.07}).contended(0)
    for bad in ("17", "17,x", "0,37"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--quiet-calibration", bad])
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith("time_to_result.py: error: argument --quiet-calibration: expected two positive")


def test_a_second_run_of_a_benchmark_script_keeps_the_first_record(tmp_path, capsys):
    """The scripts' default record is numbered past earlier runs of the day; a named --out holding one is refused."""
    parser = argparse.ArgumentParser(prog="sweep_digits.py")
    bench.add_record_out(parser, "benchmarks/results/sweep_digits-<date>.json")
    default = str(tmp_path / "sweep_digits-2026-12-08.json")
    first = bench.record_path(parser, parser.parse_args([]), default)
    assert first == default
    bench.save_json(first, {"run": 1})
    second = bench.record_path(parser, parser.parse_args([]), default)
    assert second == str(tmp_path / "sweep_digits-2026-12-08-2.json")
    bench.save_json(second, {"run": 2})
    assert bench.record_path(parser, parser.parse_args([]), default).endswith("sweep_digits-2026-12-08-3.json")
    assert json.loads((tmp_path / "sweep_digits-2026-12-08.json").read_text()) == {"run": 1}
    with pytest.raises(SystemExit):
        bench.record_path(parser, parser.parse_args(["--out", first]), default)
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        f"sweep_digits.py: error: --out {first!r} holds a record already: name another file, or add --overwrite."
    )
    assert bench.record_path(parser, parser.parse_args(["--out", first, "--overwrite"]), default) == first
    fresh = str(tmp_path / "mine.json")
    assert bench.record_path(parser, parser.parse_args(["--out", fresh]), default) == fresh
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["sweep_digits-2026-12-08-2.json", "sweep_digits-2026-12-08.json"]


def test_calibrate_times_the_fixed_workload():
    c = bench.calibrate()
    assert set(c) == {"matmul_s", "python_s", "load_1m"} and c["matmul_s"] > 0 and c["python_s"] > 0


def test_time_to_result_prints_the_median_of_each_phase():
    from benchmarks import time_to_result

    runs = {"jaxdl cold": [{"data": 1.0, "total": 5.0}, {"data": 3.0, "total": 7.0}], "jaxdl warm": [{}, {}]}
    table = time_to_result._phase_table(runs, [0, 1])
    assert "| data | 2.00 | - |" in table and "| total | 6.00 | - |" in table
    assert "| data | 1.00 |" in time_to_result._phase_table(runs, [0])
