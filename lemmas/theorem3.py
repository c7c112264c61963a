"""Theorem 3 (App. A, matrix Chernoff as used, eq. (16)).

Findings.  Tropp's Theorem 5.1.1 bounds ``P[λmin(X) ≤ ε μ]`` by
``p [e^{−(1−ε)}/ε^ε]^{μ/L}`` (μ = λmin(E X)); the stated form (16)
``p e^{−(1−ε)² μ/(2L)}`` follows because ``g(ε) = −(1−ε) − ε ln ε + (1−ε)²/2 ≤ 0`` on
(0, 1]: SymPy gives ``g(1) = 0`` and ``g'(ε) = ε − 1 − ln ε ≥ 0`` (whose own derivative
``1 − 1/ε`` is ≤ 0 with a zero at 1).  Numerically, with X = H(0) = Σ_r H_r(0), μ = λ* and
the smallest almost-sure L = λmax(Σ_i X̂_iX̂_iᵀ)/m, the Monte Carlo failure frequency stays
under (16) (Clopper–Pearson); with an L below the true bound (premise X_k ⪯ LI dropped)
the bound is violated.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lemmas.lemma2 import lambda_min_h0_samples, tight_L
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import frequency_check
from proofkit.kernels import lambda_star
from proofkit.problem import random_problem
from proofkit.strategies import sobolev_problems

__all__ = ["chernoff_bound", "simplification_gap", "width_for_bound"]


def chernoff_bound(p: int, eps: float, mu: float, L: float) -> float:
    """The right side of (16): ``p exp(−(1 − ε)² μ/(2L))``."""
    return p * math.exp(-((1 - eps) ** 2) * mu / (2 * L))


def width_for_bound(problem, eps: float, target: float) -> int:
    """Width m at which (16) with the tight L equals ``target`` (solved for m)."""
    Lc, lam = tight_L(problem), lambda_star(problem)
    return max(1, math.ceil(2 * Lc * math.log(problem.N / target) / ((1 - eps) ** 2 * lam)))


def simplification_gap():
    """SymPy: ``g(ε) = −(1−ε) − ε ln ε + (1−ε)²/2`` and its first two derivatives."""
    e = sp.Symbol("epsilon", positive=True)
    g = -(1 - e) - e * sp.log(e) + (1 - e) ** 2 / 2
    return e, g, sp.simplify(sp.diff(g, e)), sp.simplify(sp.diff(g, e, 2))


def _derive_form(ctx: Context) -> Outcome:
    e, g, g1, g2 = simplification_gap()
    at1 = sp.simplify(g.subs(e, 1))
    g1_at1 = sp.simplify(g1.subs(e, 1))
    crit = sp.solve(sp.Eq(g2, 0), e)
    ok_sym = at1 == 0 and g1_at1 == 0 and crit == [1] and sp.simplify(g2.subs(e, sp.Rational(1, 2))) < 0
    with mpmath.workdps(ctx.dps):
        f = sp.lambdify(e, g, "mpmath")
        grid = [mpmath.mpf(j) / 400 for j in range(1, 401)]
        worst = max(f(x) for x in grid)
    ok = ok_sym and worst <= 0
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        "[e^{−(1−ε)}/ε^ε]^{μ/L} ≤ e^{−(1−ε)²μ/(2L)} for ε ∈ (0, 1]",
        f"SymPy: g(ε) = {g}, g(1) = {at1}, g'(ε) = {g1}, g'(1) = {g1_at1}, g''(ε) = {g2} with "
        f"its only zero at ε ∈ {crit} and g'' < 0 before it, so g' decreases to 0 (g' ≥ 0) and "
        f"g increases to g(1) = 0 (g ≤ 0). mpmath on a 400-point grid: max g = "
        f"{mpmath.nstr(worst, 5)}.", {"max_g_grid": float(worst)},
    )


def _derive_hypotheses(ctx: Context) -> Outcome:
    inst = ctx.instance
    p = inst["problem"]
    m = int(inst["m"])
    Lc = tight_L(p) / m
    # H_r(0) = a_r² Ω̂_rᵀΩ̂_r: PSD; λmax ≤ a_r² λmax(Σ_i X̂_iX̂_iᵀ) for every activation pattern
    rng = np.random.default_rng(ctx.seed)
    x = p.host()[0]
    from proofkit.kernels import point_frames as frames

    Xh = frames(p)
    worst, neg = 0.0, 0.0
    for _ in range(200):
        act = rng.standard_normal(p.d) @ x.T > 0
        M = sum((Xh[i] @ Xh[i].T for i in range(p.n) if act[i]), np.zeros((p.d, p.d))) / m
        ev = np.linalg.eigvalsh(M)
        worst, neg = max(worst, float(ev[-1])), min(neg, float(ev[0]))
    ok = worst <= Lc * (1 + 1e-12) and neg >= -1e-15
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        "H_r(0) independent (w_r, a_r i.i.d.), 0 ⪯ H_r(0) ⪯ (λmax(Σ_i X̂_iX̂_iᵀ)/m) I",
        f"200 sampled H_r(0): λmax ≤ {worst:.6g} ≤ L = {Lc:.6g}, λmin ≥ {neg:.2e}; the sum "
        "over active points is monotone in the pattern, so all active gives the a.s. bound.",
        {"max_lambda_sampled": worst, "L": Lc},
    )


_MC: list = []


def _check(instance, dps: int) -> Check:
    for obj, res in _MC:
        if obj is instance:
            return res
    p = instance["problem"]
    m, eps = int(instance["m"]), float(instance["eps"])
    trials = int(instance.get("trials", 200))
    L = float(instance.get("L_scale", 1.0)) * tight_L(p) / m
    lam = lambda_star(p)
    bound = chernoff_bound(p.N, eps, lam, L)
    lm = lambda_min_h0_samples(p, m, trials, seed=int(instance.get("seed", 0)))
    fails = int(np.sum(lm <= eps * lam))
    res = frequency_check(fails, trials, min(bound, 1.0), detail=f"{fails}/{trials} sums "
                          f"X = Σ_r H_r(0) with λmin(X) ≤ ελ* (ε = {eps}, m = {m}); (16) "
                          f"gives {bound:.4g} with L = {L:.4g}",
                          extra={"bound": bound, "L": L, "lambda_star": lam, "m": m})
    _MC[:] = [(instance, res)]
    return res


@st.composite
def _inst(draw, drop=None):
    p = draw(sobolev_problems(n=(2, 3), d=(3, 4), k=(0, 1), separation=0.3).filter(
        lambda q: lambda_star(q) >= 0.05))
    eps = draw(st.sampled_from([0.5, 0.75]))
    if drop == "L_bound":
        return {"problem": p, "m": 10, "eps": 0.75, "L_scale": 1e-3,
                "seed": draw(st.integers(0, 2**16)), "trials": 60}
    m = width_for_bound(p, eps, draw(st.sampled_from([0.1, 0.3])))
    return {"problem": p, "m": m, "eps": eps, "L_scale": 1.0,
            "seed": draw(st.integers(0, 2**16)), "trials": 60}


def _example(*, n: int, d: int, k: int, m: int, seed: int = 0):
    p = random_problem(n, d, k, seed=seed)
    return {"problem": p, "m": width_for_bound(p, 0.5, 0.2), "eps": 0.5, "L_scale": 1.0,
            "seed": seed, "trials": 200}


def _bind(inst) -> dict:
    c = _check(inst, 30)
    return {"P_fail": c.extra["failure_rate_interval"][0], "bound": c.rhs}


@claim
def theorem3() -> Claim:
    pf, b = sp.symbols("P_fail bound", nonnegative=True)
    return Claim(
        id="theorem3",
        title="Matrix Chernoff (lower tail) as used in Lemma 2",
        location="App. A, Theorem 3, eq. (16)",
        kind="theorem",
        premises=(Premise("L_bound", "0 ⪯ X_k ⪯ L I almost surely (L ≥ λmax(Σ_i X̂_iX̂_iᵀ)/m)",
                          lambda inst: float(inst.get("L_scale", 1.0)) >= 1.0),),
        depends_on=(),
        statement=lambda: sp.Le(pf, b),
        bind=_bind,
        steps=(
            Step("theorem3.form", "App. A, eq. (16) vs [15, Thm 5.1.1]",
                 r"\mathbb P[\lambda_{\min}(X) \le \epsilon\lambda_{\min}(\mathbb E X)] \le "
                 r"p e^{-(1-\epsilon)^2\lambda_{\min}(\mathbb E X)/2L}", _derive_form),
            Step("theorem3.hypotheses", "App. A, Theorem 3 applied to X_k = H_r(0)",
                 r"0 \preceq X_k \preceq L I,\ X_k\ \text{independent}", _derive_hypotheses,
                 ("L_bound",)),
        ),
        check=_check,
        instances=_inst,
        example=_example,
        probabilistic=True,
    )
