"""``jaxdl schedules NAME [--ARG VALUE ...] --steps N --out lr.png``: plot any learning-rate scheduler."""

from __future__ import annotations

import argparse
import ast
import inspect
import operator
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxdl import schedules as S
from jaxdl.cli._main import SUBCOMMANDS
from jaxdl.errors import ConfigError

EXAMPLES = """examples:
  jaxdl schedules CosineAnnealingWarmRestarts --lr 0.1 --T_0 10 --T_mult 1 --eta_min 0.001 --steps 100 --out sgdr.png
  jaxdl schedules MultiStepLR --lr 0.1 --milestones 30,80 --gamma 0.1 --out multistep.png
  jaxdl schedules LambdaLR --lr 0.1 --lr_lambda "0.95 ** epoch" --out lambda.png
  jaxdl schedules SequentialLR --lr 0.1 --milestones 10 --out seq.png --schedulers \\
      "LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=90)"
  jaxdl schedules all --steps 100 --out all.png

Scheduler arguments use PyTorch's names (--T_0, --eta_min, ...). Values are read as integers,
numbers, true/false, none, or text; 30,80 (or 30 80) is a list. --lr_lambda and --scale_fn take
arithmetic in `epoch` / `x` (+ - * / // % **, exp log sqrt cos sin abs floor min max).
ReduceLROnPlateau is driven by a synthetic loss that improves for 20 steps, then stays flat for 15."""

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCS = {
    "exp": jnp.exp,
    "log": jnp.log,
    "sqrt": jnp.sqrt,
    "cos": jnp.cos,
    "sin": jnp.sin,
    "abs": jnp.abs,
    "floor": jnp.floor,
    "min": jnp.minimum,
    "max": jnp.maximum,
}
_EXPRESSIONS = {"lr_lambda": "epoch", "scale_fn": "x"}
MAX_EXPRESSION = 500


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``schedules`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "schedules",
        help=SUBCOMMANDS["schedules"],
        description="Plot one scheduler (a torch.optim.lr_scheduler class name, case-insensitive) or 'all'.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", help=f"'all' or one of: {', '.join(S.SCHEDULERS)}")
    parser.add_argument(
        "params", nargs=argparse.REMAINDER, help="--steps N (default 100), --out PATH.png, --ARG VALUE ..."
    )
    parser.set_defaults(run=run, help_text=parser.format_help)  # --help after the name lands in params


def _tokens(params: list[str]) -> dict[str, list[str]]:
    """``['--a', '1', '--b=x']`` -> ``{'a': ['1'], 'b': ['x']}``."""
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(params):
        token = params[i]
        if not token.startswith("--") or len(token) == 2:
            raise ConfigError(f"unexpected {token!r}: expected --NAME VALUE pairs after the scheduler name")
        key, eq, value = token[2:].partition("=")
        i += 1
        values = [value] if eq else []
        while not eq and i < len(params) and not params[i].startswith("--"):
            values.append(params[i])
            i += 1
        if not values or values == [""]:
            raise ConfigError(f"--{key} needs a value")
        if key in found:
            raise ConfigError(f"--{key} is given twice")
        found[key] = values
    return found


def _scalar(text: str) -> object:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def _value(key: str, values: list[str]) -> object:
    parts = [p for v in values for p in v.split(",") if p]
    if key == "milestones" or len(parts) > 1:
        return [_scalar(p) for p in parts]
    return _scalar(parts[0])


def _constant(arg: str, text: str, value: float) -> jax.Array:
    with np.errstate(over="raise"):
        try:
            return jnp.asarray(np.float32(value))
        except (OverflowError, FloatingPointError):
            raise ConfigError(f"--{arg} {text!r}: the number {value!r} is too large for float32") from None


def _expression(arg: str, text: str, var: str) -> Callable:
    """Compile safe arithmetic in ``var`` (no names, attributes or imports) into a jnp function.

    Numbers and ``var`` are float32, so every operation takes bounded time and an overflow is
    ``inf`` (reported by :func:`run`), never a huge Python integer or a wrapped-around int32.
    """
    allowed = f"numbers, {var}, + - * / // % ** and {', '.join(_FUNCS)}"
    if len(text) > MAX_EXPRESSION:
        raise ConfigError(f"--{arg}: the expression is {len(text)} characters long; expected at most {MAX_EXPRESSION}")
    try:
        tree = ast.parse(text, mode="eval").body
    except (SyntaxError, RecursionError, MemoryError):
        raise ConfigError(f"--{arg} {text!r} is not an expression: use {allowed}") from None

    def build(node: ast.AST) -> Callable:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            constant = _constant(arg, text, node.value)
            return lambda v: constant
        if isinstance(node, ast.Name) and node.id == var:
            return lambda v: jnp.asarray(v, jnp.float32)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            op, left, right = _OPS[type(node.op)], build(node.left), build(node.right)
            return lambda v: op(left(v), right(v))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign, inner = (-1 if isinstance(node.op, ast.USub) else 1), build(node.operand)
            return lambda v: sign * inner(v)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS
            and not node.keywords
        ):
            fn, args = _FUNCS[node.func.id], [build(a) for a in node.args]
            return lambda v: fn(*(a(v) for a in args))
        raise ConfigError(f"--{arg} {text!r}: only {allowed} are allowed")

    try:
        return build(tree)
    except RecursionError:
        raise ConfigError(f"--{arg}: the expression is nested too deeply") from None


def _sub_schedules(text: str, lr: object) -> list:
    """``"StepLR(step_size=10), ExponentialLR(gamma=0.9)"`` -> schedules sharing ``--lr``."""
    hint = 'expected e.g. --schedulers "LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=90)"'
    unreadable = ConfigError(f"--schedulers {text!r} cannot be read: {hint}")
    try:
        body = ast.parse(text, mode="eval").body
        calls = body.elts if isinstance(body, ast.Tuple) else [body]
        specs = [
            (c.func.id, [(k.arg, ast.literal_eval(k.value)) for k in c.keywords])
            for c in calls
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and not c.args
        ]
    except (SyntaxError, ValueError):
        raise unreadable from None
    if not all(isinstance(c, ast.Call) and (c.args or isinstance(c.func, ast.Name)) for c in calls):
        raise unreadable
    if len(specs) != len(calls) or any(key is None for _, pairs in specs for key, _ in pairs):
        raise ConfigError(f"--schedulers {text!r}: give keyword arguments only, {hint}")
    built = []
    for name, pairs in specs:
        kwargs = {key: value for key, value in pairs if key is not None}
        for key, var in _EXPRESSIONS.items():
            if isinstance(kwargs.get(key), str):
                kwargs[key] = _expression(key, kwargs[key], var)
        if "lr" in inspect.signature(S.resolve(name)[1]).parameters and "lr" not in kwargs and lr is not None:
            kwargs["lr"] = lr
        built.append(S.by_name(name, **kwargs))
    return built


def _plateau_metric(steps: int) -> np.ndarray:
    """The synthetic loss that drives ReduceLROnPlateau in plots: 20 steps of progress, 15 flat, repeated."""
    t = np.arange(steps)
    progress = 20 * (t // 35) + np.minimum(t % 35, 20)
    return 1.0 / (1.0 + 0.05 * progress)


def _plateau_values(plateau: S.Plateau, metric: np.ndarray) -> np.ndarray:
    """The rate after each metric, computed in one jitted ``lax.scan``."""
    _, lrs = jax.jit(lambda m: jax.lax.scan(plateau.step, plateau.init(), m))(jnp.asarray(metric))
    return np.asarray(lrs)


def _gallery(steps: int, lr: float = 0.1) -> dict[str, S.Schedule | np.ndarray]:
    """Every scheduler with arguments scaled to ``steps`` (for ``jaxdl schedules all``)."""
    tenth, quarter, half = max(1, steps // 10), max(1, steps // 4), max(1, steps // 2)
    decay = 0.01 ** (1 / steps)
    return {
        "LambdaLR": S.lambda_lr(lr, lambda e: 1 / (1 + 10 * e / steps)),
        "MultiplicativeLR": S.multiplicative_lr(lr, lambda e: jnp.where(e % tenth == 0, 0.8, 1.0)),
        "StepLR": S.step_lr(lr, quarter, gamma=0.5),
        "MultiStepLR": S.multi_step_lr(lr, [half, 3 * quarter]),
        "ConstantLR": S.constant_lr(lr, total_iters=quarter),
        "LinearLR": S.linear_lr(lr, start_factor=0.1, total_iters=half),
        "ExponentialLR": S.exponential_lr(lr, gamma=decay),
        "PolynomialLR": S.polynomial_lr(lr, total_iters=steps, power=2.0),
        "CosineAnnealingLR": S.cosine_annealing_lr(lr, T_max=half, eta_min=lr / 100),
        "CosineAnnealingWarmRestarts": S.cosine_annealing_warm_restarts(lr, T_0=tenth, T_mult=2, eta_min=lr / 100),
        "CyclicLR": S.cyclic_lr(lr / 100, lr, step_size_up=tenth, mode="triangular2"),
        "OneCycleLR": S.one_cycle_lr(lr, total_steps=max(steps, 4)),
        "SequentialLR": S.sequential_lr(
            [S.linear_lr(lr, 0.1, total_iters=tenth), S.cosine_annealing_lr(lr, T_max=max(1, steps - tenth))], [tenth]
        ),
        "ChainedScheduler": S.chained_scheduler([S.constant_lr(lr, 0.1, quarter), S.exponential_lr(lr, decay)]),
        "ReduceLROnPlateau": _plateau_values(S.reduce_lr_on_plateau(lr, factor=0.5), _plateau_metric(steps)),
    }


def _positive_steps(values: list[str] | None) -> int:
    text = values[0] if values else "100"
    steps = _scalar(text)
    if type(steps) is not int or steps < 1 or (values and len(values) > 1):
        raise ConfigError(f"--steps must be an integer >= 1, got {' '.join(values or [text])!r}")
    return steps


def _out_path(values: list[str] | None) -> Path:
    if not values:
        raise ConfigError("--out is missing: expected an image path such as --out lr.png")
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(" ".join(values))
    kinds = {k for k in FigureCanvasBase.get_supported_filetypes() if k != "pgf"}  # pgf needs a LaTeX install
    if path.suffix.lstrip(".").lower() not in kinds:
        raise ConfigError(f"--out {str(path)!r} needs an image extension: one of {', '.join(sorted(kinds))}")
    if path.is_dir():
        raise ConfigError(f"--out {str(path)!r} is a folder: expected a file such as lr.png")
    return path


def _curves(name: str, params: dict[str, list[str]], steps: int) -> tuple[dict[str, S.Schedule | np.ndarray], str]:
    """The curves to draw and the figure title."""
    cls, _ = S.resolve(name)
    kwargs = {key: _value(key, v) for key, v in params.items() if key not in _EXPRESSIONS and key != "schedulers"}
    for key, var in _EXPRESSIONS.items():
        if key in params:
            kwargs[key] = _expression(key, " ".join(params[key]), var)
    title = f"{cls}(" + ", ".join(f"{k}={' '.join(v)}" for k, v in params.items()) + ")"
    if cls in ("SequentialLR", "ChainedScheduler"):
        if "schedulers" not in params:
            raise ConfigError(f'{cls}: --schedulers is missing, e.g. --schedulers "StepLR(step_size=10), ..."')
        kwargs["schedulers"] = _sub_schedules(" ".join(params["schedulers"]), kwargs.pop("lr", None))
    built = S.by_name(cls, **kwargs)
    if isinstance(built, S.Plateau):
        title += " on a synthetic loss (20 steps better, 15 flat)"
        return {cls: _plateau_values(built, _plateau_metric(steps))}, title
    return {cls: built}, title


def run(args: argparse.Namespace) -> int:
    """Check every argument, compute the curves, then write the figure; print its path."""
    if {"-h", "--help"} & set(args.params):
        print(args.help_text(), end="")
        return 0
    from jaxdl.plots import plot_schedules, schedule_values

    params = _tokens(args.params)
    steps = _positive_steps(params.pop("steps", None))
    out = _out_path(params.pop("out", None))
    if args.name.lower() == "all":
        if params:
            raise ConfigError(f"'all' takes only --steps and --out, got --{next(iter(params))}")
        curves, title, grid = _gallery(steps), f"torch.optim.lr_scheduler as jaxdl schedules ({steps} steps)", True
    else:
        (curves, title), grid = _curves(args.name, params, steps), False
    values = {label: schedule_values(c, steps) for label, c in curves.items()}
    for label, v in values.items():
        if not np.all(np.isfinite(v)):
            raise ConfigError(
                f"{label}: the schedule gives non-finite rates for these arguments "
                "(an overflow such as a huge power, or a division by zero)"
            )
    fig = plot_schedules(values, steps, grid=grid, title=title)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--out {str(out)!r}: its folder cannot be created ({err.strerror})") from err
    fig.savefig(out, dpi=110)
    print(out)
    return 0
