"""Lemma 2 (Sec. 3.1, proof in App. A): λmin(H(0)) ≥ 3λ*/4 with probability 1 − δ.

Findings.  ``E[H(0)] = Σ_r E[a_r²] E[Ω(w_r)ᵀΩ(w_r)] = H∞`` (a_r² = 1/m surely; the closed
form of E[M] is confirmed by Monte Carlo with a Hoeffding bound).  Solving the matrix
Chernoff bound (16) ``p·exp(−(1 − ε)² λ*/(2L)) ≤ δ`` with ``p = n(k+1)``, ``ε = 3/4`` and
``L = n(k+1)/m`` for m gives exactly ``m ≥ 32 n(k+1) ln(n(k+1)/δ)/λ*`` (SymPy), so the
width condition is right for the L it uses.  That L comes from Lemma 1 and is loose:
``λmax(H_r) ≤ λmax(Σ_i X̂_iX̂_iᵀ)/m ≤ n(1 + √kδ2)/m``, so the same solve with the tighter L
needs only ``m ≥ 32 λmax(Σ_i X̂_iX̂_iᵀ) ln(n(k+1)/δ)/λ*`` (up to (k+1)/2 times smaller).
The statement itself is confirmed by Monte Carlo frequency (Clopper–Pearson).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import failure_bind, frequency_check
from proofkit.kernels import expected_pattern_kernel, h_infinity_monte_carlo, lambda_star
from proofkit.kernels import point_frames as frames
from proofkit.problem import random_problem
from proofkit.strategies import sobolev_problems

__all__ = ["chernoff_width", "lambda_min_h0_samples", "required_width", "tight_L"]


def required_width(problem, delta: float, lam: float | None = None) -> int:
    """The width of Lemma 2: ``ceil(32 n(k+1) ln(n(k+1)/δ)/λ*)``."""
    lam = lambda_star(problem) if lam is None else lam
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta = {delta!r}; the failure probability must lie in (0, 1)")
    if not lam > 0.0:
        raise ValueError(f"λ* = {lam!r}; the width of Lemma 2 needs λ* > 0 (separated data)")
    N = problem.N
    return math.ceil(32 * N * math.log(N / delta) / lam)


def tight_L(problem) -> float:
    """``λmax(Σ_i X̂_iX̂_iᵀ)``: m times an almost-sure bound on λmax(H_r(0))."""
    Xh = frames(problem)
    return float(np.linalg.eigvalsh(sum(X @ X.T for X in Xh))[-1])


def chernoff_width():
    """SymPy: solve ``p exp(−(1 − ε)² λ/(2L)) = δ`` for m with ``L = c/m``.

    Returns ``(m_solution, symbols)``; with ``c = p = n(k+1)``, ``ε = 3/4`` this is
    Lemma 2's width.
    """
    p, lam, delta, m, c = sp.symbols("p lambda_star delta m c", positive=True)
    eps = sp.Rational(3, 4)
    L = c / m
    sol = sp.solve(sp.Eq(p * sp.exp(-(1 - eps) ** 2 * lam / (2 * L)), delta), m)
    return sp.simplify(sol[0]), (p, lam, delta, m, c)


def lambda_min_h0_samples(problem, m: int, trials: int, seed: int = 0) -> np.ndarray:
    """``λmin(H(0))`` for ``trials`` independent initialisations (9) of width m.

    H(0) is assembled in the hat ordering (same spectrum) from ``K = PᵀP/m`` (a_r² = 1/m).
    """
    x = problem.host()[0]
    F = frames(problem).transpose(0, 2, 1).reshape(problem.N, problem.d)
    G = F @ F.T
    ones = np.ones((problem.k + 1, problem.k + 1))
    rng = np.random.default_rng(seed)
    out = np.empty(trials)
    for t in range(trials):
        P = (rng.standard_normal((m, problem.d)) @ x.T > 0).astype(float)
        K = (P.T @ P) / m
        out[t] = np.linalg.eigvalsh(G * np.kron(K, ones))[0]
    return out


def _derive_mean(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    m_, _a = sp.symbols("m a", positive=True)
    Ea2 = sp.Rational(1, 2) * (1 / sp.sqrt(m_)) ** 2 + sp.Rational(1, 2) * (-1 / sp.sqrt(m_)) ** 2
    ok_a = sp.simplify(Ea2 - 1 / m_) == 0
    samples = int(20000 * ctx.budget) + 1000
    _, K = h_infinity_monte_carlo(p, samples, seed=ctx.seed)
    EM = np.asarray(expected_pattern_kernel(p))
    dev = float(np.max(np.abs(K - EM)))
    fail = 1e-6
    hoeff = math.sqrt(math.log(2 * p.n**2 / fail) / (2 * samples))
    ok = ok_a and dev <= hoeff
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        "E[H(0)] = Σ_r E[a_r²] E[Ω(w_r)ᵀΩ(w_r)] = m·(1/m)·H∞ = H∞",
        f"SymPy: E[a_r²] = {sp.simplify(Ea2)} for a_r ~ unif{{±1/√m}}: {ok_a}. Monte Carlo of "
        f"E[M] ({samples} draws): max |K̂ − (π − arccos x_iᵀx_j)/2π| = {dev:.2e} ≤ Hoeffding "
        f"bound {hoeff:.2e} (failure probability {fail:g}).",
        {"mc_max_dev": dev, "hoeffding": hoeff},
    )


def _derive_L(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    m = int(ctx.instance["m"])
    Lt = tight_L(p) / m
    Lp = p.N / m
    d1 = p.n * (1 + float(np.max(p.vx_norms))) / m if p.k else p.n / m
    v = Verdict.LOOSE if Lt < Lp * (1 - 1e-12) else Verdict.VERIFIED
    return Outcome(
        v, "0 ⪯ H_r(0) ⪯ L I with L = λmax(Σ_i X̂_iX̂_iᵀ)/m ≤ n(1 + max_i‖V_iᵀx_i‖)/m",
        f"H_r(0) = a_r² Ω̂ᵀΩ̂ over the active points, so λmax(H_r) ≤ λmax(Σ_i X̂_iX̂_iᵀ)/m = "
        f"{Lt:.6g} (attained when some w activates every point); Lemma 1's derived bound {d1:.6g}; the "
        f"stated L = n(k+1)/m = {Lp:.6g} (ratio {Lp / Lt:.3g}).",
        {"L_tight": Lt, "L_lemma1": d1, "L_paper": Lp},
    )


def _derive_width(ctx: Context) -> Outcome:
    sol, (p, lam, delta, _m, c) = chernoff_width()
    n, k = sp.symbols("n k", positive=True)
    N = n * (k + 1)
    paper = 32 * N * sp.log(N / delta) / lam
    mine = sol.subs({p: N, c: N})
    diff = sp.simplify(sp.expand_log(mine - paper, force=True))
    exact = diff == 0
    prob = ctx.instance["problem"]
    Nn, dl = prob.N, float(ctx.instance["delta"])
    lam_v = lambda_star(prob)
    tight = 32 * tight_L(prob) * math.log(Nn / dl) / lam_v
    return Outcome(
        Verdict.VERIFIED if exact else Verdict.ERROR,
        f"m ≥ {sp.factor(sp.expand_log(mine, force=True))}",
        "SymPy: p·exp(−(1−ε)²λ*/(2L)) = δ with ε = 3/4, L = n(k+1)/m, p = n(k+1) solved for m "
        f"gives {sol} → difference from the stated width simplifies to {diff}. Complement of "
        "the Chernoff event: λmin(H(0)) > 3λ*/4 ≥ 3λ*/4. With the tight L of lemma2.L the same "
        f"solve needs m ≥ 32 λmax(ΣX̂X̂ᵀ) ln(N/δ)/λ* = {tight:.4g} on this instance vs the stated "
        f"{required_width(prob, dl, lam_v)}.",
        {"width_paper": required_width(prob, dl, lam_v), "width_tight_L": tight},
    )


_MC: list = []


def _frequency(instance, trials: int):
    for obj, t, res in _MC:
        if obj is instance and t == trials:
            return res
    p = instance["problem"]
    lam = lambda_star(p)
    lm = lambda_min_h0_samples(p, int(instance["m"]), trials, seed=int(instance.get("seed", 0)))
    res = (int(np.sum(lm <= 0.75 * lam)), lm, lam)
    _MC[:] = [(instance, trials, res)]
    return res


def _check(instance, dps: int, trials: int | None = None) -> Check:
    trials = int(instance.get("trials", 100)) if trials is None else trials
    fails, lm, lam = _frequency(instance, trials)
    return frequency_check(fails, trials, float(instance["delta"]), extra={
        "lambda_star": lam, "min_lambda_min_H0": float(lm.min()),
        "mean_lambda_min_H0_over_lambda_star": float(lm.mean() / lam), "m": int(instance["m"])},
        detail=f"{fails}/{trials} draws with λmin(H(0)) ≤ 3λ*/4 (λ* = {lam:.4g}, "
        f"m = {int(instance['m'])}, δ = {instance['delta']})")


def _width_ok(inst) -> bool:
    dl = float(inst["delta"])  # δ ∈ (0, 1) and λ* > 0 are part of the premise: no width else
    lam = lambda_star(inst["problem"])
    return 0.0 < dl < 1.0 and lam > 0.0 and int(inst["m"]) >= required_width(
        inst["problem"], dl, lam)


@st.composite
def _inst(draw, drop=None):
    p = draw(sobolev_problems(n=(1, 3), d=(3, 4), k=(0, 1), separation=0.3).filter(
        lambda q: lambda_star(q) >= 0.03))
    delta = draw(st.sampled_from([0.05, 0.1, 0.2]))
    need = required_width(p, delta)
    m = need if drop is None else max(1, need // draw(st.sampled_from([200, 1000, 5000])))
    return {"problem": p, "m": int(m), "delta": delta, "seed": draw(st.integers(0, 2**16)),
            "trials": 40}


def _example(*, n: int, d: int, k: int, m: int, seed: int = 0):
    p = random_problem(n, d, k, seed=seed)
    delta = 0.1
    return {"problem": p, "m": max(int(m), required_width(p, delta)), "delta": delta,
            "seed": seed, "trials": 100}


@claim
def lemma2() -> Claim:
    pf, dl = sp.symbols("P_fail delta", nonnegative=True)
    return Claim(
        id="lemma2",
        title="λmin(H(0)) ≥ 3λ*/4 with probability 1 − δ",
        location="Sec. 3.1, Lemma 2; proof in App. A",
        kind="lemma",
        premises=(Premise("width", "m ≥ 32 n(k+1) ln(n(k+1)/δ)/λ*", _width_ok),),
        depends_on=("lemma1", "theorem3"),
        statement=lambda: sp.Le(pf, dl),
        bind=failure_bind(_check),
        steps=(
            Step("lemma2.mean", "App. A, proof of Lemma 2", r"\mathbb E[H(0)] = H^\infty",
                 _derive_mean),
            Step("lemma2.L", "App. A, proof of Lemma 2",
                 r"0 \preceq H_r(0),\ \lambda_{\max}(H_r) \le n(k+1)/m", _derive_L),
            Step("lemma2.width", "Sec. 3.1, Lemma 2 (via (16))",
                 r"m \ge \frac{32}{\lambda_*} n(k+1)\ln(n(k+1)/\delta) \Rightarrow "
                 r"\lambda_{\min}(H(0)) \ge \tfrac34\lambda_*\ \text{w.p.}\ 1-\delta",
                 _derive_width, ("width",)),
        ),
        check=_check,
        instances=_inst,
        example=_example,
        probabilistic=True,
    )
