"""torch.optim.LBFGS's strong-Wolfe line search (``_strong_wolfe``, ``_cubic_interpolate``) as jittable loops."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None) -> jax.Array:
    """Minimizer of the cubic through ``(x1, f1, g1)`` and ``(x2, f2, g2)``, clipped to ``bounds``.

    Without ``bounds`` the interval between ``x1`` and ``x2``; where the cubic has no minimum,
    the middle of the bounds (as torch's ``_cubic_interpolate``).

    >>> float(cubic_interpolate(0.0, 1.0, -2.0, 2.0, 1.0, 2.0))
    1.0
    """
    if bounds is None:
        lo, hi = jnp.minimum(x1, x2), jnp.maximum(x1, x2)
    else:
        lo, hi = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    d2 = jnp.sqrt(jnp.maximum(d2_square, 0))
    ascending = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    descending = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    min_pos = jnp.where(x1 <= x2, ascending, descending)
    return jnp.where(d2_square >= 0, jnp.minimum(jnp.maximum(min_pos, lo), hi), (lo + hi) / 2.0)


class _Search(NamedTuple):
    t_prev: jax.Array
    f_prev: jax.Array
    g_prev: jax.Array
    gtd_prev: jax.Array
    t: jax.Array
    f_new: jax.Array
    g_new: jax.Array
    gtd_new: jax.Array
    ls_iter: jax.Array
    status: jax.Array  # 0 searching, 1 bracketed, 2 strong Wolfe holds


class _Zoom(NamedTuple):
    bracket: jax.Array  # (2,)
    bracket_f: jax.Array  # (2,)
    bracket_g: jax.Array  # (2, n)
    bracket_gtd: jax.Array  # (2,)
    low: jax.Array
    insuf_progress: jax.Array
    done: jax.Array
    ls_iter: jax.Array


def strong_wolfe(
    fg: Callable[[jax.Array], tuple[jax.Array, jax.Array]],
    x: jax.Array,
    t: jax.Array,
    d: jax.Array,
    f: jax.Array,
    g: jax.Array,
    gtd: jax.Array,
    max_ls: jax.Array,
    *,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """torch's ``_strong_wolfe`` along ``d`` from ``x`` (shape (n,)): returns ``(f_new, g_new, t, evaluations)``.

    ``fg(x) -> (loss, gradient)``; ``f, g, gtd`` are the loss, gradient and ``g @ d`` at ``x``.
    """
    d_norm = jnp.max(jnp.abs(d))
    f_new, g_new = fg(x + t * d)
    first = _Search(jnp.zeros_like(t), f, g, gtd, t, f_new, g_new, g_new @ d, jnp.int32(0), jnp.int32(0))

    def search_cond(s):
        return (s.status == 0) & (s.ls_iter < max_ls)

    def search_body(s):
        armijo_fails = (s.f_new > f + c1 * s.t * gtd) | ((s.ls_iter > 1) & (s.f_new >= s.f_prev))
        wolfe = jnp.abs(s.gtd_new) <= -c2 * gtd
        status = jnp.where(armijo_fails, 1, jnp.where(wolfe, 2, jnp.where(s.gtd_new >= 0, 1, 0))).astype(jnp.int32)

        def advance(s):
            bounds = (s.t + 0.01 * (s.t - s.t_prev), s.t * 10)
            t = cubic_interpolate(s.t_prev, s.f_prev, s.gtd_prev, s.t, s.f_new, s.gtd_new, bounds)
            f_new, g_new = fg(x + t * d)
            return _Search(s.t, s.f_new, s.g_new, s.gtd_new, t, f_new, g_new, g_new @ d, s.ls_iter + 1, status)

        return jax.lax.cond(status == 0, advance, lambda s: s._replace(status=status), s)

    s = jax.lax.while_loop(search_cond, search_body, first)
    exhausted = s.ls_iter == max_ls
    pair = lambda a, b: jnp.stack([a, b])  # noqa: E731
    bracket = jnp.where(
        exhausted, pair(jnp.zeros_like(s.t), s.t), jnp.where(s.status == 2, pair(s.t, s.t), pair(s.t_prev, s.t))
    )
    bracket_f = jnp.where(
        exhausted, pair(f, s.f_new), jnp.where(s.status == 2, pair(s.f_new, s.f_new), pair(s.f_prev, s.f_new))
    )
    bracket_g = jnp.where(
        exhausted, pair(g, s.g_new), jnp.where(s.status == 2, pair(s.g_new, s.g_new), pair(s.g_prev, s.g_new))
    )
    bracket_gtd = pair(s.gtd_prev, s.gtd_new)
    low = jnp.where(bracket_f[0] <= bracket_f[1], 0, 1).astype(jnp.int32)
    done = (s.status == 2) & ~exhausted
    zoom = _Zoom(bracket, bracket_f, bracket_g, bracket_gtd, low, jnp.bool_(False), done, s.ls_iter)

    def zoom_cond(z):
        return ~z.done & (z.ls_iter < max_ls) & ~(jnp.abs(z.bracket[1] - z.bracket[0]) * d_norm < tolerance_change)

    def zoom_body(z):
        b_lo, b_hi = jnp.min(z.bracket), jnp.max(z.bracket)
        t = cubic_interpolate(
            z.bracket[0], z.bracket_f[0], z.bracket_gtd[0], z.bracket[1], z.bracket_f[1], z.bracket_gtd[1]
        )
        eps = 0.1 * (b_hi - b_lo)
        near = jnp.minimum(b_hi - t, t - b_lo) < eps
        move = near & (z.insuf_progress | (t >= b_hi) | (t <= b_lo))
        t = jnp.where(move, jnp.where(jnp.abs(t - b_hi) < jnp.abs(t - b_lo), b_hi - eps, b_lo + eps), t)
        insuf = near & ~move
        f_new, g_new = fg(x + t * d)
        gtd_new = g_new @ d
        high = (1 - z.low).astype(jnp.int32)
        worse = (f_new > f + c1 * t * gtd) | (f_new >= z.bracket_f[z.low])
        done = ~worse & (jnp.abs(gtd_new) <= -c2 * gtd)
        flip = ~worse & ~done & (gtd_new * (z.bracket[high] - z.bracket[z.low]) >= 0)

        def put(arr, i, value):
            return arr.at[i].set(value)

        def copy_low_to_high(arr):
            return jnp.where(flip, arr.at[high].set(arr[z.low]), arr)

        arrays = [z.bracket, z.bracket_f, z.bracket_g, z.bracket_gtd]
        news = [t, f_new, g_new, gtd_new]
        worse_arrays = [put(a, high, v) for a, v in zip(arrays, news, strict=True)]
        better_arrays = [put(copy_low_to_high(a), z.low, v) for a, v in zip(arrays, news, strict=True)]
        bracket, bracket_f, bracket_g, bracket_gtd = (
            jnp.where(worse, w, b) for w, b in zip(worse_arrays, better_arrays, strict=True)
        )
        low = jnp.where(worse, jnp.where(bracket_f[0] <= bracket_f[1], 0, 1), z.low).astype(jnp.int32)
        return _Zoom(bracket, bracket_f, bracket_g, bracket_gtd, low, insuf, done, z.ls_iter + 1)

    z = jax.lax.while_loop(zoom_cond, zoom_body, zoom)
    evaluations = z.ls_iter + 1
    return z.bracket_f[z.low], z.bracket_g[z.low], z.bracket[z.low], evaluations
