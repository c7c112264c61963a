"""Property tests for Theorem 2 (λ* ≥ δ/(200n²) for the lifted data; dynamics by flow)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings

from proofkit.claims import Context, Verdict, get_claim
from proofkit.errors import RoundingWarning
from proofkit.kernels import h_infinity, lambda_star, rounding_level
from proofkit.precision import certified_lambda_star
from proofkit.problem import SobolevProblem, frame_with_overlap, lift_bias

C = get_claim("theorem2")


@settings(database=None, max_examples=4)
@given(C.instances())
def test_bound_step_loose_exactly_for_k_at_least_2(inst):
    out = next(s for s in C.steps if s.id == "theorem2.bound").derive(Context(inst, dps=20))
    assert out.verdict == (Verdict.LOOSE if inst["problem"].k >= 2 else Verdict.VERIFIED)


@settings(database=None, max_examples=3)
@given(C.instances())
def test_dynamics_two_routes_agree(inst):
    out = next(s for s in C.steps if s.id == "theorem2.dynamics").derive(Context(inst))
    try:
        import proofkit.flow  # noqa: F401
    except ImportError:
        assert out.verdict == Verdict.INCONCLUSIVE
        return
    assert out.verdict == Verdict.EVIDENCE, out.detail  # one run at one width


def test_condition_8_not_needed_with_bias():
    # V_1 contains x_1 (δ2 = 1, far beyond 1/k): Assumption 1 fails, Theorem 2 still holds
    x = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    rng = np.random.default_rng(0)
    V = np.stack([frame_with_overlap(x[0], np.array([1.0]), rng)]
                 + [frame_with_overlap(x[i], np.array([0.0]), rng) for i in (1, 2)])
    p = SobolevProblem(x, np.zeros(3), V, np.zeros((3, 1)))
    with pytest.warns(RoundingWarning):  # singular H∞: float64 λ* is rounding noise
        assert not p.satisfies_assumption1() and lambda_star(p) < 1e-12
    inst = {"problem": p}
    assert C.premises_hold(inst)
    b = certified_lambda_star(lift_bias(p))
    assert b.positive and C.statement_holds(inst)


@settings(database=None)
@given(C.instances(drop="separation"))
def test_without_separation_lambda_star_vanishes_for_equal_points(inst):
    p = inst["problem"]
    if p.delta1_hat < 1e-8:
        q = lift_bias(p)
        with warnings.catch_warnings(record=True) as caught:  # warns iff below rounding level
            warnings.simplefilter("always", RoundingWarning)
            lam = lambda_star(q)
        assert bool(caught) == (lam < rounding_level(np.asarray(h_infinity(q, order="hat"))))
        assert lam < 1e-6
    assert C.statement_holds(inst) or abs(C.check(inst, 20).slack) < 1e-12
