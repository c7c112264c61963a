"""The end-to-end flow validations of Theorems 1–2 inside an audit.

:func:`run_flows` calls ``proofkit.flow.validate_theorem1`` / ``validate_theorem2`` at the
budget's sizes (and ``run_flow`` for a digest of the Theorem 1 trajectory).
``proofkit.flow`` is imported lazily, and its functions are called with only the keyword
arguments their signatures accept: when it is missing or raises, the stage is recorded as
skipped with the reason, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .audit_budget import Budget, resolve_budget, say
from .instance_io import jsonable

__all__ = ["run_flows"]


def _call(fn: Callable, *args, **kwargs):
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def _trajectory_digest(traj, points: int = 200) -> dict:
    import numpy as np

    d = traj.to_dict() if hasattr(traj, "to_dict") else dict(traj)
    t = np.asarray(d.get("times", []), dtype=float)
    idx = np.unique(np.linspace(0, max(len(t) - 1, 0), min(points, len(t))).astype(int))
    out = {"summary": d.get("summary", {})}
    for name in ("times", "loss", "e_norm2", "S_norm2", "lambda_min_H", "kernel_drift_F"):
        if name in d and len(d[name]) == len(t):
            out[name] = np.asarray(d[name], dtype=float)[idx].tolist()
    return out


def _run_flow(run: Callable, problem, m: int, seed: int, t_max: float):
    """``run_flow`` takes a network (``run_flow(problem, net, ...)``) or ``(problem, m, seed)``."""
    import inspect

    params = list(inspect.signature(run).parameters)
    if len(params) > 1 and params[1] in ("net", "network"):
        from .network import init_network

        return _call(run, problem, init_network(m, problem.d, seed=seed), t_max=t_max)
    return _call(run, problem, m, seed, t_max=t_max)


def run_flows(budget: str | Budget = "default", seed: int = 0, *,
              progress: bool = False) -> dict:
    """Theorem 1 and 2 flow validations at the budget's sizes; never raises."""
    b = resolve_budget(budget)
    f = b.flow
    out: dict[str, Any] = {}
    try:
        import proofkit.flow as flow
    except Exception as exc:
        reason = f"proofkit.flow could not be imported: {type(exc).__name__}: {exc}"
        return {t: {"status": "skipped", "reason": reason} for t in ("theorem1", "theorem2")}
    from .problem import random_problem

    for name, assumption in (("theorem1", 1), ("theorem2", 2)):
        t0 = time.perf_counter()
        rec: dict[str, Any] = {"sizes": dict(f), "seed": seed}
        fn = getattr(flow, f"validate_{name}", None)
        if fn is None:
            rec.update(status="skipped", reason=f"proofkit.flow has no validate_{name}")
            out[name] = rec
            continue
        try:
            problem = random_problem(f["n"], f["d"], f["k"], assumption=assumption, seed=seed)
            res = _call(fn, problem, f["m"], seed, t_max=f["t_max"])
            rec.update(status="ran", result=jsonable(res))
            run = getattr(flow, "run_flow", None)
            if run is not None and name == "theorem1":
                try:
                    rec["trajectory"] = jsonable(_trajectory_digest(
                        _run_flow(run, problem, f["m"], seed, f["t_max"])))
                except Exception as exc:
                    rec["trajectory_note"] = f"run_flow raised {type(exc).__name__}: {exc}"
        except Exception as exc:
            rec.update(status="skipped", reason=f"validate_{name} raised "
                       f"{type(exc).__name__}: {str(exc)[:500]}")
        rec["seconds"] = time.perf_counter() - t0
        say(progress, f"flow {name}: {rec['status']} ({rec['seconds']:.1f}s)")
        out[name] = rec
    return out
