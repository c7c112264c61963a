"""How an audit paces itself: budgets, the time each stage may take, and progress lines.

Budgets (:data:`BUDGETS`): ``quick`` (about 1 minute on 2 cores), ``default`` (about 5
minutes) and ``deep`` (overnight).  Quick and default give every claim a share of a wall-time
allowance (:func:`claim_allowance`), which the claim's stages then divide among themselves
(:func:`time_share`), so how many instances a stage reaches can depend on the machine; the
result records each stage's count and whether the time limit stopped it.  ``deep`` is
bounded by counts.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError

__all__ = ["BUDGETS", "Budget", "claim_allowance", "resolve_budget", "say", "time_share"]

_NO_LIMIT_S = 3600.0  # a stage's time limit when the budget has no wall-time target
_MIN_STAGE_S = 0.5  # no stage gets less than this, however little time is left


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

    def spec(self) -> dict:
        """The budget's numbers as recorded in ``audit.json`` (``options.budget_spec``)."""
        return {"total_s": self.total_s, "instances": self.instances,
                "search_examples": self.search_examples, "refine_evals": self.refine_evals,
                "scale": self.scale, "flow": dict(self.flow)}


BUDGETS = {
    "quick": Budget("quick", 30.0, 8, 12, 40, 0.5, 6.0,
                    {"n": 3, "d": 4, "k": 1, "m": 64, "t_max": 20.0}),
    "default": Budget("default", 230.0, 30, 60, 200, 1.0, 60.0,
                      {"n": 4, "d": 5, "k": 2, "m": 256, "t_max": 50.0}),
    "deep": Budget("deep", None, 500, 1000, 3000, 4.0, None,
                   {"n": 6, "d": 8, "k": 2, "m": 4096, "t_max": 200.0}),
}


def resolve_budget(budget: str | Budget) -> Budget:
    """A :class:`Budget` as given, or the one :data:`BUDGETS` names (``InputError`` otherwise)."""
    if isinstance(budget, Budget):
        return budget
    if budget not in BUDGETS:
        raise InputError(f"--budget {budget!r} is not one of {', '.join(BUDGETS)}")
    return BUDGETS[budget]


def claim_allowance(b: Budget, jobs: int, n_claims: int) -> float | None:
    """Seconds each claim may take: ``jobs`` workers share the budget's wall time among
    ``n_claims`` claims and the flows (one share), at most ``claim_cap_s``; ``None`` when
    the budget has no wall-time target.

    >>> claim_allowance(BUDGETS["quick"], 2, 15), claim_allowance(BUDGETS["deep"], 2, 15)
    (3.0, None)
    """
    if b.total_s is None:
        return None
    allowance = max(2.0, 0.8 * b.total_s * jobs / (n_claims + 1))
    return min(allowance, b.claim_cap_s or allowance)


def time_share(allowance: float | None, spent: float, fraction: float) -> float:
    """A stage's time limit: ``fraction`` of what is left of ``allowance`` after ``spent``
    seconds, at least 0.5 s (an hour when there is no allowance).

    >>> time_share(10.0, 4.0, 0.5), time_share(10.0, 12.0, 0.5), time_share(None, 4.0, 0.5)
    (3.0, 0.5, 3600.0)
    """
    if allowance is None or not math.isfinite(allowance):
        return _NO_LIMIT_S
    return max(_MIN_STAGE_S, fraction * (allowance - spent))


def say(progress: bool, msg: str) -> None:
    """One progress line on stderr (``proofkit audit: msg``) when ``progress`` is on."""
    if progress:
        print(f"proofkit audit: {msg}", file=sys.stderr, flush=True)
