"""One claim audited: its proof steps, its check on Hypothesis instances, its searches.

:func:`audit_claim` runs, within a time ``allowance`` shared out by
:func:`~proofkit.audit_budget.time_share`,

1. the claim's proof steps and numeric check on its example (:func:`~proofkit.claims.run_claim`);
2. its numeric check on Hypothesis instances from ``claim.instances()`` (instances tried,
   held, worst slack; whether the SymPy statement agrees with the numeric verdict);
3. counterexample searches (:func:`proofkit.search.search`): one under all premises and one
   per droppable premise, to show which premises are needed;

and returns the JSON-able record ``audit.json`` keeps under ``claims``.  Findings are
results: a claim that fails or crashes is recorded, not raised.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from .audit_budget import Budget, resolve_budget, say, time_share
from .errors import InputError
from .instance_io import jsonable
from .trial import TimeUp, is_rounding_tie, quiet_settings, relative_slack, try_instance

__all__ = ["audit_claim"]

EXAMPLE_SIZES = {"n": 4, "d": 5, "k": 2, "m": 200}  # the sizes run_claim's example uses


def _statement_agrees(c, inst, holds: bool) -> bool | None:
    """Does the SymPy statement with ``bind(instance)`` substituted agree with the check?
    ``None`` when it does not reduce to True/False (or raises)."""
    try:
        return bool(c.statement_holds(inst)) == bool(holds)
    except Exception:
        return None


def _instance_checks(c, *, n: int, seed: int, time_limit: float, dps: int) -> dict:
    """The claim's check on up to ``n`` Hypothesis instances under all premises."""
    import hypothesis
    from hypothesis import Phase

    t0 = time.perf_counter()
    st = {"tried": 0, "held": 0, "rejected": 0, "errors": 0, "worst_slack": math.inf,
          "worst_ratio": None, "statement_agrees": 0, "statement_disagrees": 0,
          "statement_undecided": 0, "time_limited": False, "note": "", "failed_rounding": 0, "ties": 0,
          "worst_relative_slack": math.inf}

    def body(inst):
        if time.perf_counter() - t0 > time_limit:
            st["time_limited"] = True
            raise TimeUp
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
        strategy = c.instances()
        cfg = quiet_settings(max_examples=n, database=None, phases=(Phase.generate,))
        hypothesis.seed(seed)(cfg(hypothesis.given(strategy)(body)))()
    except TimeUp:
        pass
    except Exception as exc:  # Unsatisfiable, a strategy that raises, ...
        st["note"] = st["note"] or f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    st["failed"] = st["tried"] - st["held"]
    st["seconds"] = time.perf_counter() - t0
    return st


def _not_searched(drop: str | None, note: str) -> dict:
    """The search record of a search that could not run."""
    return {"drop_premise": drop, "found": False, "marginal": False, "evaluations": 0,
            "held": 0, "worst_slack": None, "file": None, "seconds": 0.0, "note": note}


def _searches(c, b: Budget, seed: int, *, cx_dir: str | None, allowance: float | None,
              t0: float, progress: bool, dps: int) -> list[dict]:
    """One search under all premises and one per premise dropped, sharing what time is left."""
    from .search import default_path, search

    searches = []
    drops = (None, *c.premise_names)
    for i, drop in enumerate(drops):
        limit = time_share(allowance, time.perf_counter() - t0, 1 / (2 * (len(drops) - i)))
        out = default_path(c.id, drop, cx_dir) if cx_dir else None
        try:
            r = search(c, drop, max_examples=b.search_examples, seed=seed, out=out, dps=dps,
                       refine_evals=b.refine_evals, time_limit=limit,
                       database=(Path(cx_dir).parent / ".hypothesis-db" / out.stem) if out
                       else None)
            d = r.to_dict()
            if d["file"]:
                d["file"] = f"counterexamples/{Path(d['file']).name}"
        except InputError as exc:
            d = _not_searched(drop, f"not searched: {exc}")
        except Exception as exc:
            d = _not_searched(drop, f"search raised {type(exc).__name__}: {exc}")
        searches.append(d)
        what = "all premises" if drop is None else f"without {drop}"
        found = ("counterexample" + (" (rounding-level)" if d.get("marginal") else "")
                 + (" (reached by refinement only)" if d.get("found_by") == "refinement" else "")
                 if d["found"] else "none found")
        say(progress, f"{c.id}: search {what}: {found} after {d['evaluations']} "
                      f"evaluations ({d['seconds']:.1f}s)")
    return searches


def audit_claim(claim_id: str, budget: str | Budget = "default", seed: int = 0, *,
                cx_dir: str | None = None, allowance: float | None = None,
                progress: bool = False, dps: int = 30) -> dict:
    """Audit one claim (steps on the example, instance checks, searches) → a JSON-able dict.

    Parameters
    ----------
    claim_id : str
    budget : {"quick", "default", "deep"} or Budget
    seed : int
    cx_dir : str, optional
        Directory for counterexample files (none are written without it).
    allowance : float, optional
        Seconds the whole claim may take (``None``: no wall-time limit).
    progress : bool
        Print a progress line on stderr after each stage.
    dps : int
        mpmath digits of the checks.
    """
    from .claims import Verdict, get_claim, run_claim, worst

    b = resolve_budget(budget)
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
                          "sizes": dict(EXAMPLE_SIZES)}
    except Exception as exc:  # the claim itself crashed: a finding about the tool
        rec["error"] = f"run_claim raised {type(exc).__name__}: {exc}"
        rec["example_verdict"] = Verdict.INCONCLUSIVE.value
        rec["steps"], rec["example"] = [], None
    t_steps = time.perf_counter() - t0
    say(progress, f"{claim_id}: steps {t_steps:.1f}s -> {rec['example_verdict']}")

    rec["checks"] = ch = _instance_checks(c, n=b.instances, seed=seed, dps=dps,
                                          time_limit=time_share(allowance, t_steps, 0.3))
    say(progress, f"{claim_id}: instances {ch['held']}/{ch['tried']} held "
                  f"({ch['seconds']:.1f}s)")
    rec["searches"] = searches = _searches(c, b, seed, cx_dir=cx_dir, allowance=allowance,
                                           t0=t0, progress=progress, dps=dps)

    verdicts = [Verdict(rec["example_verdict"])]
    if not c.probabilistic:
        clear = [s for s in searches if s["drop_premise"] is None and s["found"]
                 and not s.get("marginal") and s.get("found_by") == "hypothesis"]
        if ch["failed"] > ch["failed_rounding"] or clear:
            verdicts.append(Verdict.ERROR)
    rec["verdict"] = worst(verdicts).value
    rec["seconds"] = time.perf_counter() - t0
    return jsonable(rec)
