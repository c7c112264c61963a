"""``proofkit audit``: every registered claim at a budget, into one :class:`AuditResult`.

For each claim (or a ``claims=`` subset) the audit runs

1. its proof steps and numeric check on the claim's example (:func:`~proofkit.claims.run_claim`);
2. its numeric check on Hypothesis instances from ``claim.instances()`` (instances tried,
   held, worst slack; whether the SymPy statement agrees with the numeric verdict);
3. counterexample searches (:func:`proofkit.search.search`): one under all premises and one
   per droppable premise, to show which premises are needed;

and then the end-to-end flow validations of Theorems 1–2 (``proofkit.flow``, imported lazily:
when it is missing or raises, the stage is recorded as skipped with the reason).

Budgets (:data:`BUDGETS`): ``quick`` (about 1 minute on 2 cores), ``default`` (about 5
minutes) and ``deep`` (overnight).  Quick and default give every claim a share of a wall-time
allowance, so how many instances a stage reaches can depend on the machine; the result
records each stage's count and whether the time limit stopped it.  ``deep`` is bounded by
counts.  Findings are results: a claim that fails is reported, not raised.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .instance_io import jsonable

__all__ = ["AUDIT_SCHEMA", "BUDGETS", "AuditResult", "Budget", "audit_claim", "run_audit",
           "run_flows"]

AUDIT_SCHEMA = "proofkit.audit/1"


@dataclass(frozen=True)
class Budget:
    """How much work each stage gets.  ``total_s`` is the wall-time target (``None``: none)."""

    name: str
    total_s: float | None
    instances: int
    search_examples: int
    refine_evals: int
    scale: float  # Context.budget: scales Monte Carlo trials inside steps and checks
    claim_cap_s: float | None  # at most this many seconds per claim (None: no cap)
    flow: Mapping[str, Any] = field(default_factory=dict)


BUDGETS = {
    "quick": Budget("quick", 30.0, 8, 12, 40, 0.5, 6.0,
                    {"n": 3, "d": 4, "k": 1, "m": 64, "t_max": 20.0}),
    "default": Budget("default", 230.0, 30, 60, 200, 1.0, 60.0,
                      {"n": 4, "d": 5, "k": 2, "m": 256, "t_max": 50.0}),
    "deep": Budget("deep", None, 500, 1000, 3000, 4.0, None,
                   {"n": 6, "d": 8, "k": 2, "m": 4096, "t_max": 200.0}),
}


@dataclass(frozen=True)
class AuditResult:
    """Everything an audit found, JSON-able (:meth:`to_dict`) and re-loadable (:meth:`from_dict`).

    The JSON layout is documented in ``docs/audit-schema.md`` and checked by
    ``proofkit/report/audit.schema.json``.
    """

    tool_version: str
    created: str
    seed: int
    budget: str
    command: tuple[str, ...]
    environment: Mapping[str, Any]
    claims: tuple[Mapping[str, Any], ...]
    flows: Mapping[str, Any]
    summary: Mapping[str, Any]
    timings: Mapping[str, float]
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return jsonable({"schema": AUDIT_SCHEMA, "tool_version": self.tool_version,
                         "created": self.created, "seed": self.seed, "budget": self.budget,
                         "command": list(self.command), "options": dict(self.options),
                         "environment": dict(self.environment), "summary": dict(self.summary),
                         "claims": [dict(c) for c in self.claims], "flows": dict(self.flows),
                         "timings": dict(self.timings)})

    @classmethod
    def from_dict(cls, data: Any) -> AuditResult:
        """Inverse of :meth:`to_dict`; a foreign or broken document raises ``InputError``."""
        from .report.json_report import validate

        validate(data)
        return cls(data["tool_version"], data["created"], data["seed"], data["budget"],
                   tuple(data["command"]), data["environment"], tuple(data["claims"]),
                   data["flows"], data["summary"], data["timings"], data.get("options", {}))


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(f"proofkit audit: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# one claim
# ---------------------------------------------------------------------------------------
def _statement_agrees(c, inst, holds: bool) -> bool | None:
    """Does the SymPy statement with ``bind(instance)`` substituted agree with the check?
    ``None`` when it does not reduce to True/False (or raises)."""
    try:
        return bool(c.statement_holds(inst)) == bool(holds)
    except Exception:
        return None


def _instance_checks(c, *, n: int, seed: int, time_limit: float, dps: int) -> dict:
    import hypothesis
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    from .search import is_rounding_tie, relative_slack

    t0 = time.perf_counter()
    st = {"tried": 0, "held": 0, "rejected": 0, "errors": 0, "worst_slack": math.inf,
          "worst_ratio": None, "statement_agrees": 0, "statement_disagrees": 0,
          "statement_undecided": 0, "time_limited": False, "note": "", "failed_rounding": 0, "ties": 0,
          "worst_relative_slack": math.inf}

    class _Stop(BaseException):
        pass

    def body(inst):
        if time.perf_counter() - t0 > time_limit:
            st["time_limited"] = True
            raise _Stop
        try:
            ok = c.premises_hold(inst)
        except Exception as exc:
            ok = False
            st["errors"] += 1
            st["note"] = st["note"] or f"a premise raised {type(exc).__name__}: {exc}"
        if not ok:
            st["rejected"] += 1
            hypothesis.reject()
        try:
            chk = c.check(inst, dps)
        except Exception as exc:
            st["errors"] += 1
            st["note"] = st["note"] or f"check raised {type(exc).__name__}: {exc}"
            hypothesis.reject()
        st["tried"] += 1
        st["held"] += bool(chk.holds)
        st["failed_rounding"] += bool(is_rounding_tie(chk))
        tie = bool((chk.extra or {}).get("tie"))  # held only at the data's resolution
        st["ties"] += tie
        if math.isfinite(chk.slack) and chk.slack < st["worst_slack"]:
            st["worst_slack"], st["worst_ratio"] = float(chk.slack), float(chk.ratio)
        rel = relative_slack(chk.lhs, chk.rhs, chk.slack)
        if math.isfinite(rel) and rel < st["worst_relative_slack"]:
            st["worst_relative_slack"] = rel
        agree = None if c.probabilistic or tie else _statement_agrees(c, inst, chk.holds)
        key = {True: "statement_agrees", False: "statement_disagrees", None: "statement_undecided"}
        st[key[agree]] += 1

    try:
        strategy = c.instances()
        cfg = settings(max_examples=n, database=None, deadline=None, phases=(Phase.generate,),
                       suppress_health_check=list(HealthCheck), print_blob=False,
                       verbosity=Verbosity.quiet)
        hypothesis.seed(seed)(cfg(hypothesis.given(strategy)(body)))()
    except _Stop:
        pass
    except Exception as exc:  # Unsatisfiable, a strategy that raises, ...
        st["note"] = st["note"] or f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    st["failed"] = st["tried"] - st["held"]
    st["seconds"] = time.perf_counter() - t0
    return st


def _budget(budget: str | Budget) -> Budget:
    if isinstance(budget, Budget):
        return budget
    if budget not in BUDGETS:
        raise InputError(f"--budget {budget!r} is not one of {', '.join(BUDGETS)}")
    return BUDGETS[budget]


def audit_claim(claim_id: str, budget: str | Budget = "default", seed: int = 0, *,
                cx_dir: str | None = None, allowance: float | None = None,
                progress: bool = False, dps: int = 30) -> dict:
    """Audit one claim (steps on the example, instance checks, searches) → a JSON-able dict."""
    from .claims import Verdict, get_claim, run_claim, worst
    from .search import default_path, search

    b = _budget(budget)
    c = get_claim(claim_id)
    t0 = time.perf_counter()
    rec: dict[str, Any] = c.summary() | {
        "premises": [{"name": p.name, "description": p.description} for p in c.premises],
        "error": None}
    try:
        rec["statement"] = str(c.statement())
    except Exception as exc:
        rec["statement"] = f"(statement() raised {type(exc).__name__}: {exc})"
    try:
        res = run_claim(c, dps=dps, seed=seed, budget=b.scale)
        rec["example_verdict"] = res["verdict"]
        rec["steps"] = res["steps"]
        rec["example"] = {"check": res["check"], "premises_hold": res["premises_hold"],
                          "sizes": {"n": 4, "d": 5, "k": 2, "m": 200}}
    except Exception as exc:  # the claim itself crashed: a finding about the tool
        rec["error"] = f"run_claim raised {type(exc).__name__}: {exc}"
        rec["example_verdict"] = Verdict.INCONCLUSIVE.value
        rec["steps"], rec["example"] = [], None
    t_steps = time.perf_counter() - t0
    _say(progress, f"{claim_id}: steps {t_steps:.1f}s -> {rec['example_verdict']}")

    left = (allowance - t_steps) if allowance is not None else math.inf
    n_search = 1 + len(c.premises)
    inst_limit = max(0.5, 0.3 * left) if math.isfinite(left) else 3600.0
    rec["checks"] = _instance_checks(c, n=b.instances, seed=seed, time_limit=inst_limit, dps=dps)
    ch = rec["checks"]
    _say(progress, f"{claim_id}: instances {ch['held']}/{ch['tried']} held "
                   f"({ch['seconds']:.1f}s)")

    searches = []
    for drop in (None, *c.premise_names):
        left = (allowance - (time.perf_counter() - t0)) if allowance is not None else math.inf
        limit = max(0.5, left / (2 * n_search)) if math.isfinite(left) else 3600.0
        n_search -= 1
        out = default_path(claim_id, drop, cx_dir) if cx_dir else None
        try:
            r = search(c, drop, max_examples=b.search_examples, seed=seed, out=out, dps=dps,
                       refine_evals=b.refine_evals, time_limit=limit,
                       database=(Path(cx_dir).parent / ".hypothesis-db" / out.stem) if out
                       else None)
            d = r.to_dict()
            if d["file"]:
                d["file"] = f"counterexamples/{Path(d['file']).name}"
        except InputError as exc:
            d = {"drop_premise": drop, "found": False, "marginal": False, "evaluations": 0,
                 "held": 0, "worst_slack": None, "file": None, "seconds": 0.0,
                 "note": f"not searched: {exc}"}
        except Exception as exc:
            d = {"drop_premise": drop, "found": False, "marginal": False, "evaluations": 0,
                 "held": 0, "worst_slack": None, "file": None, "seconds": 0.0,
                 "note": f"search raised {type(exc).__name__}: {exc}"}
        searches.append(d)
        what = "all premises" if drop is None else f"without {drop}"
        found = ("counterexample" + (" (rounding-level)" if d.get("marginal") else "")
                 + (" (reached by refinement only)" if d.get("found_by") == "refinement" else "")
                 if d["found"] else "none found")
        _say(progress, f"{claim_id}: search {what}: {found} after {d['evaluations']} "
                       f"evaluations ({d['seconds']:.1f}s)")
    rec["searches"] = searches

    verdicts = [Verdict(rec["example_verdict"])]
    if not c.probabilistic:
        clear = [s for s in searches if s["drop_premise"] is None and s["found"]
                 and not s.get("marginal") and s.get("found_by") == "hypothesis"]
        if ch["failed"] > ch["failed_rounding"] or clear:
            verdicts.append(Verdict.ERROR)
    rec["verdict"] = worst(verdicts).value
    rec["seconds"] = time.perf_counter() - t0
    return jsonable(rec)


# ---------------------------------------------------------------------------------------
# flows (Theorems 1-2), through proofkit.flow if it is there
# ---------------------------------------------------------------------------------------
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
    b = _budget(budget)
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
        _say(progress, f"flow {name}: {rec['status']} ({rec['seconds']:.1f}s)")
        out[name] = rec
    return out


# ---------------------------------------------------------------------------------------
# the whole audit
# ---------------------------------------------------------------------------------------
def _summary(claims: Sequence[Mapping], flows: Mapping) -> dict:
    from .claims import Verdict

    verdicts = [v.value for v in Verdict]
    steps = [s["verdict"] for c in claims for s in c.get("steps", [])]
    return {
        "claims": len(claims),
        "claims_by_verdict": {v: sum(c["verdict"] == v for c in claims) for v in verdicts},
        "steps": len(steps),
        "steps_by_verdict": {v: steps.count(v) for v in verdicts},
        "counterexamples": sum(bool(s.get("file")) for c in claims for s in c["searches"]),
        "flows": {k: v.get("status") for k, v in flows.items()},
    }


def _pool_map(jobs: int, tasks: list[tuple[Callable, tuple, dict]]) -> list:
    """Run ``fn(*args, **kwargs)`` for each task, in worker processes when ``jobs > 1``."""
    if jobs <= 1 or len(tasks) <= 1:
        return [fn(*a, **kw) for fn, a, kw in tasks]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futs = [pool.submit(fn, *a, **kw) for fn, a, kw in tasks]
        return [f.result() for f in futs]


def run_audit(out: str | os.PathLike | None = "proofkit-report", *,
              budget: str | Budget = "default",
              seed: int = 0, claims: Sequence[str] | None = None, jobs: int | None = None,
              command: Sequence[str] | None = None, progress: bool = True,
              figures: bool = True) -> AuditResult:
    """Run the audit and (when ``out`` is given) write every output into ``out`` atomically.

    Parameters
    ----------
    out : path or None
        Output directory (``audit.json``, ``report.md``, ``appendix.tex``, ``figures/``,
        ``counterexamples/``); replaced as a whole only when everything was written.
    budget : {"quick", "default", "deep"} or Budget
        A name from :data:`BUDGETS`, or a :class:`Budget` of one's own.
    seed : int
    claims : sequence of str, optional
        Claim ids to audit (default: every registered claim).
    jobs : int, optional
        Worker processes for the claims (default: the number of CPUs, at most 8).
    command : sequence of str, optional
        The command line to record (default: ``sys.argv``).
    """
    from . import __version__
    from .claims import all_claims
    from .report.environment import environment

    b = _budget(budget)
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"--seed {seed!r}; it must be an integer >= 0")
    registry = all_claims()
    ids = list(registry) if not claims else list(dict.fromkeys(claims))
    unknown = [c for c in ids if c not in registry]
    if unknown:
        raise InputError(f"--claims: unknown claim(s) {', '.join(unknown)}; known: "
                         f"{', '.join(registry)}")
    jobs = min(os.cpu_count() or 1, 8) if jobs is None else jobs
    if jobs < 1:
        raise InputError(f"--jobs {jobs}; it must be >= 1")
    cmd = tuple(command if command is not None else ["proofkit", *sys.argv[1:]])
    t0 = time.perf_counter()
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _say(progress, f"{len(ids)} claim(s), budget {b.name}, seed {seed}, {jobs} job(s)")

    def compute(stage: Path | None) -> AuditResult:
        cx = str(stage / "counterexamples") if stage is not None else None
        allowance = None
        if b.total_s is not None:
            # the flows take one worker's share; the claims share the rest
            allowance = max(2.0, 0.8 * b.total_s * jobs / (len(ids) + 1))
            allowance = min(allowance, b.claim_cap_s or allowance)
        tasks = [(run_flows, (b, seed), {"progress": progress})]
        tasks += [(audit_claim, (cid, b, seed), {"cx_dir": cx, "allowance": allowance,
                                                      "progress": progress}) for cid in ids]
        t_run = time.perf_counter()
        flows, *recs = _pool_map(jobs, tasks)
        t_run = time.perf_counter() - t_run
        return AuditResult(
            tool_version=__version__, created=created, seed=seed, budget=b.name, command=cmd,
            environment=environment(), claims=tuple(recs), flows=flows,
            summary=_summary(recs, flows),
            timings={"claims_and_flows_s": t_run,
                     "flows_s": sum(f.get("seconds", 0.0) for f in flows.values()),
                     "claims_s": sum(r.get("seconds", 0.0) for r in recs),
                     "total_s": time.perf_counter() - t0},
            options={"claims": ids, "jobs": jobs, "budget_spec": {
                "total_s": b.total_s, "instances": b.instances,
                "search_examples": b.search_examples, "refine_evals": b.refine_evals,
                "scale": b.scale, "flow": dict(b.flow)}})

    if out is None:
        return compute(None)
    from .report import write_outputs
    from .report.atomic import staged_directory

    with staged_directory(out, keep=(".hypothesis-db",)) as stage:
        result = compute(stage)
        write_outputs(result, stage, figures=figures)
        _say(progress, f"wrote {Path(out)} in {time.perf_counter() - t0:.1f}s")
    return result
