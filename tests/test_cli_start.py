"""Ctrl-C while ``jaxdl`` starts (jax loading, the parser being built): one line and exit code 130, no traceback.

Raised inside an extension's import, a Ctrl-C can crash the process; raised inside a garbage-collector
callback, Python only prints it and the run goes on. So the start is held and the signal acted on after it.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

from tests.helpers import one_error_line, run_cli


def test_ctrl_c_while_starting_is_acted_on_once_started_in_one_line(monkeypatch, capsys, tmp_path):
    real = argparse.ArgumentParser.parse_known_args
    raised, parsed = [], []

    def parse_known_args(self, *args, **kwargs):
        if not raised:  # once: the subcommand's parser is called from inside the top-level one
            raised.append(True)
            signal.raise_signal(signal.SIGINT)  # as if Ctrl-C came while jax was being imported
        parsed.append(real(self, *args, **kwargs))
        return parsed[-1]

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", parse_known_args)
    assert run_cli(["train", "--epochs", "1", "--out", str(tmp_path / "run")]) == 130
    assert parsed, "the start was cut short instead of held"
    assert one_error_line(capsys) == "jaxdl: interrupted while starting; nothing was written."
    assert not (tmp_path / "run").exists()


def test_a_held_sigterm_with_the_default_action_still_ends_the_process():
    code = (
        "import signal\n"
        "from jaxdl import _signals\n"
        "with _signals.held():\n"
        "    signal.raise_signal(signal.SIGTERM)\n"
        "    print('inside', flush=True)\n"
        "print('after', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGTERM and done.stdout == "inside\n", (done.returncode, done.stdout)
