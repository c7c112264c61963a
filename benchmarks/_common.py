"""Timing, row records and the shared problem instance of the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = [
    "Mismatch",
    "check_close",
    "clock_for",
    "interleaved",
    "median_time",
    "met",
    "ratio_stats",
    "rel_err",
    "row",
    "samples",
    "skipped",
]


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``fn`` (seconds, ``time.perf_counter``)."""
    return interleaved({"_": fn}, repeat)["_"]


def samples(fns: dict[str, Callable[[], object]], repeat: int,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Times of ``repeat`` rounds; each round calls every function once, in turn.

    Interleaving makes the ratios robust to a shared machine whose speed drifts during the
    run: each round sees every side under the same load.  ``clock`` is wall time by
    default; see :func:`clock_for`.
    """
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, int(repeat))):
        for name, fn in fns.items():
            t0 = clock()
            fn()
            out[name].append(clock() - t0)
    return out


def clock_for(threads: int) -> tuple[Callable[[], float], str]:
    """``(clock, name)``: the process CPU time when every BLAS call runs on one thread, else
    wall time.  With one thread the CPU time is the work done, and it does not count the
    time the process waits for a core on a machine shared with other jobs; with several
    threads idle spinning would inflate it, so wall time is used."""
    if threads == 1:
        return time.process_time, "process CPU time (BLAS and torch on 1 thread)"
    return time.perf_counter, "wall time"


def interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each function over ``repeat`` interleaved rounds (see :func:`samples`)."""
    import statistics

    return {k: statistics.median(v) for k, v in samples(fns, repeat).items()}


def ratio_stats(num: list[float], den: list[float]) -> dict:
    """Per-round ratios ``num/den``: median, min, max (the spread) and the rounds."""
    import statistics

    r = [a / b for a, b in zip(num, den, strict=True)]
    return {"median": statistics.median(r), "min": min(r), "max": max(r), "rounds": len(r)}


def rel_err(a, b) -> float:
    """``max|a − b| / max(max|b|, tiny)`` over all entries (NumPy arrays or scalars)."""
    import numpy as np

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(float(np.max(np.abs(b), initial=0.0)), np.finfo(float).tiny)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale


def met(value: float, target: str) -> bool:
    """Whether ``value`` meets ``target`` (``"<= 1.5"``, ``">= 5"``, ``"< 2"``, ``"> 0"``).

    >>> met(1.2, "<= 1.5"), met(4.0, ">= 5")
    (True, False)
    """
    op, _, num = target.strip().partition(" ")
    bound = float(num)
    ops = {"<=": value <= bound, ">=": value >= bound, "<": value < bound, ">": value > bound}
    if op not in ops:
        raise ValueError(f"target {target!r}: the operator must be one of {sorted(ops)}")
    return bool(ops[op])


def row(name: str, value: float, unit: str, target: str, **extra) -> dict:
    """A measured row; ``met`` is computed from ``value`` and ``target``."""
    value = float(value)
    return {"name": name, "value": value, "unit": unit, "target": target,
            "met": met(value, target), **extra}


def skipped(name: str, unit: str, target: str, reason: str, **extra) -> dict:
    """A row that was not measured: ``value`` and ``met`` are ``None``, ``reason`` says why."""
    return {"name": name, "value": None, "unit": unit, "target": target, "met": None,
            "reason": reason, **extra}


class Mismatch(AssertionError):
    """The two sides of a benchmark did not compute the same thing: no time is reported."""


def check_close(what: str, err: float, tol: float) -> None:
    """Raise :class:`Mismatch` naming ``what`` when ``err > tol``."""
    if not err <= tol:
        raise Mismatch(f"{what}: relative difference {err:.3e} exceeds {tol:.1e}")
