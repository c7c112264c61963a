"""Counterexample search for a claim.

:func:`search` draws instances from ``claim.instances(drop=...)`` with Hypothesis, steers
them with ``hypothesis.target`` toward the smallest slack (``Check.slack < 0`` means the
claim fails), lets Hypothesis shrink a failing instance, and then refines the worst case
found with SciPy's Nelder–Mead over the instance's continuous parameters
(:func:`proofkit.refine.refine`), re-checking the premises at every evaluation, so the
report shows the worst case found and not a barely failing one.  A failing instance is
written as a counterexample file (:mod:`proofkit.counterexample`, schema :data:`SCHEMA`),
which :func:`replay` re-evaluates bit for bit; both are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit_budget import Deadline, SafetyStop
from .counterexample import (
    SCHEMA,
    ReplayResult,
    default_path,
    load_counterexample,
    replay,
    write_counterexample,
)
from .errors import InputError
from .instance_io import encode_instance, jsonable
from .refine import refine
from .trial import (
    is_rounding_tie,
    relative_slack,
    run_seeded,
    try_instance,
)

__all__ = [
    "SCHEMA",
    "ReplayResult",
    "SearchResult",
    "default_path",
    "is_rounding_tie",
    "load_counterexample",
    "refine",
    "relative_slack",
    "replay",
    "search",
]


class _Found(Exception):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


class _ShrinkSpent(BaseException):
    """The search's shrinking count is spent: stop with the most shrunk failure so far."""


@dataclass(frozen=True)
class SearchResult:
    """What one search found.

    ``evaluations`` counts instances on which the check ran (premises other than the
    dropped one hold), ``held`` those on which the claim held; ``worst`` is the check of the
    smallest-slack instance (after refinement); ``found`` says whether it fails, and
    ``marginal`` whether it fails only by float64 rounding; ``found_by`` is
    ``"hypothesis"`` when a drawn instance failed, ``"refinement"`` when only the
    Nelder–Mead refinement (which moves instances off the claim's strategy) reached a
    failure.  ``file`` is the counterexample
    file written (``None`` when nothing failed or no ``out`` was given).  ``safety_stop``
    says the safety stop (seconds) ended the search before its counts were spent.
    """

    claim: str
    drop_premise: str | None
    seed: int
    max_examples: int
    evaluations: int
    held: int
    rejected: int
    errors: int
    found: bool
    marginal: bool
    worst_slack: float
    worst: Mapping[str, Any] | None
    shrunk_slack: float | None
    refinement: Mapping[str, Any]
    file: str | None
    seconds: float
    note: str = ""
    found_by: str | None = None
    instance: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    shrink_evals: int = 0
    safety_stop: bool = False

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "claim", "drop_premise", "seed", "max_examples", "shrink_evals", "evaluations",
            "held", "rejected", "errors", "found", "marginal", "worst_slack", "worst",
            "shrunk_slack", "refinement", "file", "seconds", "note", "found_by", "safety_stop")}
        return jsonable(out)


def _key(instance) -> str:
    blob = json.dumps(encode_instance(instance), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _database(database: str | Path | bool | None, out: str | Path | None):
    """The Hypothesis example database for :func:`search` (``True``: beside ``out``)."""
    if database is True and out is not None:
        database = Path(out).parent / ".hypothesis-db" / Path(out).stem
    if database in (None, False, True):
        return None
    from hypothesis.database import DirectoryBasedExampleDatabase

    return DirectoryBasedExampleDatabase(str(database))


def search(claim, drop_premise: str | None = None, *, max_examples: int = 100, seed: int = 0,
           out: str | Path | None = None, dps: int = 30, refine_evals: int = 200,
           shrink_evals: int = 100, time_limit: float | None = None,
           database: str | Path | bool | None = True,
           deadline: Deadline | None = None, progress=None) -> SearchResult:
    """Search ``claim`` for an instance where it fails.

    Parameters
    ----------
    claim : Claim
    drop_premise : str, optional
        Search instances satisfying every premise but this one (to show it is needed).
    max_examples : int
        Hypothesis examples (valid draws) in the generate/target phases.
    seed : int
        Seed of the Hypothesis run and of the refinement; recorded in the file.
    out : path, optional
        Counterexample file to write when a failing instance is found.
    dps : int
        mpmath digits of the claim's check.
    refine_evals : int
        Check evaluations allowed to the Nelder–Mead refinement (0 disables it).
    shrink_evals : int
        New check evaluations allowed to shrinking once a failure is found.
    time_limit : float, optional
        Safety stop in seconds (``None``: none): when it passes, no new instance is checked
        and the result says ``safety_stop``.  The work done is set by the counts above, so
        the same seed gives the same result on any machine unless this fires.
    database : path, bool or None
        Hypothesis example database directory; ``True`` puts it at
        ``<out's directory>/.hypothesis-db/<claim>--<drop>`` (none without ``out``).  A
        database replays past failures first, so a search that should depend on its seed
        alone (as in ``proofkit audit``) passes ``None``.
    deadline : Deadline, optional
        A safety stop shared with other stages (overrides ``time_limit``).
    progress : callable, optional
        ``progress(evaluations)`` after each new instance is checked (for a progress bar).

    Returns
    -------
    SearchResult
    """
    import hypothesis
    from hypothesis import Phase
    from hypothesis.errors import HypothesisException

    if drop_premise is not None and drop_premise not in claim.premise_names:
        raise InputError(f"--drop-premise {drop_premise!r} is not a premise of {claim.id}; "
                         f"its premises are {list(claim.premise_names) or 'none'}")
    if max_examples < 1:
        raise InputError(f"--max-examples {max_examples}; it must be >= 1")
    if shrink_evals < 0 or refine_evals < 0:
        raise InputError(f"--shrink-evals {shrink_evals}, --refine-evals {refine_evals}; "
                         "both must be >= 0")
    deadline = deadline if deadline is not None else Deadline(time_limit)
    try:
        strategy = claim.instances(drop=drop_premise)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{claim.id} cannot draw instances without premise "
                         f"{drop_premise!r}: {exc}") from None

    t0 = time.perf_counter()
    seen: dict[str, tuple[Any, Any]] = {}
    stats = {"evaluations": 0, "held": 0, "rejected": 0, "errors": 0, "first_error": "",
             "shrinks": 0}
    best: list = [None]  # (slack, key)
    last_fail: list = [None]  # the latest failing instance: the most shrunk one so far

    def evaluate(inst):
        key = _key(inst)
        if key not in seen:
            deadline.check()
            if last_fail[0] is not None:  # shrinking: count the new evaluations
                if stats["shrinks"] >= shrink_evals:
                    raise _ShrinkSpent
                stats["shrinks"] += 1
            trial = try_instance(claim, inst, drop=drop_premise, dps=dps)
            stats["rejected"] += trial.rejected
            if trial.error:
                stats["errors"] += 1
                stats["first_error"] = stats["first_error"] or trial.error
            seen[key] = (inst, trial.check)
            chk = trial.check
            if chk is not None:
                stats["evaluations"] += 1
                stats["held"] += bool(chk.holds)
                if progress is not None:
                    progress(stats["evaluations"])
                if math.isfinite(chk.slack) and (best[0] is None or chk.slack < best[0][0]):
                    best[0] = (chk.slack, key)
        return key, seen[key][1]

    def body(inst):
        key, chk = evaluate(inst)
        if chk is None:
            hypothesis.reject()
        if math.isfinite(chk.slack):
            hypothesis.target(-float(chk.slack), label="negative slack")
        if not chk.holds:
            last_fail[0] = key
            raise _Found(key)

    shrunk_key, note = None, ""
    try:
        run_seeded(strategy, body, seed, max_examples=max_examples,
                   database=_database(database, out), report_multiple_bugs=False,
                   # no explain phase: it re-runs the failure under sys.settrace (10x
                   # slower in the exact flow's loops) for a report nobody prints
                   phases=tuple(ph for ph in Phase if ph.name != "explain"))
    except _Found as f:
        shrunk_key = f.key
    except _ShrinkSpent:
        shrunk_key = last_fail[0]
        note = f"shrinking stopped after {shrink_evals} evaluations"
    except SafetyStop:
        shrunk_key = last_fail[0]
        note = f"safety stop ({deadline.seconds:.3g} s) fired" + (
            " while shrinking" if shrunk_key else "")
    except BaseExceptionGroup as eg:
        found = eg.subgroup(_Found)
        shrunk_key = found.exceptions[0].key if found else None
        note = "" if found else f"Hypothesis: {eg}"
    except HypothesisException as exc:
        note = f"Hypothesis stopped: {type(exc).__name__}"
    except Exception as exc:  # the claim's strategy raised while drawing: report it
        shrunk_key = last_fail[0]
        note = f"drawing instances raised {type(exc).__name__}: {str(exc)[:300]}"
    if stats["errors"]:
        note = (note + "; " if note else "") + (f"{stats['errors']} evaluation(s) raised, "
                                                 f"first: {stats['first_error']}")
    if best[0] is None:
        return SearchResult(claim.id, drop_premise, seed, max_examples, stats["evaluations"],
                            stats["held"], stats["rejected"], stats["errors"], False, False,
                            math.nan, None, None, {"method": "none"}, None,
                            time.perf_counter() - t0, note or "no instance could be checked",
                            shrink_evals=shrink_evals, safety_stop=deadline.fired)
    start_inst, start_chk = seen[best[0][1]]
    shrunk_slack = seen[shrunk_key][1].slack if shrunk_key in seen and seen[shrunk_key][1] else None
    inst, chk, info = refine(claim, start_inst, start_chk, drop=drop_premise, dps=dps,
                             max_evals=refine_evals, seed=seed, deadline=deadline)
    found = not chk.holds
    # A failure that only the refinement reached left the claim's own strategy: the premises
    # were re-checked, but an invariant the claim does not declare may have been broken.
    found_by = None if not found else ("hypothesis" if shrunk_key is not None else "refinement")
    res = SearchResult(
        claim.id, drop_premise, seed, max_examples, stats["evaluations"], stats["held"],
        stats["rejected"], stats["errors"], found, is_rounding_tie(chk), float(chk.slack),
        jsonable(chk.to_dict()), shrunk_slack, info, None, time.perf_counter() - t0, note,
        found_by, inst, shrink_evals, deadline.fired)
    if found and out is not None:
        path = write_counterexample(out, claim, res, inst, chk, dps=dps)
        res = SearchResult(**{**res.__dict__, "file": str(path)})
    return res
