"""One claim audited: its proof steps, its check on Hypothesis instances, its searches.

:func:`audit_claim` runs, with the counts of the audit's
:class:`~proofkit.audit_budget.StagePlan` (scaled by the claim's ``effort``),

1. the claim's proof steps and numeric check on its example (:func:`~proofkit.claims.run_claim`);
2. its numeric check on Hypothesis instances from ``claim.instances()`` (instances tried,
   held, worst slack; whether the SymPy statement agrees with the numeric verdict);
3. counterexample searches (:func:`proofkit.search.search`): one under all premises and one
   per droppable premise, to show which premises are needed;

and returns the JSON-able record ``audit.json`` keeps under ``claims``.  Findings are
results: a claim that fails or crashes is recorded, not raised.  No stage stops on the
clock: the plan's safety stop, when it fires, ends the claim's remaining stages, prints one
line on stderr and marks the record ``"safety_stop": true``.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

from .audit_budget import Deadline, SafetyStop, StagePlan, resolve_budget, say
from .errors import InputError
from .instance_io import jsonable
from .trial import (
    is_rounding_tie,
    relative_slack,
    run_seeded,
    try_instance,
)

__all__ = ["audit_claim"]

EXAMPLE_SIZES = {"n": 4, "d": 5, "k": 2, "m": 200}  # the sizes run_claim's example uses


def _statement_agrees(c, inst, holds: bool) -> bool | None:
    """Does the SymPy statement with ``bind(instance)`` substituted agree with the check?
    ``None`` when it does not reduce to True/False (or raises)."""
    try:
        return bool(c.statement_holds(inst)) == bool(holds)
    except Exception:
        return None


def _instance_checks(c, *, n: int, seed: int, deadline: Deadline, dps: int) -> dict:
    """The claim's check on ``n`` Hypothesis instances under all premises (fewer when the
    strategy cannot draw that many, or the safety stop fires: ``safety_stop``)."""
    import hypothesis
    from hypothesis import Phase

    t0 = time.perf_counter()
    st = {"tried": 0, "held": 0, "rejected": 0, "errors": 0, "worst_slack": math.inf,
          "worst_ratio": None, "statement_agrees": 0, "statement_disagrees": 0,
          "statement_undecided": 0, "safety_stop": False, "note": "", "failed_rounding": 0,
          "ties": 0, "worst_relative_slack": math.inf, "planned": n}

    def body(inst):
        deadline.check()
        trial = try_instance(c, inst, dps=dps)
        st["rejected"] += trial.rejected
        if trial.error:
            st["errors"] += 1
            st["note"] = st["note"] or trial.error
        chk = trial.check
        if chk is None:
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
        run_seeded(c.instances(), body, seed, max_examples=n, database=None,
                   phases=(Phase.generate,))
    except SafetyStop:
        st["safety_stop"] = True
    except Exception as exc:  # Unsatisfiable, a strategy that raises, ...
        st["note"] = st["note"] or f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    st["failed"] = st["tried"] - st["held"]
    st["seconds"] = time.perf_counter() - t0
    return st


def _not_searched(drop: str | None, note: str, *, safety_stop: bool = False) -> dict:
    """The search record of a search that did not run (``searched`` is False)."""
    return {"drop_premise": drop, "searched": False, "found": False, "marginal": False,
            "evaluations": 0, "held": 0, "worst_slack": None, "file": None, "seconds": 0.0,
            "note": note, "safety_stop": safety_stop}


def _search_line(d: dict) -> str:
    """What a progress line says a search did."""
    if not d.get("searched", True):
        return d["note"] if d["note"].startswith("not searched") else f"not searched: {d['note']}"
    if d["found"]:
        return ("counterexample" + (" (rounding-level)" if d.get("marginal") else "")
                + (" (reached by refinement only)" if d.get("found_by") == "refinement" else "")
                + f" after {d['evaluations']} evaluations")
    if d["evaluations"] == 0:
        return "no instance could be checked" + (f" ({d['note']})" if d.get("note") else "")
    return f"none found after {d['evaluations']} evaluations"


def _searches(c, plan: StagePlan, seed: int, *, cx_dir: str | None, deadline: Deadline,
              progress: bool, dps: int) -> list[dict]:
    """One search under all premises and one per premise dropped, each with the plan's counts."""
    from .counterexample import refutes
    from .search import default_path, search

    searches = []
    for drop in (None, *c.premise_names):
        out = default_path(c.id, drop, cx_dir) if cx_dir else None
        if deadline.fired:
            d = _not_searched(drop, "not searched: the claim's safety stop fired earlier",
                              safety_stop=True)
        else:
            try:
                r = search(c, drop, max_examples=plan.search_examples, seed=seed, out=out,
                           dps=dps, refine_evals=plan.refine_evals,
                           shrink_evals=plan.shrink_evals, database=None, deadline=deadline)
                d = {"searched": True} | r.to_dict()
                d["refutes"] = refutes(c) if d["found"] else None
                if d["file"]:
                    d["file"] = f"counterexamples/{Path(d['file']).name}"
            except InputError as exc:
                d = _not_searched(drop, f"not searched: {exc}")
            except Exception as exc:
                d = _not_searched(drop, f"search raised {type(exc).__name__}: {exc}")
        searches.append(d)
        what = "all premises" if drop is None else f"without {drop}"
        say(progress, f"{c.id}: search {what}: {_search_line(d)} ({d['seconds']:.1f}s)")
    return searches


def audit_claim(claim_id: str, budget: str | StagePlan = "default", seed: int = 0, *,
                cx_dir: str | None = None, progress: bool = False, dps: int = 30) -> dict:
    """Audit one claim (steps on the example, instance checks, searches) → a JSON-able dict.

    Parameters
    ----------
    claim_id : str
    budget : {"quick", "default", "deep"} or StagePlan
        The counts (scaled by ``claim.effort``); its ``safety_s`` is the safety stop.
    seed : int
    cx_dir : str, optional
        Directory for counterexample files (none are written without it).
    progress : bool
        Print a progress line on stderr after each stage.
    dps : int
        mpmath digits of the checks.
    """
    from .claims import Verdict, get_claim, run_claim, worst

    c = get_claim(claim_id)
    b = resolve_budget(budget).for_claim(c.effort)
    deadline = Deadline(b.safety_s)
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
                          "sizes": dict(EXAMPLE_SIZES)}
    except Exception as exc:  # the claim itself crashed: a finding about the tool
        rec["error"] = f"run_claim raised {type(exc).__name__}: {exc}"
        rec["example_verdict"] = Verdict.INCONCLUSIVE.value
        rec["steps"], rec["example"] = [], None
    t_steps = time.perf_counter() - t0
    say(progress, f"{claim_id}: steps {t_steps:.1f}s -> {rec['example_verdict']}")

    rec["checks"] = ch = _instance_checks(c, n=b.instances, seed=seed, dps=dps,
                                          deadline=deadline)
    say(progress, f"{claim_id}: instances {ch['held']}/{ch['tried']} held "
                  f"({ch['seconds']:.1f}s)")
    rec["searches"] = searches = _searches(c, b, seed, cx_dir=cx_dir, deadline=deadline,
                                           progress=progress, dps=dps)
    rec["plan"] = b.spec()
    rec["safety_stop"] = deadline.fired
    if deadline.fired:
        print(f"proofkit audit: {claim_id}: safety stop ({b.safety_s:g} s) fired; this "
              "claim's record is not reproducible", file=sys.stderr, flush=True)

    verdicts = [Verdict(rec["example_verdict"])]
    if not c.probabilistic:
        clear = [s for s in searches if s["drop_premise"] is None and s["found"]
                 and not s.get("marginal") and s.get("found_by") == "hypothesis"]
        if ch["failed"] > ch["failed_rounding"] or clear:
            verdicts.append(Verdict.ERROR)
    rec["verdict"] = worst(verdicts).value
    rec["seconds"] = time.perf_counter() - t0
    return jsonable(rec)
