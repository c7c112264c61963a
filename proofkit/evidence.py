"""Helpers that turn computed numbers into :class:`~proofkit.claims.Check` records.

- :func:`compare`: both sides in float64 and mpmath → a signed slack, a ratio and the
  number of digits the two precisions agree on;
- :func:`clopper_pearson`: the exact binomial confidence interval, for probabilistic
  statements checked by Monte Carlo frequency;
- :func:`frequency_check`: "holds with probability ≥ 1 − δ" judged by that interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import mpmath

from .claims import Check

__all__ = ["agree_digits", "clopper_pearson", "compare", "failure_bind", "frequency_check"]

_RELATIONS = ("<=", "<", ">=", ">", "==")


def agree_digits(a: float, b) -> float:
    """Decimal digits on which float ``a`` and mpmath ``b`` agree (capped at 17).

    >>> round(agree_digits(1.0, mpmath.mpf(1) + mpmath.mpf('1e-10')), 1)
    10.0
    """
    b = mpmath.mpf(b)
    scale = max(abs(b), mpmath.mpf(1e-300))
    diff = abs(mpmath.mpf(a) - b)
    if diff == 0:
        return 17.0
    return float(min(17.0, max(0.0, -mpmath.log10(diff / scale))))


def compare(lhs: float, rhs: float, *, relation: str = "<=", lhs_mp=None, rhs_mp=None,
            dps: int = 30, tie: float = 0.0, detail: str = "",
            extra: Mapping[str, Any] | None = None) -> Check:
    """A :class:`Check` from both sides of ``lhs relation rhs``.

    The verdict (``holds``) is decided on the mpmath values when given (they are the more
    accurate), else on float64.  ``slack >= 0`` iff it holds (for ``==`` the slack is
    ``−|lhs − rhs|`` and holds means agreement to ``10^-(dps/2)`` relative).

    ``tie`` is the resolution of the instance itself (e.g. how far its frames are from
    exactly orthonormal): a non-strict relation missed by at most ``tie`` counts as a tie,
    holds, and is flagged ``extra["tie"] = True`` so that reports can say so.

    >>> c = compare(1.0, 2.0, lhs_mp=1, rhs_mp=2)
    >>> c.holds, c.slack, c.ratio
    (True, 1.0, 0.5)
    """
    if relation not in _RELATIONS:
        raise ValueError(f"relation={relation!r}; it must be one of {_RELATIONS}")
    with mpmath.workdps(dps):
        L = mpmath.mpf(lhs_mp) if lhs_mp is not None else mpmath.mpf(lhs)
        R = mpmath.mpf(rhs_mp) if rhs_mp is not None else mpmath.mpf(rhs)
        if relation in ("<=", "<"):
            slack = R - L
            holds = slack >= 0 if relation == "<=" else slack > 0
        elif relation in (">=", ">"):
            slack = L - R
            holds = slack >= 0 if relation == ">=" else slack > 0
        else:
            slack = -abs(L - R)
            holds = abs(L - R) <= mpmath.mpf(10) ** (-(dps // 2)) * max(1, abs(R))
        is_tie = bool(tie > 0 and relation in ("<=", ">=") and -tie <= slack < 0)
        holds = holds or is_tie
        ratio = float(L / R) if R != 0 else (math.inf if L != 0 else 1.0)
        digits = min(agree_digits(lhs, L), agree_digits(rhs, R))
        return Check(
            holds=bool(holds), relation=relation, lhs=float(lhs), rhs=float(rhs),
            slack=float(slack), ratio=ratio,
            lhs_mp=mpmath.nstr(L, dps) if lhs_mp is not None else "",
            rhs_mp=mpmath.nstr(R, dps) if rhs_mp is not None else "",
            agree_digits=digits if (lhs_mp is not None or rhs_mp is not None) else float("nan"),
            detail=detail, extra=dict(extra or {}) | ({"tie": True, "tie_tolerance": tie} if is_tie else {}),
        )


def clopper_pearson(successes: int, trials: int, *, confidence: float = 0.99) -> tuple[float, float]:
    """Exact two-sided Clopper–Pearson interval for a binomial proportion.

    >>> lo, hi = clopper_pearson(0, 10)
    >>> lo, round(hi, 4)
    (0.0, 0.4113)
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got {successes}/{trials}")
    from scipy.stats import beta

    a = 1.0 - confidence
    lo = 0.0 if successes == 0 else float(beta.ppf(a / 2, successes, trials - successes + 1))
    hi = 1.0 if successes == trials else float(beta.ppf(1 - a / 2, successes + 1, trials - successes))
    return lo, hi


def frequency_check(failures: int, trials: int, delta: float, *, confidence: float = 0.99,
                    detail: str = "", extra: Mapping[str, Any] | None = None) -> Check:
    """Judge "fails with probability ≤ δ" from ``failures`` out of ``trials``.

    ``holds`` is False only when the Clopper–Pearson lower bound on the failure probability
    exceeds δ (the data refute the claim at the given confidence); ``ratio`` is the upper
    bound over δ, so ``ratio <= 1`` means the data also *confirm* it.
    """
    lo, hi = clopper_pearson(failures, trials, confidence=confidence)
    ext = {"trials": trials, "failures": failures, "delta": delta,
           "failure_rate_interval": [lo, hi], "confidence": confidence} | dict(extra or {})
    return Check(holds=lo <= delta, relation="<=", lhs=failures / trials, rhs=delta,
                 slack=delta - lo, ratio=hi / delta if delta > 0 else math.inf,
                 detail=detail or f"{failures}/{trials} failures; {confidence:.0%} CP interval "
                 f"[{lo:.3g}, {hi:.3g}] vs δ = {delta}", extra=ext)


def failure_bind(check, *, dps: int = 30):
    """``bind`` for a statement ``P_fail <= delta`` checked by :func:`frequency_check`.

    ``P_fail`` is the Clopper–Pearson *lower* bound on the failure rate, the number the check
    decides on, so the symbolic and numeric routes compare the same value.
    """

    def bind(instance) -> dict:
        c = check(instance, dps)
        return {"P_fail": c.extra["failure_rate_interval"][0], "delta": float(instance["delta"])}

    return bind
