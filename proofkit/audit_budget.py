"""How much work an audit does: budgets resolved into a frozen :class:`StagePlan` of counts.

A budget is a name (``quick``, ``default``, ``deep``; :data:`BUDGETS`) for a plan of COUNTS:
Hypothesis instances per claim, examples per counterexample search, evaluations spent
shrinking and refining a failure, the Monte Carlo scale inside steps, the sizes of the
end-to-end flow runs.  The plan is resolved once (:func:`resolve_budget`) and every stage
reads its count from it, so the same seed and budget do the same work on any machine,
under any load, with any number of worker processes.

Seconds appear only as a safety stop (``safety_s`` per claim): it exists so that a claim
that hangs cannot hold an audit forever.  When it fires, the stage stops, one line goes to
stderr, and the claim and ``audit.json`` carry ``"safety_stop": true``; such an audit is no
longer reproducible and says so.  :data:`TIMING_FIELDS` names every field that records a
time; they are the only fields in which two audits with the same seed and budget may differ.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import InputError

__all__ = ["BUDGETS", "INVOCATION_FIELDS", "TIMING_FIELDS", "Budget", "Deadline", "SafetyStop",
           "StagePlan", "drop_fields", "resolve_budget", "say"]

#: Keys (at any depth) of audit.json and of counterexample files that record a time or a
#: timestamp; nothing else may differ between two audits with the same seed and budget.
TIMING_FIELDS = frozenset({"created", "seconds", "timings", "certificate_seconds",
                           "wall_seconds"})
#: Keys that record how the audit was invoked rather than what it computed: the command
#: line and the number of worker processes (``options.jobs``).
INVOCATION_FIELDS = frozenset({"command", "jobs"})


@dataclass(frozen=True)
class StagePlan:
    """The counts every stage of an audit reads (one plan per audit, resolved once).

    Attributes
    ----------
    name : str
        The budget's name (``"quick"``, ``"default"``, ``"deep"``, or one's own).
    instances : int
        Hypothesis instances on which each claim's check runs (generate phase only).
    search_examples : int
        Hypothesis examples per counterexample search (generate and target phases).
    shrink_evals : int
        New check evaluations a search may spend shrinking a failure it found.
    refine_evals : int
        Nelder–Mead evaluations refining each search's worst case.
    scale : float
        ``Context.budget``: scales the Monte Carlo trial counts inside steps and checks.
    flow : mapping
        Sizes of the end-to-end flow runs of Theorems 1–2 (n, d, k, m, t_max): one run each.
    safety_s : float or None
        Safety stop, seconds per claim (``None``: none).  Not a budget: see the module text.
    """

    name: str
    instances: int
    search_examples: int
    shrink_evals: int
    refine_evals: int
    scale: float
    flow: Mapping[str, Any] = field(default_factory=dict)
    safety_s: float | None = None

    def __post_init__(self) -> None:
        for f, low in (("instances", 1), ("search_examples", 1), ("shrink_evals", 0),
                       ("refine_evals", 0)):
            v = getattr(self, f)
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise InputError(f"budget {self.name!r}: {f} = {v!r}; it must be an integer "
                                 f">= {low}")
        if not self.scale > 0:
            raise InputError(f"budget {self.name!r}: scale = {self.scale!r}; it must be > 0")
        if self.safety_s is not None and not self.safety_s > 0:
            raise InputError(f"budget {self.name!r}: safety_s = {self.safety_s!r}; it must be "
                             "> 0 or None")

    def for_claim(self, effort: float) -> StagePlan:
        """The plan one claim runs: search and refinement counts scaled by the claim's
        ``effort`` (a constant of the claim, < 1 for claims whose one evaluation runs a
        flow), at least one example each.

        >>> p = BUDGETS["default"].for_claim(0.1)
        >>> (p.search_examples, p.refine_evals) == (2, 4)
        True
        """
        if effort == 1.0:
            return self

        def sc(v: int, low: int) -> int:
            return max(low, round(v * effort))

        return replace(self, instances=sc(self.instances, 1),
                       search_examples=sc(self.search_examples, 1),
                       shrink_evals=sc(self.shrink_evals, 0),
                       refine_evals=sc(self.refine_evals, 0))

    def spec(self) -> dict:
        """The plan's numbers as recorded in ``audit.json`` (``options.budget_spec``)."""
        return {"instances": self.instances, "search_examples": self.search_examples,
                "shrink_evals": self.shrink_evals, "refine_evals": self.refine_evals,
                "scale": self.scale, "flow": dict(self.flow), "safety_s": self.safety_s}


Budget = StagePlan  # the name the API has always used for a budget

BUDGETS = {
    "quick": StagePlan("quick", 4, 4, 6, 8, 0.5,
                       {"n": 3, "d": 4, "k": 1, "m": 64, "t_max": 20.0}, safety_s=120.0),
    "default": StagePlan("default", 20, 20, 30, 40, 1.0,
                         {"n": 4, "d": 5, "k": 2, "m": 256, "t_max": 50.0}, safety_s=900.0),
    "deep": StagePlan("deep", 500, 1000, 500, 3000, 4.0,
                      {"n": 6, "d": 8, "k": 2, "m": 4096, "t_max": 200.0}, safety_s=None),
}


def resolve_budget(budget: str | StagePlan) -> StagePlan:
    """A :class:`StagePlan` as given, or the one :data:`BUDGETS` names (``InputError`` otherwise)."""
    if isinstance(budget, StagePlan):
        return budget
    if budget not in BUDGETS:
        raise InputError(f"--budget {budget!r} is not one of {', '.join(BUDGETS)}")
    return BUDGETS[budget]


class SafetyStop(BaseException):
    """Raised inside a stage when its claim's safety stop fires (a ``BaseException`` so that
    Hypothesis lets it through instead of treating it as a failing example)."""


class Deadline:
    """A claim's safety stop: :meth:`check` raises :class:`SafetyStop` once ``seconds`` have
    passed (never, for ``None``); :attr:`fired` records that it did.

    >>> d = Deadline(None); d.check(); d.fired
    False
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds
        self.fired = False

    def check(self) -> None:
        if self._end is not None and time.monotonic() > self._end:
            self.fired = True
            raise SafetyStop


def drop_fields(obj: Any, names=TIMING_FIELDS) -> Any:
    """``obj`` (JSON-like) with every dict key in ``names`` removed, at any depth.

    >>> drop_fields({"a": 1, "seconds": 2.0, "b": [{"created": "x", "c": 3}]})
    {'a': 1, 'b': [{'c': 3}]}
    """
    if isinstance(obj, dict):
        return {k: drop_fields(v, names) for k, v in obj.items() if k not in names}
    if isinstance(obj, list | tuple):
        return [drop_fields(v, names) for v in obj]
    return obj


def say(progress: bool, msg: str) -> None:
    """One progress line on stderr (``proofkit audit: msg``) when ``progress`` is on."""
    if progress:
        print(f"proofkit audit: {msg}", file=sys.stderr, flush=True)
