"""Theorem 1 (Sec. 2; proof Sec. 3): premises, how Lemmas 2–4 and Sec. 3.2 combine, width.

Findings.

* Failure probabilities.  The proof spends one δ on Lemma 2 (λmin(H(0)) ≥ 3λ*/4; Lemma 4
  reuses this event), one on Lemma 3 (needed to turn the random R into a deterministic
  radius before ``P(E_{i,r}) ≤ 2R/√(2π)`` may be used) and one on the Markov step of Sec. 3.2:
  the union bound gives ``1 − 3δ``, not ``1 − δ``.  Replacing δ by δ/3 changes the width
  by the constant 27 (absorbed by Ω): a typo.
* Combination.  Markov applied to ``(1/m)Σ_r E[Q_ijr] ≤ 4R/√(2π) + 2δ`` gives
  ``4n²R/(√(2π)δ) + 2n²`` (the 2δ/δ term), not ``… + 2n²/m``; since λ* ≤ 1/2 (the diagonal
  of H∞ is 1/2), ``8n² < λ*/4`` is impossible and the contradiction is not reached as
  written.  Working on the good event of Lemmas 2–4 (where the second indicator vanishes)
  removes the term, at the cost already counted above.
* Width exponent.  With that fix, ``‖H(τ0) − H(0)‖_F ≤ 16n²k R̄/(√(2π)δ)`` and
  ``R̄ = (4/λ*)√(kn/m)(2√(nk) + γ)/√δ``; solving ``< λ*/4`` for m (SymPy) gives exponents
  n⁶, k⁴ (k ≥ 1), γ² as γ → ∞ but γ⁰ as γ → 0, δ⁻³ and λ*⁻⁴: the stated
  ``Ω(n⁶k⁴γ²/(λ*⁴δ³))`` holds with ``max(1, γ)²`` and k ≥ 1, and the intermediate
  ``O(n³k²/(√m δ²)·max(1,γ)/λ*)`` has δ² where the derivation gives δ^{3/2}.

The numeric check runs gradient descent (:func:`proofkit.flow.validate_theorem1`, imported
lazily) over seeds and counts runs whose energy leaves ``e^{−λ*t}(‖e(0)‖² + ‖S(0)‖²)``.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lemmas._common import frequency_example
from lemmas._section32_math import failure_budget
from lemmas.lemma2 import required_width
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import frequency_check
from proofkit.kernels import h_infinity, lambda_star
from proofkit.strategies import sobolev_problems

__all__ = ["failure_budget", "theorem1_width", "width_exponents"]

_n, _k, _m, _g, _d, _l = sp.symbols("n k m gamma delta lambda_star", positive=True)


def _drift_bound():
    """``‖H(τ0) − H(0)‖_F`` bound after the fix, with R̄ from Lemmas 3 and 4."""
    Rbar = 4 / _l * sp.sqrt(_k * _n / _m) * (2 * sp.sqrt(_n * _k) + _g) / sp.sqrt(_d)
    return 16 * _n**2 * _k * Rbar / (sp.sqrt(2 * sp.pi) * _d)


@functools.cache
def theorem1_width():
    """SymPy: the m solving ``drift bound = λ*/4`` (so any larger m gives the contradiction)."""
    sol = sp.solve(sp.Eq(_drift_bound(), _l / 4), _m)
    return sp.simplify(sol[0])


@functools.cache
def width_exponents() -> dict:
    """Exponents of n, k, γ (γ → ∞ and γ → 0), δ and λ* in :func:`theorem1_width`."""
    mw = sp.log(theorem1_width())

    def slope(var, point):
        return sp.limit(var * sp.diff(mw, var), var, point)

    return {"n": slope(_n, sp.oo), "k": slope(_k, sp.oo), "gamma_large": slope(_g, sp.oo),
            "gamma_small": slope(_g, 0), "delta": slope(_d, 0), "lambda_star": slope(_l, 0)}


def _derive_union(ctx: Context) -> Outcome:
    events, total, ratio = failure_budget()
    spent = sp.simplify(total / _d)
    return Outcome(
        Verdict.GAP if spent > 1 and ratio.is_number else (
            Verdict.VERIFIED if spent == 1 else Verdict.ERROR),
        f"P(failure) ≤ {total}; with δ/3 per event the width grows by the constant {ratio}",
        "Events used: " + "; ".join(f"{k}: {v}" for k, v in events.items()) + f". Union bound: "
        f"{total}, i.e. {spent} δ's are spent for a statement claiming one. The intended form "
        f"holds with δ → δ/3, which multiplies Ω(n⁶k⁴γ²/(λ*⁴δ³)) by {ratio} (a constant).",
        {"deltas_spent": int(spent), "width_ratio": float(ratio)},
        repair=f"run each of the {int(spent)} events at δ/{int(spent)}: 1 − δ holds and the "
        f"width grows by the constant {ratio}, absorbed in Ω(·)" if spent > 1 else "",
    )


def _derive_combine(ctx: Context) -> Outcome:
    n, R = sp.symbols("n R", positive=True)
    t = sp.Symbol("t", positive=True)
    mean = 4 * R / sp.sqrt(2 * sp.pi) + 2 * _d  # paper's bound on (1/m)Σ_r E[Q_ijr]
    thr = sp.solve(sp.Eq(n**2 * mean / t, _d), t)[0]  # Markov on Σ_ij: P(X ≥ t) ≤ E X / t = δ
    extra = sp.simplify(thr.subs(R, 0))
    stated_extra = 2 * n**2 / _m
    p = ctx.instance["problem"]
    diag = float(np.min(np.diag(np.asarray(h_infinity(p)))))
    lam = lambda_star(p)
    blocked = sp.simplify(4 * extra.subs(n, p.n) - lam / 4) > 0  # 4 blocks: A, B (twice), C
    return Outcome(
        Verdict.ERROR if (sp.simplify(extra - stated_extra) != 0 and blocked) else Verdict.VERIFIED,
        f"w.p. 1 − δ: Σ_ij (1/m)Σ_r Q_ijr ≤ {sp.expand(thr)} (Markov with the stated mean); on "
        "the good event of Lemmas 2–4: ≤ 4n²R̄/(√(2π)δ)",
        f"SymPy: Markov threshold for mean n²(4R/√(2π) + 2δ) at level δ is {sp.expand(thr)}; its "
        f"R-free part is {extra}, not the stated {stated_extra}. Then ‖H(τ0) − H(0)‖_F carries "
        f"+{4 * extra.subs(n, p.n)} on this instance (n = {p.n}) while the contradiction needs "
        f"< λ*/4 = {lam / 4:.4g} (λ* ≤ min diag H∞ = {diag:.4g}): not reachable as written. Fix: on "
        "the event {‖w_r(τ0) − w_r(0)‖ ≤ R̄ ∀r} (Lemma 4, already paid) the second indicator is 0, "
        "so Q_ijr ≤ 1{E_ir} + 1{E_jr} and Markov gives 4n²R̄/(√(2π)δ) with no extra term.",
        {"extra_term": float(extra.subs(n, p.n)), "lambda_star": lam},
    )


def _derive_width(ctx: Context) -> Outcome:
    ex = width_exponents()
    want = {"n": 6, "k": 4, "gamma_large": 2, "delta": -3, "lambda_star": -4}
    match = all(sp.simplify(ex[key] - v) == 0 for key, v in want.items())
    gamma_small_zero = sp.simplify(ex["gamma_small"]) == 0
    # the stated intermediate O(n³k² max(1,γ)/(√m δ² λ*)) < λ*/4 solved for m
    inter = sp.solve(sp.Eq(_n**3 * _k**2 * _g / (sp.sqrt(_m) * _d**2 * _l), _l / 4), _m)[0]
    inter_delta = sp.limit(_d * sp.diff(sp.log(inter), _d), _d, 0)
    k_inst = ctx.instance["problem"].k
    if not match or k_inst == 0:
        v = Verdict.ERROR  # at k = 0 the stated width n⁶k⁴γ²/(…) is 0
    elif gamma_small_zero:
        v = Verdict.GAP  # the printed γ² asks for no width at γ = 0; the derived width does
    elif inter_delta != -3:
        v = Verdict.TYPO
    else:
        v = Verdict.VERIFIED
    return Outcome(
        v, "m = Ω(n⁶ k⁴ max(1, γ)² / (λ*⁴ δ³)) for k ≥ 1",
        f"SymPy: solving 16n²kR̄/(√(2π)δ) = λ*/4 with R̄ = (4/λ*)√(kn/m)(2√(nk)+γ)/√δ gives "
        f"m = {theorem1_width()}; exponents {ex}. The stated n⁶k⁴δ⁻³λ*⁻⁴ match; the γ-exponent "
        f"is 2 only for large γ (0 as γ → 0), so γ² must read max(1, γ)² (the paper's own "
        f"intermediate uses max(1, γ)); k⁴ vanishes at k = 0 (needs k ≥ 1). The stated "
        f"intermediate O(n³k²max(1,γ)/(√m δ² λ*)) would give δ^{inter_delta}; the derivation has "
        "δ^(−3/2) there, consistent with the final δ⁻³. Lemma 2's width 32n(k+1)ln(n(k+1)/δ)/λ* "
        "is dominated (λ* ≤ 1/2, δ < 1, k ≥ 1)."
        + (" On this instance k = 0: the stated width is 0, so no width is asked for; error."
           if k_inst == 0 else ""),
        {key: float(v_) for key, v_ in ex.items()} | {"intermediate_delta_exponent":
                                                        float(inter_delta)},
        repair="read γ² as max(1, γ)²: m = Ω(n⁶k⁴max(1, γ)²/(λ*⁴δ³)), the width SymPy derives "
        "(its γ-exponent is 0 as γ → 0)" if v is Verdict.GAP else "",
    )


def _theorem1_m(problem, delta: float) -> float:
    """The width of Theorem 1 with constant 1: ``n⁶ k⁴ max(1,γ)²/(λ*⁴ δ³)``."""
    lam = lambda_star(problem)
    if not (lam > 0.0 and delta > 0.0):
        return math.inf  # no finite width when λ* = 0 (e.g. repeated points) or δ = 0
    return problem.n**6 * problem.k**4 * max(1.0, problem.gamma) ** 2 / (lam**4 * delta**3)


_MC: list = []
_M_MAX = 200_000  # widths a GD check can run (m × d weights, a few seconds)


def _check(instance, dps: int) -> Check:
    for obj, res in _MC:
        if obj is instance:
            return res
    try:  # lazy: the flow engine is a separate component
        from proofkit.flow import validate_theorem1
    except ImportError as exc:
        return Check(False, "<=", math.nan, float(instance["delta"]), math.nan, math.nan,
                     detail=f"inconclusive: the flow engine is unavailable ({exc})")
    p, m, dl = instance["problem"], int(instance["m"]), float(instance["delta"])
    if m > _M_MAX:
        raise ValueError(
            f"theorem1: m = {m:.3g} is not computationally reachable (gradient descent needs an "
            f"m × d weight matrix; this check runs m ≤ {_M_MAX:.0e}). The width premise "
            "m ≥ n⁶k⁴max(1,γ)²/(λ*⁴δ³) exceeds this for all but the smallest problems (n = 1), so "
            "such instances cannot be checked numerically; the claim rests on its steps there, "
            "and the instances without 'width' show what GD does at feasible widths")
    lam = lambda_star(p)
    if not lam > 0.0:
        return Check(False, "<=", math.nan, dl, math.nan, math.nan,
                     detail="inconclusive: λ* = 0 on this instance (repeated or antipodal "
                     "points): no decay rate e^(−λ*t) to test")
    trials = int(instance.get("trials", 3))
    t_max = float(instance.get("t_max", 2.0 / lam))
    eta = float(instance.get("eta", 0.02))
    seed0 = int(instance.get("seed", 0))
    fails, worst = 0, []
    for j in range(trials):
        try:
            rep = validate_theorem1(p, m, seed0 * 1000 + j, integrator="gd", t_max=t_max,
                                    eta=eta, delta=dl, rows=200)
        except (ArithmeticError, ValueError) as exc:
            return Check(False, "<=", math.nan, dl, math.nan, math.nan,
                         detail=f"inconclusive: the flow engine raised {type(exc).__name__}: "
                         f"{exc}")
        c = rep["checks"]["theorem1"]
        worst.append(float(c["worst_ratio"]))
        fails += int(not c["holds"])
    res = frequency_check(fails, trials, dl, detail=f"{fails}/{trials} GD runs "
                          f"(proofkit.flow.validate_theorem1, η = {eta}, t ≤ {t_max:.3g}, m = {m}) "
                          "leave e^(−λ*t)‖r(0)‖² (Euler contracts by (1 − ηλ)² ≤ e^(−2ηλ) per "
                          "step inside a region, so GD errs towards holding)",
                          extra={"max_ratio_per_run": worst, "lambda_star": lam,
                                 "theorem1_width_C1": _theorem1_m(p, dl)})
    _MC[:] = [(instance, res)]
    return res


def _width_ok(inst) -> bool:
    p, dl = inst["problem"], float(inst["delta"])
    if not (0.0 < dl < 1.0 and lambda_star(p) > 0.0):
        return False  # no finite width exists: the premise cannot hold
    return int(inst["m"]) >= max(_theorem1_m(p, dl), required_width(p, dl))


@st.composite
def _inst(draw, drop=None):
    kr = (0, 0) if drop == "k_ge_1" else (1, 1)
    p = draw(sobolev_problems(n=(1, 2), d=(3, 3), k=kr, separation=0.5,
                              drop="separation" if drop == "assumption1" else None,
                              value_scale=1.0).filter(
        lambda q: drop == "assumption1" or lambda_star(q) >= 0.01))
    inst = {"problem": p, "m": draw(st.sampled_from([50, 200])), "delta": 0.2,
            "seed": draw(st.integers(0, 2**16)), "trials": 2, "t_max": 5.0, "eta": 0.02}
    if drop != "width" and _width_ok(inst | {"m": 2**62}):
        # the premise asks for m ≥ n⁶k⁴max(1,γ)²/(λ*⁴δ³) (~1e10 and up): honour it (the
        # check then says this width is out of computational reach) rather than fake it
        inst["m"] = math.ceil(max(_theorem1_m(p, 0.2), required_width(p, 0.2)))
    return inst


def _bind(inst) -> dict:
    c = _check(inst, 30)
    lo = c.extra.get("failure_rate_interval", [math.nan])[0]
    return {"P_fail": lo, "delta": float(inst["delta"])}


@claim
def theorem1() -> Claim:
    pf, dl = sp.symbols("P_fail delta", nonnegative=True)
    return Claim(
        id="theorem1",
        title="Global convergence of Sobolev training (gradient flow, no bias)",
        location="Sec. 2, Theorem 1; proof Sec. 3",
        kind="theorem",
        premises=(
            Premise("assumption1", "Assumption 1: unit x_i, δ1 > 0 (7), δ2 < 1/k (8)",
                    lambda inst: inst["problem"].satisfies_assumption1()),
            Premise("width", "m ≥ n⁶k⁴max(1,γ)²/(λ*⁴δ³) (constant 1) and Lemma 2's width",
                    _width_ok),
            Premise("k_ge_1", "k ≥ 1 (not stated; Lemmas 3–4 fail at k = 0)",
                    lambda inst: inst["problem"].k >= 1),
        ),
        depends_on=("eq14", "lemma1", "lemma2", "lemma3", "lemma4", "prop1"),
        statement=lambda: sp.Le(pf, dl),
        bind=_bind,
        steps=(
            Step("theorem1.union", "Sec. 3 (proof of Theorem 1): failure probabilities",
                 r"\text{with probability } 1-\delta", _derive_union),
            Step("theorem1.combine", "Sec. 3.2, Markov step combining Lemmas 2–4",
                 r"\|A(\tau_0)-A(0)\|_F \le \frac{4n^2}{\sqrt{2\pi}\delta}R + \frac{2n^2}{m}",
                 _derive_combine),
            Step("theorem1.width", "Theorem 1 and Sec. 3.2, last displays",
                 r"m = \Omega\left(\frac{n^6k^4\gamma^2}{\lambda_*^4\delta^3}\right)",
                 _derive_width, ("k_ge_1",)),
        ),
        check=_check,
        instances=_inst,
        example=frequency_example(trials=3),
        probabilistic=True,
        effort=0.05,  # one evaluation runs gradient descent twice
    )
