"""Property tests for Lemma 6 (λmin(X̂_iᵀX̂_i) ≥ 1 − kδ2)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings

from proofkit.claims import Context, Verdict, get_claim
from proofkit.problem import SobolevProblem, frame_with_overlap

C = get_claim("lemma6")


@settings(database=None, max_examples=8)
@given(C.instances())
def test_exact_step_verdict_depends_only_on_k(inst):
    out = next(s for s in C.steps if s.id == "lemma6.exact").derive(Context(inst, dps=20))
    p = inst["problem"]
    if p.k >= 2 and p.delta2 > 1e-12:  # below that the two bounds agree to rounding
        assert out.verdict == Verdict.LOOSE
    else:
        assert out.verdict in (Verdict.VERIFIED, Verdict.LOOSE)
    # the Gram matrix is formed in float64, so its entries (and its eigenvalue) carry a
    # rounding error of a few eps per entry: (k + 1) entries per row
    assert out.evidence["max_eig_error"] < 4 * (p.k + 1) * np.finfo(float).eps


@settings(database=None)
@given(C.instances(drop="delta2"))
def test_without_delta2_only_the_sqrt_k_bound_survives(inst):
    # (8) dropped: the strategies allow δ2 up to 1/√k, where 1 − kδ2 may be ≤ 0 but the exact
    # λmin = 1 − ‖V_iᵀx_i‖ ≥ 1 − √kδ2 ≥ 0 still holds
    p = inst["problem"]
    x, _, V, _ = p.host()
    lam = min(np.linalg.eigvalsh(np.column_stack([x[i], V[i]]).T
                                 @ np.column_stack([x[i], V[i]]))[0] for i in range(p.n))
    assert lam >= 1 - math.sqrt(p.k) * p.delta2 - 1e-12


def test_delta2_premise_is_necessary_for_positivity():
    # V_1 contains x_1 (δ2 = 1, k = 1): the Gram matrix is singular and 1 − kδ2 = 0 > 0 fails
    x = np.array([[1.0, 0.0, 0.0]])
    V = frame_with_overlap(x[0], np.array([1.0]), np.random.default_rng(0))[None]
    p = SobolevProblem(x, np.zeros(1), V, np.zeros((1, 1)))
    inst = {"problem": p}
    assert not C.premises_hold(inst)
    assert not C.statement_holds(inst)
