"""Row 4: the exact event-driven flow against DOP853 on the same trajectory.

Both integrate the gradient flow (5) from the same initialisation (9) to ``t_max``
through :func:`proofkit.flow.run_flow`; the rows report the wall time of each and their
difference ``max|W_exact(t_max) − W_ode(t_max)|`` after the activation events between.
The engine is imported lazily: when it is missing or fails, the rows say so.
"""

from __future__ import annotations

import time

import numpy as np

from ._common import Mismatch, check_close, rel_err, row, skipped

__all__ = ["bench_flow", "final_weights"]

ACC_NAME = "flow: max|W_exact − W_DOP853| at t_max"
ACC_TARGET = "<= 1e-6"
TIME_NAME = "flow: DOP853 time / exact time"
TIME_TARGET = ">= 1"


def final_weights(traj, t_max: float) -> np.ndarray:
    """``W(t_max)`` from a :class:`proofkit.flow.record.Trajectory` (``W`` at ``W_times``)."""
    W_times = np.asarray(getattr(traj, "W_times", ()), dtype=float)
    Ws = getattr(traj, "W", ())
    if not len(Ws) or W_times.size != len(Ws):
        raise ValueError(f"trajectory of {traj.integrator!r} records no W at t_max")
    j = int(np.argmax(W_times))
    if not np.isclose(W_times[j], t_max):
        raise ValueError(f"trajectory of {traj.integrator!r} stops at t = {W_times[j]:g}, "
                         f"before t_max = {t_max:g} (status {traj.status!r})")
    return np.asarray(Ws[j], dtype=float)


def _skip_both(reason: str) -> list[dict]:
    return [skipped(ACC_NAME, "abs", ACC_TARGET, reason),
            skipped(TIME_NAME, "x", TIME_TARGET, reason)]


def bench_flow(m: int, d: int, n: int, k: int, *, t_max: float, rtol: float = 1e-11,
               atol: float = 1e-13, seed: int = 0, repeat: int = 1) -> list[dict]:
    """Rows 4a (accuracy) and 4b (time ratio); skipped with the reason if the engine is absent.

    The time ratio is reported only when both runs reach ``t_max`` and agree to 1e-4
    relative in W (the same trajectory); the accuracy row carries the exact difference.
    """
    try:
        from proofkit.flow import run_flow
    except ImportError as exc:
        return _skip_both(f"proofkit.flow.run_flow is not available yet ({exc})")
    from proofkit.network import init_network
    from proofkit.problem import random_problem

    problem = random_problem(n, d, k, seed=seed)
    net = init_network(m, d, seed=seed + 1)
    runs, times = {}, {"exact": np.inf, "ode": np.inf}
    for _ in range(max(1, repeat)):  # best of ``repeat``, the two integrators interleaved
        for integ, opts in (("exact", {}), ("ode", {"rtol": rtol, "atol": atol})):
            t0 = time.perf_counter()
            try:
                traj = run_flow(problem, net, integrator=integ, t_max=t_max, times=[t_max],
                                **opts)
                runs[integ] = (traj, final_weights(traj, t_max))
            except Exception as exc:  # another module's failure becomes a reason
                return _skip_both(f"run_flow(integrator={integ!r}) failed: "
                                  f"{type(exc).__name__}: {exc}")
            times[integ] = min(times[integ], time.perf_counter() - t0)
    (tr_e, W_e), (tr_o, W_o) = runs["exact"], runs["ode"]
    diff = float(np.max(np.abs(W_e - W_o)))
    detail = {"m": m, "d": d, "n": n, "k": k, "t_max": t_max, "rtol": rtol, "atol": atol,
              "repeat": repeat, "times_s": times, "max_abs_W_diff": diff,
              "events": {"exact": len(tr_e.events), "ode": len(tr_o.events)},
              "status": {"exact": tr_e.status, "ode": tr_o.status},
              "loss_final": {"exact": float(tr_e.loss[-1]), "ode": float(tr_o.loss[-1])}}
    rows = [row(ACC_NAME, diff, "abs", ACC_TARGET, detail=detail)]
    try:
        check_close("W(t_max) of exact vs DOP853", rel_err(W_o, W_e), 1e-4)
    except Mismatch as exc:
        rows.append(skipped(TIME_NAME, "x", TIME_TARGET, f"not the same trajectory: {exc}"))
        return rows
    rows.append(row(TIME_NAME, times["ode"] / times["exact"], "x", TIME_TARGET, detail=detail))
    return rows
