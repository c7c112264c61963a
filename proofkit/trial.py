"""One claim tried on one instance, as the audit and the counterexample search both do it.

:func:`try_instance` checks the premises (all but a dropped one) and then runs the claim's
numeric check, turning whatever raises into a recorded error rather than a crash;
:func:`is_rounding_tie` and :func:`relative_slack` read the resulting slack; and
:func:`quiet_settings` is the Hypothesis configuration both drivers share (no deadline, no
health checks, no output).  A driver whose safety stop fires raises
:class:`~proofkit.audit_budget.SafetyStop`, a ``BaseException`` so that Hypothesis lets it
through instead of treating it as a failure.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import tolerance

__all__ = ["Trial", "is_rounding_tie", "quiet_settings", "relative_slack", "run_seeded",
           "seed_only_draws", "try_instance"]

_ROUNDING = tolerance(np.float64, 1e3)  # |slack| below this × scale: a float64 rounding tie


@dataclass(frozen=True)
class Trial:
    """The outcome of :func:`try_instance`.

    ``check`` is the claim's ``Check`` (``None`` when a premise failed or anything raised);
    ``rejected`` says a premise failed or raised; ``error`` is ``""`` or one phrase naming
    what raised (``"a premise raised ..."`` / ``"check raised ..."``).
    """

    check: Any | None
    rejected: bool
    error: str = ""


def try_instance(claim, instance, *, drop: str | None = None, dps: int = 30) -> Trial:
    """Check ``claim``'s premises (all but ``drop``) on ``instance``, then its check at ``dps``."""
    try:
        ok = claim.premises_hold(instance, drop=drop)
    except Exception as exc:  # a premise that cannot be evaluated: report, do not crash
        return Trial(None, True, f"a premise raised {type(exc).__name__}: {exc}")
    if not ok:
        return Trial(None, True)
    try:
        return Trial(claim.check(instance, dps), False)
    except Exception as exc:  # a check that crashes is reported, not a counterexample
        return Trial(None, False, f"check raised {type(exc).__name__}: {exc}")


def is_rounding_tie(chk) -> bool:
    """A failure by float64 rounding only: |slack| within 1000 eps of the sides' scale."""
    scale = max(1.0, *(abs(v) for v in (chk.lhs, chk.rhs) if math.isfinite(v)))
    return (not chk.holds) and math.isfinite(chk.slack) and abs(chk.slack) <= _ROUNDING * scale


def relative_slack(lhs: float, rhs: float, slack: float) -> float:
    """``slack / max(|lhs|, |rhs|)`` clipped to [−2, 2]: a scale-free slack for comparing
    claims (nan when a side is not finite or both are 0).

    >>> relative_slack(1.0, 2.0, 1.0), relative_slack(0.0, 0.0, 0.0)
    (0.5, nan)
    """
    scale = max(abs(lhs), abs(rhs))
    if not (math.isfinite(scale) and math.isfinite(slack)) or scale == 0:
        return math.nan
    return min(2.0, max(-2.0, slack / scale))


def quiet_settings(**options):
    """``hypothesis.settings`` with no deadline, no health checks, no output and draws from
    the seed (``derandomize=False``, whatever profile is loaded), plus ``options``."""
    from hypothesis import HealthCheck, Verbosity, settings

    base = {"deadline": None, "suppress_health_check": list(HealthCheck), "print_blob": False,
            "verbosity": Verbosity.quiet, "derandomize": False}
    return settings(**(base | options))


@contextlib.contextmanager
def seed_only_draws():
    """Hypothesis draws that depend on the seed alone, inside the ``with`` block.

    Hypothesis (6.131 and later) mixes into its draws literals it harvests from every local
    module imported so far, so which instance it draws fifth can depend on whether the
    report modules, the CLI or pytest were imported first: a ``--jobs 1`` audit and a
    ``--jobs 2`` one, or the CLI and the API, would then differ.  Inside this block that
    pool is empty (its cache cleared on entry and exit).  Hypothesis versions without the
    pool are left alone.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # a Hypothesis without the local-constant pool
        yield
        return
    saved = getattr(providers, "_get_local_constants", None)
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    if saved is None or cache is None:
        yield
        return
    empty = Constants()
    providers._get_local_constants = lambda: empty
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = saved
        cache.clear()


def run_seeded(strategy, body, seed: int, **options) -> None:
    """Run ``body`` on the instances Hypothesis draws from ``strategy`` with ``seed``, under
    :func:`quiet_settings` (``options`` added) and :func:`seed_only_draws`: what every driver
    of proofkit (instance checks, counterexample searches, targeted searches) runs."""
    import hypothesis

    cfg = quiet_settings(**options)
    # settings outermost: @seed alone would switch the example database off
    test = cfg(hypothesis.seed(seed)(hypothesis.given(strategy)(body)))
    with seed_only_draws():
        test()
