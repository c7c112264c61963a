"""Property tests for Proposition 1 (λ* ≥ (1 − kδ2)δ1/(100n²))."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings

from lemmas.prop1 import block_identity
from proofkit.backend import tolerance
from proofkit.claims import Context, Verdict, get_claim
from proofkit.errors import RoundingWarning
from proofkit.kernels import expected_pattern_kernel, h_infinity, lambda_star, rounding_level
from proofkit.problem import SobolevProblem, frame_with_overlap

C = get_claim("prop1")


@settings(database=None)
@given(C.instances())
def test_block_hadamard_identity_matches_engine_kernel(inst):
    p = inst["problem"]
    H = block_identity(p, np.asarray(expected_pattern_kernel(p)))
    assert np.max(np.abs(H - np.asarray(h_infinity(p, order="hat")))) <= tolerance(factor=64)


@settings(database=None, max_examples=5)
@given(C.instances())
def test_statement_step_loose_exactly_when_k_at_least_2(inst):
    out = next(s for s in C.steps if s.id == "prop1.statement").derive(Context(inst, dps=20))
    p = inst["problem"]
    want = Verdict.LOOSE if p.k >= 2 and p.delta2 > 0 else Verdict.VERIFIED
    assert out.verdict == want
    assert out.evidence["tighter_bound"] >= out.evidence["paper_bound"] - 1e-15


def _problem(x, c):
    x = np.asarray(x, float)
    rng = np.random.default_rng(0)
    V = np.stack([frame_with_overlap(xi, np.asarray(ci, float), rng) for xi, ci in zip(x, c, strict=True)])
    n, k = V.shape[0], V.shape[2]
    return SobolevProblem(x, np.zeros(n), V, np.zeros((n, k)))


def test_delta2_premise_needed_frames_containing_x_make_H_singular():
    # k = 1, v_1 = x_1 (δ2 = 1 > 1/k): the value row and the derivative row of point 1 coincide
    s = math.sqrt(0.5)
    p = _problem([[1, 0, 0], [0, s, s]], [[1.0], [0.0]])
    assert not C.premises_hold({"problem": p})
    with pytest.warns(RoundingWarning, match="below the float64 rounding level"):
        assert lambda_star(p) < 1e-12  # singular: float64 λ* is rounding noise, and says so


def _lambda_star_checked(p):
    """Float64 λ*, which warns exactly when it lies below its rounding level N·eps·‖H∞‖."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RoundingWarning)
        lam = lambda_star(p)
    assert bool(caught) == (lam < rounding_level(np.asarray(h_infinity(p, order="hat"))))
    return lam


@settings(database=None)
@given(C.instances(drop="delta2"))
def test_without_delta2_the_sqrt_k_chain_still_bounds(inst):
    # dropping (8) down to δ2 < 1/√k: the paper's bound may turn negative (vacuous) but the
    # tighter chain λ* ≥ λmin(E[M])(1 − max‖V_iᵀx_i‖) still holds
    p = inst["problem"]
    lam_M = float(np.linalg.eigvalsh(np.asarray(expected_pattern_kernel(p)))[0])
    chain = lam_M * (1 - float(np.max(p.vx_norms)))
    assert _lambda_star_checked(p) >= chain - tolerance(power=0.5)


@settings(database=None)
@given(C.instances(drop="separation"))
def test_without_separation_collisions_make_lambda_star_vanish(inst):
    p = inst["problem"]
    if p.delta1_hat < 1e-8:  # two (nearly) equal points: H∞ (nearly) singular
        assert _lambda_star_checked(p) < 1e-6
