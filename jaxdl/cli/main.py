"""``jaxdl`` console entry point: argument parsing only; each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from jaxdl.errors import ConfigError

SUBCOMMANDS = ("train", "plot", "schedules", "sweep", "ovr", "bench")


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (with a pointer to ``--help``), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``jaxdl`` parser with one subparser per module in ``jaxdl.cli``."""
    parser = OneLineParser(prog="jaxdl", description="The PyTorch deep-learning course as pure, fast JAX.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"jaxdl.cli.{name}")
        module.register(sub)
    return parser


def run_or_report(prog: str, run: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """``run(args)``'s exit code; a :class:`ConfigError` becomes one ``prog: error: ...`` line and exit code 2.

    Ctrl-C that ``run`` does not handle itself (e.g. while loading data or compiling) is one
    ``prog: interrupted`` line and exit code 130; outputs are staged, so nothing was written.
    """
    try:
        return int(run(args) or 0)
    except ConfigError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted before any output was written.", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the subcommand; a :class:`ConfigError` exits 2 with one line."""
    args = build_parser().parse_args(argv)
    return run_or_report(f"jaxdl {args.command}", args.run, args)


if __name__ == "__main__":
    sys.exit(main())
