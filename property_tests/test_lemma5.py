"""Property tests for Lemma 5 (E[M] ⪰ δ1/(100n²) I)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from lemmas.lemma5 import antipodal_counterexample, arb_pattern_kernel
from proofkit.backend import tolerance
from proofkit.claims import Context, Verdict, get_claim
from proofkit.kernels import expected_pattern_kernel
from proofkit.precision import certified_lambda_min_lower
from proofkit.problem import SobolevProblem

C = get_claim("lemma5")


@settings(database=None, max_examples=5)
@given(C.instances())
def test_statement_step_verdict_is_typo_under_premises(inst):
    step = next(s for s in C.steps if s.id == "lemma5.statement")
    assert step.derive(Context(inst, dps=20)).verdict == Verdict.TYPO


def _problem(x):
    x = np.asarray(x, dtype=float)
    n, d = x.shape
    return SobolevProblem(x, np.zeros(n), np.zeros((n, d, 0)), np.zeros((n, 0)))


def test_dropping_antipodal_half_of_7_makes_E_M_singular():
    _, lam, dhat = antipodal_counterexample()
    assert lam == 0 and float(dhat) > 0
    p = _problem([[1, 0], [-1, 0], [0, 1], [0, -1]])
    assert p.delta1 == 0 and p.delta1_hat > 0
    lam_f = float(np.linalg.eigvalsh(np.asarray(expected_pattern_kernel(p)))[0])
    # the variant with (13) in place of (7) fails: λmin = 0 < δ̂1/(100 n²)
    assert lam_f < p.delta1_hat / (100 * p.n**2)
    assert not certified_lambda_min_lower(arb_pattern_kernel(p)).positive


@settings(database=None)
@given(C.instances(drop="separation"))
def test_without_separation_no_positive_bound(inst):
    # Without (7) pairs may collide.  Interlacing with the 2 × 2 principal submatrix gives
    # λmin(E[M]) ≤ arccos(x_iᵀx_j)/(2π) for every pair: near-collisions force λmin → 0, so no
    # positive bound exists; antipodal pairs alone (δ1 = 0, δ̂1 = 2) need not.
    p = inst["problem"]
    x = p.host()[0]
    lam = float(np.linalg.eigvalsh(np.asarray(expected_pattern_kernel(p)))[0])
    g = np.clip(x @ x.T, -1, 1)
    pair = min(np.arccos(g[i, j]) / (2 * np.pi) for i in range(p.n) for j in range(i))
    assert lam <= pair + tolerance(power=0.5)
    assert lam >= p.delta1 / (100 * p.n**2) - tolerance(power=0.5)  # the δ1 = 0 bound is vacuous


def test_n2_exact_is_far_above_paper_constant():
    out = next(s for s in C.steps if s.id == "lemma5.n2").derive(Context(C.example(
        n=2, d=3, k=0, m=0, seed=0)))
    assert out.verdict == Verdict.LOOSE
    assert out.evidence["factor_over_paper_n2"] > 60
