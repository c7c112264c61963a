"""Du et al. (2019), Theorem 3.1: H∞ of a two-layer ReLU network is positive definite.

The k = 0 case of Cocola & Hand's H∞ (plain, non-Sobolev training):

    H∞_ij = E_{w ~ N(0, I)}[x_iᵀx_j 1{wᵀx_i > 0} 1{wᵀx_j > 0}] = x_iᵀx_j (π − arccos x_iᵀx_j)/(2π),

and λ0 = λmin(H∞) > 0 when no two of the unit points x_i are parallel.  Premise
``separated`` asks δ1 = min_{i≠j} min(‖x_i − x_j‖, ‖x_i + x_j‖) ≥ 0.05 (Assumption 1 of
Cocola & Hand with k = 0), so that λ0 is far above rounding; dropping it lets two points
coincide (then H∞ has two equal rows and λ0 = 0: the search shows the premise is needed).

Steps: the orthant probability in closed form (SymPy), and that closed form against a Monte
Carlo mean over w ~ N(0, I_d) with a Hoeffding bound.  The check is a proved lower bound on
λ0 (ball arithmetic, :func:`proofkit.precision.certified_lambda_star_enclosure`) against 0.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.kernels import expected_pattern_kernel, h_infinity, h_infinity_monte_carlo, lambda_min
from proofkit.precision import certified_lambda_star_enclosure
from proofkit.problem import SobolevProblem, random_problem

CLAIM_ID = "du_h_infinity_pd"
SEPARATION = 0.05
DELTA = 1e-6  # Hoeffding failure probability of the Monte Carlo step


@functools.lru_cache(maxsize=1)
def orthant_probability() -> tuple[str, bool]:
    """P(wᵀx_i > 0, wᵀx_j > 0) for unit x_i, x_j at angle θ ∈ [0, π], derived in SymPy.

    Project w on span{x_i, x_j}: an isotropic 2-d Gaussian, whose angle φ is uniform.  With
    x_i at angle 0 and x_j at θ, both inner products are positive iff φ lies in
    (−π/2, π/2) ∩ (θ − π/2, θ + π/2); its length over 2π is the probability.
    """
    t = sp.Symbol("theta", nonnegative=True)
    lo = sp.Max(-sp.pi / 2, t - sp.pi / 2)
    hi = sp.Min(sp.pi / 2, t + sp.pi / 2)
    prob = sp.simplify((hi - lo) / (2 * sp.pi))
    want = (sp.pi - t) / (2 * sp.pi)
    # θ ≤ π makes the arc non-empty (hi ≥ lo); SymPy decides hi − lo ≥ 0 at θ = π exactly.
    ok = sp.simplify(prob - want) == 0 and bool((hi - lo).subs(t, sp.pi) >= 0)
    return str(prob), ok


def _problem(inst) -> SobolevProblem:
    return inst["problem"]


def _derive_orthant(ctx: Context) -> Outcome:
    prob, ok = orthant_probability()
    p = _problem(ctx.instance)
    K = np.asarray(expected_pattern_kernel(p))
    G = p.x @ p.x.T
    H = np.asarray(h_infinity(p))
    built = float(np.max(np.abs(H - G * K)))  # proofkit's H∞ (k = 0) is x_iᵀx_j times E[M]
    ok = ok and built <= 1e-14
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        rf"P(w^\top x_i>0,\ w^\top x_j>0) = {sp.latex(sp.sympify(prob))}",
        f"SymPy: the arc (−π/2, π/2) ∩ (θ − π/2, θ + π/2) has length π − θ for θ ∈ [0, π], so "
        f"the orthant probability is {prob}; proofkit.kernels.h_infinity with k = 0 equals "
        f"x_iᵀx_j · (π − θ_ij)/(2π) on this instance to {built:.1e}.",
        {"probability": prob, "max_assembly_gap": built},
    )


def _derive_monte_carlo(ctx: Context) -> Outcome:
    p = _problem(ctx.instance)
    samples = max(2000, int(20000 * ctx.budget))
    _, K_hat = h_infinity_monte_carlo(p, samples, seed=ctx.seed)
    K = np.asarray(expected_pattern_kernel(p))
    gap = float(np.max(np.abs(K_hat - K)))
    eps = math.sqrt(math.log(2 * p.n * p.n / DELTA) / (2 * samples))  # Hoeffding, union bound
    ok = gap <= eps
    return Outcome(
        Verdict.EVIDENCE if ok else Verdict.ERROR,
        r"\max_{ij}|\hat K_{ij} - (\pi-\theta_{ij})/(2\pi)| \le \varepsilon",
        f"Monte Carlo over {samples} draws w ~ N(0, I_{p.d}) (seed {ctx.seed}): max entry gap "
        f"{gap:.3e} {'≤' if ok else '>'} Hoeffding ε = {eps:.3e} (failure probability "
        f"{DELTA:g} over all n² entries); support for the closed form, not a proof.",
        {"samples": samples, "max_gap": gap, "hoeffding_eps": eps, "delta": DELTA},
    )


def _certified(p: SobolevProblem) -> tuple[float, float]:
    lo, _ = certified_lambda_star_enclosure(p)
    return lo, lambda_min(np.asarray(h_infinity(p)))


def _check(inst, dps: int) -> Check:
    lo, lam = _certified(_problem(inst))
    return compare(lam, 0.0, relation=">", lhs_mp=lo, rhs_mp=0, dps=dps,
                   detail="λ0 = λmin(H∞) against 0: float64 eigvalsh, decided on the proved "
                   "lower bound (ball arithmetic)", extra={"certified_lower": lo})


def _separated(inst) -> bool:
    return bool(_problem(inst).delta1 >= SEPARATION)


def _draw(n: int, d: int, seed: int, duplicate: bool):
    p = random_problem(n, d, 0, separation=SEPARATION, seed=seed)
    if duplicate:  # two coinciding points: the premise fails, H∞ is singular
        x = p.x.copy()
        x[1] = x[0]
        p = SobolevProblem(x, p.y, p.V, p.h)
    return {"problem": p}


def _instances(*, drop: str | None = None):
    if drop not in (None, "separated"):
        raise ValueError(f"{CLAIM_ID} premises: ['separated']; cannot drop {drop!r}")
    return st.builds(_draw, st.integers(2, 5), st.integers(2, 5), st.integers(0, 2**31 - 1),
                     st.just(drop == "separated"))


def _example(*, n: int = 4, d: int = 5, k: int = 0, m: int = 0, seed: int = 0):
    return _draw(n, d, seed, False)


@claim
def du_h_infinity_pd() -> Claim:
    lam = sp.Symbol("lambda_0", real=True)
    return Claim(
        id=CLAIM_ID,
        title="H∞ of a two-layer ReLU network is positive definite for non-parallel unit points",
        location="Du et al. (2019), Theorem 3.1 (k = 0 case of Definition 1)",
        kind="theorem",
        premises=(Premise("separated", f"δ1 ≥ {SEPARATION}: no two points (anti)parallel",
                          _separated),),
        depends_on=(),
        statement=lambda: sp.Gt(lam, 0),
        bind=lambda inst: {"lambda_0": _certified(_problem(inst))[0]},
        steps=(
            Step(f"{CLAIM_ID}.orthant", "Du et al. (2019), Sec. 3, H∞ in closed form",
                 r"H^\infty_{ij} = x_i^\top x_j\,\frac{\pi - \arccos(x_i^\top x_j)}{2\pi}",
                 _derive_orthant),
            Step(f"{CLAIM_ID}.monte_carlo", "Du et al. (2019), (3): H∞ as an expectation",
                 r"H^\infty_{ij} = \mathbb{E}_{w\sim N(0,I)}[x_i^\top x_j\,"
                 r"\mathbb{1}\{w^\top x_i>0, w^\top x_j>0\}]", _derive_monte_carlo),
        ),
        check=_check,
        instances=_instances,
        example=_example,
    )
