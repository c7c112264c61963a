"""Property tests for Lemma 3 (probabilistic)."""

import math

import numpy as np
from hypothesis import given, settings

from lemmas import lemma3 as mod
from proofkit.claims import Context, Verdict, get_claim
from proofkit.network import directional_derivatives, forward, init_network
from proofkit.problem import random_problem
from proofkit.testing import scaled_examples

CLAIM = get_claim("lemma3")


def test_exact_moments_match_monte_carlo():
    # E[f²] = 1/2 and E‖F̄‖² = k/2 per point (SymPy) against sampled networks
    p = random_problem(3, 5, 2, seed=4)
    mo = mod.moments()
    f2, F2 = [], []
    rng = np.random.default_rng(1)
    for _ in range(400):
        W, a = init_network(50, p.d, seed=rng)
        f2.append(np.asarray(forward(p, W, a)) ** 2)
        F2.append(np.sum(np.asarray(directional_derivatives(p, W, a)) ** 2, axis=1))
    f2, F2 = np.array(f2), np.array(F2)
    se_f, se_F = f2.std() / math.sqrt(f2.size), F2.std() / math.sqrt(F2.size)
    assert abs(f2.mean() - float(mo["E_sigma2"])) < 5 * se_f
    assert abs(F2.mean() - p.k * float(mo["E_dir_term"])) < 5 * se_F


def test_route_exponents_and_k_range():
    mt = mod.markov_thresholds()
    assert mt["expA"] == -1 and 2 * mt["expB"] == -1
    assert mt["k_range"].inf == 1


def test_step_verdicts_by_k():
    for k, want in ((0, Verdict.ERROR), (1, Verdict.VERIFIED), (2, Verdict.VERIFIED)):
        ex = CLAIM.example(n=3, d=4, k=k, m=50, seed=0)
        out = {s.id: s.derive(Context(ex)) for s in CLAIM.steps}
        assert out["lemma3.route"].verdict is want
        assert out["lemma3.Ef2"].verdict is Verdict.LOOSE


@settings(database=None, max_examples=scaled_examples(5))
@given(CLAIM.instances(drop="k_ge_1"))
def test_dropping_k_ge_1_is_a_counterexample(inst):
    # k = 0 and y = 0: the stated bound is γ/√δ = 0 while f(W(0), x_i) ≠ 0 a.s.
    assert inst["problem"].k == 0 and inst["problem"].gamma == 0
    assert not CLAIM.check(inst, 30).holds


@settings(database=None, max_examples=scaled_examples(3))
@given(CLAIM.instances(drop="signs"))
def test_dropping_independent_signs_breaks_it(inst):
    # equal signs: E[f²] = 1/2 + (m − 1)/(2π) grows with m (m = 20000 here)
    assert not CLAIM.check(inst, 30).holds
