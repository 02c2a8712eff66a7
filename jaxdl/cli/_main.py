"""``jaxdl`` console entry point: argument parsing only; each subcommand lives in its own module.

``train``, ``sweep`` and ``ovr`` generate their options from a config of :mod:`jaxdl.experiments` and
call its function; the others keep small parsers of their own. Only the module of the subcommand being
run is imported (``jaxdl train`` never loads the benchmark or the
plotting commands). Before the subcommand runs, JAX's persistent compilation cache is switched on
(:mod:`jaxdl.compilation_cache`) unless ``--no-cache`` or ``JAXDL_NO_CACHE=1`` says otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TextIO, cast

from jaxdl import _signals
from jaxdl.errors import ConfigError, DivergenceError, suggest

SUBCOMMANDS = {
    "train": "train one model (default: an MLP on the embedded digits, offline)",
    "plot": "write the course's figures as PNG files",
    "schedules": "plot a learning-rate scheduler (torch.optim.lr_scheduler names)",
    "sweep": "search hyperparameters: one model per (setting, seed) pair, all at once (one compile per rung)",
    "ovr": "one-vs-rest logistic regression: C binary classifiers as vmapped models",
    "bench": "benchmark jaxdl against PyTorch (CPU or GPU, same precision)",
    "predict": "classify .npy, .csv or image files with a trained run's model",
}
"""Subcommand -> its line in ``jaxdl --help`` (listed without importing its module, so without jax)."""
NO_CACHE_HELP = "do not read or write the persistent compilation cache (also: JAXDL_NO_CACHE=1)"


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (with a pointer to ``--help``), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", default=argparse.SUPPRESS, help=NO_CACHE_HELP)


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (its first argument that is not an option), or None."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg if arg in SUBCOMMANDS else None
    return None


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The ``jaxdl`` parser: only the module of the subcommand ``argv`` names is imported.

    Without a subcommand (``jaxdl --help``, a misspelt name) every subcommand is listed by its line in
    :data:`SUBCOMMANDS` and no module of theirs is imported: the answer comes before jax loads.

    Args:
        argv: the command line to be parsed.
    """
    parser = OneLineParser(prog="jaxdl", description="The PyTorch deep-learning course as pure, fast JAX.")
    _add_no_cache(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    chosen = _chosen(argv)
    for name in (chosen,) if chosen else SUBCOMMANDS:
        if chosen:
            importlib.import_module(f"jaxdl.cli.{'' if name == 'bench' else '_'}{name}").register(sub)
        else:
            sub.add_parser(name, help=SUBCOMMANDS[name])
        _add_no_cache(sub.choices[name])
    return parser


def run_or_report(prog: str, run: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """``run(args)``'s exit code; an error or a stop becomes one line on stderr, never a traceback.

    - :class:`~jaxdl.errors.ConfigError`: ``prog: error: ...`` and exit code 2;
    - :class:`~jaxdl.errors.DivergenceError`: ``prog: error: ...`` (which checkpoint was kept) and exit code 1;
    - Ctrl-C (exit code 130) or SIGTERM (143, :class:`jaxdl.experiments.Terminated`): ``prog:`` and its
      message, which says what the run kept, or ``interrupted before any output was written.`` (outputs
      are staged);
    - a closed standard output (``jaxdl train | head``) stops the command as a pipe stops any Unix
      tool: one line and exit code 141 (128 + SIGPIPE);
    - any other failure to write (a full disk, ``> /dev/full``): one line naming the file, or the
      standard output, and exit code 2.
    """
    stdout = sys.stdout
    if stdout is not None:
        sys.stdout = cast(TextIO, _WatchedStdout(stdout))
    try:
        return int(run(args) or 0)
    except StdoutError as failed:
        _silence(stdout)
        print(
            f"{prog}: error: cannot write to its standard output: {failed.reason}; "
            "send it to a file on a disk with space (or to /dev/null).",
            file=sys.stderr,
        )
        return 2
    except ConfigError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except DivergenceError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print(f"{prog}: {str(stop) or _signals.stopped_by(stop) + ' before any output was written.'}", file=sys.stderr)
        return _signals.exit_code(stop)
    except BrokenPipeError:
        _silence(stdout)
        print(
            f"{prog}: stopped: its standard output was closed (e.g. by `| head`); "
            "send it to a file to keep the whole log.",
            file=sys.stderr,
        )
        return 141
    except OSError as err:
        where = repr(err.filename) if err.filename else "its output"
        print(f"{prog}: error: cannot write {where}: {err.strerror or err}.", file=sys.stderr)
        return 2
    finally:
        sys.stdout = stdout


def _silence(stdout: TextIO | None) -> None:
    """Send the standard output to /dev/null: no second error when Python flushes it at exit."""
    if stdout is not None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())


class StdoutError(Exception):
    """Writing to the standard output failed for another reason than a closed pipe (``> /dev/full``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _WatchedStdout:
    """The standard output, whose write failures (but a closed pipe) are :class:`StdoutError`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise StdoutError(err.strerror or str(err)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as err:
            raise StdoutError(err.strerror or str(err)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def backend_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """One line when ``$JAX_PLATFORMS`` names a backend JAX cannot start here (``gpu`` without one, a typo), else None.

    Only looked at when the variable is set, so a plain ``jaxdl`` starts no backend before it needs one.
    """
    env = os.environ if environ is None else environ
    platforms = env.get("JAX_PLATFORMS", "")
    if not platforms:
        return None
    import jax

    try:
        jax.devices()
    except RuntimeError as err:
        reason = str(err).splitlines()[0].split(" (set JAX_PLATFORMS")[0]
        return (
            f"JAX_PLATFORMS={platforms!r} names no backend JAX can start here ({reason}): "
            "set JAX_PLATFORMS=cpu, or leave it unset to use what this machine has."
        )
    return None


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the subcommand; a :class:`ConfigError` exits 2 with one line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # Ctrl-C while jax loads is held until it has: raised inside an extension's import it leaves the process
        # to crash at exit, and raised inside a garbage-collector callback it is lost (Python only prints it)
        with _signals.held(deliver=True):
            args = _parse(build_parser(argv), argv)
            import jax  # noqa: F401  (every subcommand runs on it; --help above answered without it)

            # A multi-host run must call jax.distributed.initialize before any backend starts.
            problem = None if getattr(args, "distributed", False) else backend_problem()
            if problem is None:
                _use_compilation_cache(not getattr(args, "no_cache", False))
    except KeyboardInterrupt as stop:
        print(f"jaxdl: {_signals.stopped_by(stop)} while starting; nothing was written.", file=sys.stderr)
        return _signals.exit_code(stop)
    if problem is not None:
        print(f"jaxdl {args.command}: error: {problem}", file=sys.stderr)
        return 2
    return run_or_report(f"jaxdl {args.command}", args.run, args)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, but an unrecognized argument is reported by the subcommand's parser: its
    name, its ``--help``, and the option that was probably meant (``--optimizer_args`` -> ``--optimizer-args``)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        command = commands.choices[args.command]
        hint = ""
        if extra[0].startswith("--"):
            typed = extra[0].split("=", 1)[0]
            hint = suggest(typed.replace("_", "-"), [o for o in command._option_string_actions if o.startswith("--")])
        command.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    return args


def _use_compilation_cache(on: bool) -> None:
    from jaxdl import compilation_cache

    if on:
        compilation_cache.enable_default()
    else:
        compilation_cache.disable()
