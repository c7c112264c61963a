"""Property tests for Lemma 2 (probabilistic; Monte Carlo with Clopper–Pearson)."""

import math

import numpy as np
import sympy as sp

from lemmas import lemma2 as mod
from lemmas.theorem3 import chernoff_bound
from proofkit.claims import Context, Verdict, get_claim
from proofkit.kernels import h_infinity, lambda_star
from proofkit.problem import random_problem

CLAIM = get_claim("lemma2")


def test_width_solves_the_chernoff_bound_numerically():
    # independent route: plug the stated width into (16) and get δ back
    p = random_problem(3, 4, 1, seed=2)
    lam, delta = lambda_star(p), 0.05
    m = 32 * p.N * math.log(p.N / delta) / lam
    assert math.isclose(chernoff_bound(p.N, 0.75, lam, p.N / m), delta, rel_tol=1e-12)
    sol, (pp, lm, dl, _mm, c) = mod.chernoff_width()
    val = float(sol.subs({pp: p.N, c: p.N, lm: lam, dl: delta}))
    assert math.isclose(val, m, rel_tol=1e-12)


def test_steps_on_example():
    ex = CLAIM.example(n=3, d=4, k=1, m=10, seed=1)
    out = {s.id: s.derive(Context(ex)) for s in CLAIM.steps}
    assert out["lemma2.width"].verdict is Verdict.VERIFIED
    assert out["lemma2.L"].verdict is Verdict.LOOSE
    assert out["lemma2.L"].evidence["L_tight"] < out["lemma2.L"].evidence["L_paper"]
    assert out["lemma2.mean"].verdict is Verdict.VERIFIED


def test_mean_of_h0_is_h_infinity():
    p = random_problem(3, 4, 1, seed=3)
    rng = np.random.default_rng(0)
    x = p.host()[0]
    m = 200_000
    P = (rng.standard_normal((m, p.d)) @ x.T > 0).astype(float)
    K = P.T @ P / m
    from proofkit.kernels import expected_pattern_kernel

    assert np.max(np.abs(K - np.asarray(expected_pattern_kernel(p)))) < 0.01
    assert np.allclose(np.diag(np.asarray(h_infinity(p))), 0.5)


def test_dropping_width_breaks_it():
    p = random_problem(3, 4, 1, seed=0)
    inst = {"problem": p, "m": 3, "delta": 0.05, "seed": 0, "trials": 60}
    assert not CLAIM.premises_hold(inst)
    assert not CLAIM.check(inst, 30).holds
    assert not CLAIM.statement_holds(inst)


def test_statement_is_le():
    assert isinstance(CLAIM.statement(), sp.Le)
