"""Lemma 3 (Sec. 3.1, proof in App. A): ‖e(0)‖ + ‖S(0)‖ ≤ (2√(nk) + γ)/δ^{1/2} w.p. ≥ 1 − δ.

Findings (SymPy Gaussian integrals, Markov solved for the threshold).

* ``E[f(W, x_i)²] = Σ_r E[a_r²] E[σ(w_rᵀx_i)²] = 1/2``: the cross terms vanish only because
  the signs of a_r are independent and symmetric (with equal signs E[f²] = 1/2 + (m−1)/(2π)).
  The stated ``≤ 1`` is true and loose by 2.
* ``E[‖F̄(W, x_i)‖²] = E_g[σ'(gᵀx_i)‖V_iᵀg‖²] = k/2`` for every overlap V_iᵀx_i (each
  ``E[1{u>0}(c u + √(1−c²) z)²] = 1/2``); the stated ``≤ k`` is loose by 2.
* Route.  Jensen (E‖·‖ ≤ √E‖·‖²) then Markov on the norm gives a threshold ∝ 1/δ, not
  1/√δ.  The δ^{1/2} follows from Markov on the *squares* ‖f(0)‖² + ‖F̄(0)‖² and the
  convexity step (a + b)² ≤ 2(a² + b²): with the paper's moments,
  ``‖e(0)‖ + ‖S(0)‖ ≤ γ + √(2n(k+1)/δ)``, which is ≤ (2√(nk) + γ)/√δ iff ``k ≥ 1``.
  With the exact moments: ``γ + √(n(k+1)/δ)``.
* For ``k = 0`` (standard training, allowed by the problem class) the statement reads
  ``‖e(0)‖ ≤ γ/√δ``, false whenever γ = 0 (y = 0) because f(W(0), x_i) ≠ 0 almost surely.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lemmas._common import frequency_example
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import failure_bind, frequency_check
from proofkit.network import init_network, residuals
from proofkit.problem import SobolevProblem
from proofkit.strategies import sobolev_problems

__all__ = ["initial_residual_sums", "markov_thresholds", "moments"]

_u, _z = sp.symbols("u z", real=True)


@functools.cache
def _gauss(power: int, half: bool):
    """SymPy: ∫ u^power φ(u) du over (0, ∞) (``half``) or over R."""
    lo = 0 if half else -sp.oo
    return sp.integrate(_u**power * sp.exp(-_u**2 / 2) / sp.sqrt(2 * sp.pi), (_u, lo, sp.oo))


@functools.cache
def moments() -> dict:
    """SymPy Gaussian integrals behind Lemma 3 (u, z independent N(0, 1), c = v_jᵀx_i).

    ``E_dir_term = E[1{u > 0}(c u + √(1−c²) z)²]`` is integrated monomial by monomial:
    ``E[1{u>0} u^a z^b] = ∫₀^∞ u^a φ · ∫_R z^b φ`` (u, z independent).
    """
    c = sp.Symbol("c", real=True)
    s = sp.sqrt(1 - c**2)
    poly = sp.Poly(sp.expand((c * _u + s * _z) ** 2), _u, _z)
    E_dir = sum(coef * _gauss(a, True) * _gauss(b, False) for (a, b), coef in poly.terms())
    return {"E_sigma2": _gauss(2, True), "E_sigma": _gauss(1, True),
            "E_dir_term": sp.simplify(E_dir), "c": c}


@functools.cache
def markov_thresholds() -> dict:
    """Solve Markov for the threshold t with P(X ≥ t) ≤ δ under both readings of the route.

    Reading A: Jensen E[X] ≤ √E[X²] per block, Markov on X = ‖f‖ + ‖F̄‖.  Reading B: Markov on
    Y = ‖f‖² + ‖F̄‖², then ‖f‖ + ‖F̄‖ ≤ √(2Y).  Moments are the paper's: E‖f‖² ≤ n, E‖F̄‖² ≤ nk.
    """
    n, k, delta, t = sp.symbols("n k delta t", positive=True)
    tA = sp.solve(sp.Eq((sp.sqrt(n) + sp.sqrt(n * k)) / t, delta), t)[0]
    tB2 = sp.solve(sp.Eq(n * (1 + k) / t, delta), t)[0]
    tB = sp.sqrt(2 * tB2)
    paper = 2 * sp.sqrt(n * k) / sp.sqrt(delta)
    expA = _delta_exponent(tA, delta)
    expB = _delta_exponent(tB, delta)
    kk = sp.Symbol("k", real=True)
    cond = sp.solve_univariate_inequality(((paper**2 - tB**2) / (2 * n / delta)).subs(k, kk)
                                          >= 0, kk, relational=False)
    return {"tA": tA, "tB": sp.simplify(tB), "expA": expA, "expB": expB, "paper": paper,
            "k_range": cond, "symbols": (n, k, delta)}


def _delta_exponent(expr, delta):
    # exponent e with expr ∝ δ^e
    e = sp.Symbol("e")
    ratio = sp.simplify(expr.subs(delta, 4 * delta) / expr)
    return sp.solve(sp.Eq(4**e, ratio), e)[0]


def initial_residual_sums(problem: SobolevProblem, m: int, trials: int, seed: int = 0,
                          signs: str = "independent") -> np.ndarray:
    """``‖e(0)‖ + ‖S(0)‖`` over ``trials`` initialisations (9) (or equal signs a_r = 1/√m)."""
    rng = np.random.default_rng(seed)
    out = np.empty(trials)
    for t in range(trials):
        W, a = init_network(m, problem.d, seed=rng)
        if signs == "equal":
            a = np.abs(a)
        e, S = residuals(problem, W, a)
        out[t] = float(np.linalg.norm(e) + np.linalg.norm(S))
    return out


def _paper_bound(problem, delta):
    return (2 * math.sqrt(problem.n * problem.k) + problem.gamma) / math.sqrt(delta)


def _derive_Ef2(ctx: Context) -> Outcome:
    mo = moments()
    m_ = sp.Symbol("m", positive=True)
    indep = sp.simplify(m_ * (1 / m_) * mo["E_sigma2"])
    equal = sp.simplify(mo["E_sigma2"] + (m_ - 1) * mo["E_sigma"] ** 2)
    v = Verdict.LOOSE if indep < 1 else (Verdict.VERIFIED if indep == 1 else Verdict.ERROR)
    return Outcome(
        v, f"E[f(W,x_i)²] = Σ_r (1/m) E[σ(w_rᵀx_i)²] = {indep}",
        f"SymPy: E[σ(g)²] = ∫₀^∞ u²φ(u)du = {mo['E_sigma2']} (wᵀx_i ~ N(0,1) for unit x_i); "
        "cross terms E[a_r a_s] = 0 (r ≠ s) need independent symmetric signs; with equal signs "
        f"E[f²] = {equal}, unbounded in m. The stated ≤ 1 holds with factor 2 to spare.",
        {"E_f2": float(indep)},
    )


def _derive_EF(ctx: Context) -> Outcome:
    mo = moments()
    k = ctx.instance["problem"].k
    term = mo["E_dir_term"]
    const = sp.simplify(sp.diff(term, mo["c"])) == 0
    total = k * term
    v = (Verdict.LOOSE if k and sp.simplify(total - k) != 0 else Verdict.VERIFIED) if const \
        else Verdict.INCONCLUSIVE
    return Outcome(
        v, f"E[‖F̄(W,x_i)‖²] = E_g[σ'(gᵀx_i)‖V_iᵀg‖²] = k·({term}) = {sp.simplify(total)}",
        "SymPy: with u = gᵀx_i, v_jᵀg = c u + √(1−c²) z (c = v_jᵀx_i), "
        f"E[1{{u>0}}(cu + √(1−c²)z)²] = {term}, independent of c: {const}. So the expectation "
        f"is k/2 = {sp.Rational(k, 2)} for every overlap; the stated ≤ Σ_j E[(v_jᵀg)²] = k is "
        "true and loose by 2 (it drops the indicator).",
        {"E_F2": float(total)},
    )


def _derive_route(ctx: Context) -> Outcome:
    mt = markov_thresholds()
    p, dl = ctx.instance["problem"], float(ctx.instance["delta"])
    n, k = p.n, p.k
    ok_k = k >= 1
    tight = p.gamma + math.sqrt(n * (k + 1) / dl)
    via_paper_moments = p.gamma + math.sqrt(2 * n * (k + 1) / dl)
    return Outcome(
        Verdict.VERIFIED if ok_k else Verdict.ERROR,
        f"‖e(0)‖+‖S(0)‖ ≤ γ + {mt['tB']} (Markov on the squares); ≤ γ + √(n(k+1)/δ) with the "
        "exact moments",
        f"SymPy: Jensen then Markov on the norm gives t = {mt['tA']} ∝ δ^{mt['expA']}; Markov on "
        f"‖f‖² + ‖F̄‖² then (a+b)² ≤ 2(a²+b²) gives t = {mt['tB']} ∝ δ^{mt['expB']}. So the "
        "stated δ^(1/2) follows by the second route (one δ), not by Jensen + Markov on the norm. "
        f"√(2n(k+1)/δ) ≤ 2√(nk)/√δ exactly for k ∈ {mt['k_range']}. On this instance (k = {k}): "
        f"{'holds' if ok_k else 'fails: for k = 0 the stated bound is γ/√δ, violated when γ = 0'}"
        f"; bounds γ + √(2n(k+1)/δ) = {via_paper_moments:.5g}, γ + √(n(k+1)/δ) = {tight:.5g}, "
        f"stated {_paper_bound(p, dl):.5g}.",
        {"exp_jensen_markov": float(mt["expA"]), "exp_markov_squares": float(mt["expB"]),
         "bound_exact_moments": tight, "bound_paper_moments": via_paper_moments,
         "paper_bound": _paper_bound(p, dl)},
    )


_MC: list = []


def _check(instance, dps: int) -> Check:
    trials = int(instance.get("trials", 200))
    for obj, res in _MC:
        if obj is instance:
            return res
    p, dl = instance["problem"], float(instance["delta"])
    sums = initial_residual_sums(p, int(instance["m"]), trials, int(instance.get("seed", 0)),
                                 instance.get("signs", "independent"))
    bound = _paper_bound(p, dl)
    fails = int(np.sum(sums > bound))
    res = frequency_check(fails, trials, dl, detail=f"{fails}/{trials} initialisations with "
                          f"‖e(0)‖+‖S(0)‖ > (2√(nk)+γ)/√δ = {bound:.4g} (δ = {dl})",
                          extra={"bound": bound, "max_sum": float(sums.max()),
                                 "quantile_1_minus_delta": float(np.quantile(sums, 1 - dl))})
    _MC[:] = [(instance, res)]
    return res


@st.composite
def _inst(draw, drop=None):
    kr = (0, 0) if drop == "k_ge_1" else (1, 2)
    p = draw(sobolev_problems(n=(1, 4), d=(3, 5), k=kr, separation=0.0))
    if drop == "k_ge_1":
        x, _, V, h = p.host()
        p = SobolevProblem(x, np.zeros(p.n), V, h)  # γ = 0: the stated bound is 0
    m = draw(st.sampled_from([50, 200])) if drop != "signs" else 20000
    if drop == "signs":
        x, _, V, h = p.host()
        p = SobolevProblem(x, np.zeros(p.n), V, np.zeros_like(h))
    return {"problem": p, "m": m, "delta": draw(st.sampled_from([0.1, 0.2, 0.5])),
            "seed": draw(st.integers(0, 2**16)), "trials": 40 if drop != "signs" else 10,
            "signs": "equal" if drop == "signs" else "independent"}


@claim
def lemma3() -> Claim:
    pf, dl = sp.symbols("P_fail delta", nonnegative=True)
    return Claim(
        id="lemma3",
        title="Residuals at initialisation: ‖e(0)‖ + ‖S(0)‖ ≤ (2√(nk) + γ)/√δ w.p. 1 − δ",
        location="Sec. 3.1, Lemma 3; proof in App. A",
        kind="lemma",
        premises=(
            Premise("signs", "a_r i.i.d. uniform on ±1/√m, independent of W (9)",
                    lambda inst: inst.get("signs", "independent") == "independent"),
            Premise("k_ge_1", "k ≥ 1 (not stated in the paper; the bound fails for k = 0)",
                    lambda inst: inst["problem"].k >= 1),
        ),
        depends_on=(),
        statement=lambda: sp.Le(pf, dl),
        bind=failure_bind(_check),
        steps=(
            Step("lemma3.Ef2", "App. A, proof of Lemma 3, display 1",
                 r"\mathbb E[f(W,x_i)^2] = \sum_r \frac1m \mathbb E[\sigma(w_r^Tx_i)^2] \le 1",
                 _derive_Ef2, ("signs",)),
            Step("lemma3.EF", "App. A, proof of Lemma 3, display 2",
                 r"\mathbb E\|\bar F(W,x_i)\|^2 = \mathbb E_g\|\sigma'(g^Tx_i)V_i^Tg\|^2 \le "
                 r"\sum_j \mathbb E[(v_{i,j}^Tg)^2] \le k", _derive_EF, ("signs",)),
            Step("lemma3.route", "App. A, proof of Lemma 3, last line (Jensen + Markov)",
                 r"\|e(0)\|_2 + \|S(0)\|_2 \le \frac{2\sqrt{nk} + \gamma}{\delta^{1/2}}",
                 _derive_route, ("signs", "k_ge_1")),
        ),
        check=_check,
        instances=_inst,
        example=frequency_example(trials=200, signs="independent"),
        probabilistic=True,
    )

