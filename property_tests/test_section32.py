"""Property tests for Section 3.2 (kernel drift at the escape time)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lemmas._section32_math import (
    _blocks,
    kernel_drift,
    markov_sympy,
    paper_bound,
    perturb,
    width_sympy,
)
from proofkit.claims import Context, Verdict, get_claim
from proofkit.kernels import lambda_star
from proofkit.network import init_network
from proofkit.problem import random_problem

C = get_claim("section32")


@settings(database=None)
@given(C.instances())
def test_statement_agrees_with_single_instance(inst):
    expr, vals = C.statement(), C.bind(inst)
    p = inst["problem"]
    W0 = np.asarray(inst["W0"])
    drift = kernel_drift(p, W0, perturb(W0, p.host()[0], inst["R"]))
    bound = paper_bound(p.n, p.k, inst["m"], inst["R"], inst["delta"])
    truth = bool(expr.subs({s: vals[s.name] for s in expr.free_symbols}))
    if abs(bound - drift) > 1e-12:
        assert truth == (drift <= bound)


@settings(database=None)
@given(C.instances())
def test_entrywise_bounds_with_sharp_constants(inst):
    # the sharp factors 1 (Bᵀ) and √k (C) found by the steps hold on every instance
    p = inst["problem"]
    W0 = np.asarray(inst["W0"])
    dA, dB, dC, Q, _, _ = _blocks(p, W0, perturb(W0, p.host()[0], inst["R"]))
    base = Q / W0.shape[0]
    assert np.all(np.abs(dA) <= base + 1e-12)
    assert np.all(dB <= base + 1e-12)
    assert np.all(dC <= math.sqrt(p.k) * base + 1e-12)


@settings(database=None, max_examples=5)
@given(C.instances())
def test_step_verdicts_stable(inst):
    ctx = Context(inst, dps=20, budget=0.5)
    got = {s.id: s.derive(ctx).verdict for s in C.steps}
    k = inst["problem"].k
    assert got["section32.markov"] == Verdict.ERROR
    assert got["section32.entry-B"] == (Verdict.LOOSE if k >= 2 else Verdict.VERIFIED)
    assert got["section32.entry-C"] == (Verdict.LOOSE if k >= 2 else Verdict.VERIFIED)
    assert got["section32.combine"] == (Verdict.LOOSE if k >= 2 else Verdict.VERIFIED)
    assert got["section32.big-o"] == Verdict.TYPO
    for sid in ("section32.width", "section32.failures", "section32.tau0"):
        assert got[sid] == Verdict.GAP  # each with a repair (Outcome refuses a gap without)


def test_fixed_R_steps_inherit_the_radius_gap():
    """P(E_ir) ≤ 2R/√(2π) holds for a fixed R; R of Lemma 4 is random, so the steps that use
    it take section32.radius's verdict and repair (run_claim applies the conditions)."""
    from proofkit.claims import run_claim

    res = run_claim(C, budget=0.5)
    steps = {s["id"]: s for s in res["steps"]}
    assert steps["section32.radius"]["verdict"] == "gap" and steps["section32.radius"]["repair"]
    for sid in ("section32.prob", "section32.expectation"):
        assert C.steps[[s.id for s in C.steps].index(sid)].derive(
            Context(C.example(n=3, d=4, k=1), budget=0.5)).verdict == Verdict.VERIFIED
        assert steps[sid]["verdict"] == "gap", sid
        assert steps[sid]["inherited_from"] == "section32.radius"
        assert steps[sid]["repair"] == steps["section32.radius"]["repair"]


def test_markov_constant_is_2n2_not_2n2_over_m():
    n, R = sp.symbols("n R", positive=True)
    t = markov_sympy()["A"]
    assert sp.simplify(t.subs(R, 0) - 2 * n**2) == 0  # the additive term, for every m
    sol, _ = width_sympy()
    d = sp.Symbol("delta", positive=True)
    assert sp.degree(sp.denom(sol), d) == 3


@settings(database=None, max_examples=10)
@given(st.integers(0, 10_000))
def test_corrected_additive_term_exceeds_lambda_star_over_4(seed):
    # derived − paper = 2n²(m − 1)/m → 2n² as m → ∞, and 2n² > λ*/4 since λ* ≤ 1/2
    n, m = sp.symbols("n m", positive=True)
    gap = sp.simplify(markov_sympy()["A"] - (4 * n**2 * sp.Symbol("R", positive=True)
                                             / (sp.sqrt(2 * sp.pi) * sp.Symbol("delta", positive=True))
                                             + 2 * n**2 / m))
    assert sp.limit(gap, m, sp.oo) == 2 * n**2
    p = random_problem(3, 4, 1, seed=seed)
    lam = lambda_star(p)
    assert lam <= 0.5 + 1e-12 and 2 * p.n**2 > lam / 4


def test_dropping_k_positive_breaks_the_16k_combination():
    # k = 0 (plain training): the paper's coefficient 16k vanishes while 4(1 + √k)² = 4 does not
    p = random_problem(3, 4, 0, seed=0)
    W0, a = init_network(50, p.d, seed=0)
    inst = {"problem": p, "W0": W0, "a": a, "m": 50, "seed": 0, "R": 0.1, "delta": 0.1}
    assert not C.premises_hold(inst)
    out = next(s for s in C.steps if s.id == "section32.combine").derive(Context(inst))
    assert out.verdict == Verdict.ERROR
    # and the numbers agree: with k = 0 the drift can be positive while 16n²kR/(√(2π)δ) = 0
    drift = kernel_drift(p, W0, perturb(W0, p.host()[0], 0.1))
    assert drift > 16 * p.n**2 * 0 * 0.1 / (math.sqrt(2 * math.pi) * 0.1)
