"""Row 5: time of a certified lower bound on λ* = λmin(H∞) for N = n(k+1) = 200.

The bound comes from :func:`proofkit.precision.certified_lambda_min_lower` (interval
arithmetic, python-flint arb), imported lazily: when it is missing or fails, the row says
so.  Before the time is reported the bound is checked against the float64 ``eigvalsh``
value: a lower bound must not exceed it.
"""

from __future__ import annotations

import time

import numpy as np

from ._common import Mismatch, row, skipped

__all__ = ["bench_certified_lambda", "bound_value"]

NAME = "certified λ* lower bound, N = 200"
TARGET = "<= 5"


def bound_value(result) -> float:
    """The lower bound as a float, whether returned bare or as a record with a bound field."""
    for attr in ("lower", "lower_bound", "bound", "value"):
        if hasattr(result, attr):
            return float(getattr(result, attr))
    if isinstance(result, tuple):
        return float(result[0])
    return float(result)


def bench_certified_lambda(n: int, d: int, k: int, *, seed: int = 0) -> dict:
    """Row 5: seconds for a proved lower bound on λ* of a seeded problem with N = n(k+1).

    The timed call is ``certified_lambda_star(problem)`` (H∞ built in arb from the data,
    then the bound) when the module has it, else ``certified_lambda_min_lower`` of the
    float64 H∞; the other timing, where available, goes in ``detail``.
    """
    name = NAME if n * (k + 1) == 200 else f"certified λ* lower bound, N = {n * (k + 1)}"
    try:
        from proofkit import precision
        lower_fn = precision.certified_lambda_min_lower
    except (ImportError, AttributeError) as exc:
        return skipped(name, "s", TARGET,
                       f"proofkit.precision.certified_lambda_min_lower is not available ({exc})")
    from proofkit.kernels import h_infinity
    from proofkit.problem import random_problem

    problem = random_problem(n, d, k, seed=seed)
    H = h_infinity(problem)
    lam = float(np.linalg.eigvalsh(H)[0])
    calls = {"certified_lambda_min_lower(float64 H∞)": lambda: lower_fn(H)}
    star = getattr(precision, "certified_lambda_star", None)
    if star is not None:
        calls = {"certified_lambda_star(problem)": lambda: star(problem), **calls}
    times, bounds = {}, {}
    for label, call in calls.items():
        t0 = time.perf_counter()
        try:
            result = call()
        except Exception as exc:  # another module's failure becomes a reason
            return skipped(name, "s", TARGET, f"{label} failed: {type(exc).__name__}: {exc}")
        times[label] = time.perf_counter() - t0
        bounds[label] = result
    timed = next(iter(calls))
    lower = bound_value(bounds[timed])
    certified = bool(getattr(bounds[timed], "certified", True))
    # eigvalsh's own error is O(N eps ‖H‖); a sound lower bound stays below λ + that
    slack = problem.N * np.finfo(float).eps * float(np.linalg.norm(H, 2))
    if certified and not lower <= lam + slack:
        raise Mismatch(f"certified lower bound {lower!r} exceeds eigvalsh λmin {lam!r}")
    detail = {"n": n, "d": d, "k": k, "N": problem.N, "timed": timed, "times_s": times,
              "lambda_float64": lam,
              "lower": {lb: bound_value(b) for lb, b in bounds.items()},
              "certified": {lb: bool(getattr(b, "certified", True))
                            for lb, b in bounds.items()},
              "relative_gap": (lam - lower) / abs(lam) if lam else None}
    out = row(name, times[timed], "s", TARGET, detail=detail)
    if not certified:
        out["met"] = False
        out["reason"] = f"no proof found: {getattr(bounds[timed], 'detail', '')}"
    return out
