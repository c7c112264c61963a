"""``proofkit audit``: every registered claim at a budget, into one :class:`AuditResult`.

For each claim (or a ``claims=`` subset) the audit runs :func:`audit_claim` (proof steps,
numeric checks on Hypothesis instances, counterexample searches; :mod:`proofkit.claim_audit`)
and, beside them, the end-to-end flow validations of Theorems 1–2 (:func:`run_flows`;
:mod:`proofkit.flow_audit`), in worker processes when ``jobs > 1``.  The budget is resolved
once into a :class:`~proofkit.audit_budget.StagePlan` of counts (:data:`BUDGETS`) that every
stage reads, so the same seed and budget give the same audit with any ``jobs`` and under any
load, apart from the fields :data:`~proofkit.audit_budget.TIMING_FIELDS` names.  Findings are
results: a claim that fails is reported, not raised.  :func:`run_audit` writes every output
into a directory that is replaced as a whole only when everything was written.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit_budget import BUDGETS, Budget, resolve_budget, say
from .claim_audit import audit_claim
from .errors import InputError
from .flow_audit import run_flows
from .instance_io import jsonable
from .outdir import check_folder
from .workers import pool_map, resolve_jobs

__all__ = ["AUDIT_SCHEMA", "BUDGETS", "AuditResult", "Budget", "audit_claim", "load_audit",
           "run_audit",
           "run_flows"]

AUDIT_SCHEMA = "proofkit.audit/1"


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
        return cls._of(data)

    @classmethod
    def _of(cls, data: Mapping[str, Any]) -> AuditResult:
        """The result held by an already validated ``audit.json`` document."""
        return cls(data["tool_version"], data["created"], data["seed"], data["budget"],
                   tuple(data["command"]), data["environment"], tuple(data["claims"]),
                   data["flows"], data["summary"], data["timings"], data.get("options", {}))


def load_audit(path: str | os.PathLike) -> AuditResult:
    """Read ``audit.json`` into an :class:`AuditResult` (validated; problems raise
    ``InputError`` naming the file or the field)."""
    from .report.json_report import read

    return AuditResult._of(read(path))  # read validates


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
        "safety_stop": any(c.get("safety_stop", False) for c in claims),
    }


def run_audit(out: str | os.PathLike | None = "proofkit-report", *,
              budget: str | Budget = "default",
              seed: int = 0, claims: Sequence[str] | None = None, jobs: int | None = None,
              command: Sequence[str] | None = None, progress: bool = True,
              figures: bool = True, claims_from: Sequence[str] = ()) -> AuditResult:
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
        Worker processes for the claims (default: the number of CPUs, at most 8; more than
        the CPUs is clamped to them).  Workers die with the audit (:mod:`proofkit.workers`).
    command : sequence of str, optional
        The command line to record (default: ``sys.argv``).
    claims_from : sequence of str, optional
        Extra claim packs (``--claims-from``: dotted module names, ``.py`` files or package
        directories) whose claims join the registry, here and in every worker process.
    """
    from . import __version__
    from .claims import all_claims
    from .report.environment import environment, utc_timestamp

    b = resolve_budget(budget)
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"--seed {seed!r}; it must be an integer >= 0")
    if out is not None:
        check_folder(out)  # refused before any work; the swap checks again
    from .packs import ensure_loaded, in_worker, loaded_packs

    claims_from = tuple(str(v) for v in claims_from or ())
    ensure_loaded(claims_from)
    registry = all_claims()
    ids = list(registry) if not claims else list(dict.fromkeys(claims))
    unknown = [c for c in ids if c not in registry]
    if unknown:
        raise InputError(f"--claims: unknown claim(s) {', '.join(unknown)}; known: "
                         f"{', '.join(registry)}")
    jobs, _ = resolve_jobs(jobs)
    cmd = tuple(command if command is not None else ["proofkit", *sys.argv[1:]])
    t0 = time.perf_counter()
    created = utc_timestamp()
    say(progress, f"{len(ids)} claim(s), budget {b.name}, seed {seed}, {jobs} job(s)")

    def compute(stage: Path | None) -> AuditResult:
        cx = str(stage / "counterexamples") if stage is not None else None
        tasks = [(run_flows, (b, seed), {"progress": progress})]
        tasks += [(in_worker, (claims_from, audit_claim, cid, b, seed),
                   {"cx_dir": cx, "progress": progress}) for cid in ids]
        t_run = time.perf_counter()
        flows, *recs = pool_map(jobs, tasks)
        t_run = time.perf_counter() - t_run
        return AuditResult(
            tool_version=__version__, created=created, seed=seed, budget=b.name, command=cmd,
            environment=environment(), claims=tuple(recs), flows=flows,
            summary=_summary(recs, flows),
            timings={"claims_and_flows_s": t_run,
                     "flows_s": sum(f.get("seconds", 0.0) for f in flows.values()),
                     "claims_s": sum(r.get("seconds", 0.0) for r in recs),
                     "total_s": time.perf_counter() - t0},
            options={"claims": ids, "jobs": jobs, "budget_spec": b.spec(),
                     "packs": loaded_packs()})

    if out is None:
        return compute(None)
    from .report import write_outputs
    from .report.atomic import staged_directory

    with staged_directory(out, kind="audit",
                          info={"seed": seed, "budget": b.name, "command": list(cmd)}) as stage:
        result = compute(stage)
        write_outputs(result, stage, figures=figures)
        say(progress, f"wrote {Path(out)} in {time.perf_counter() - t0:.1f}s")
    return result
