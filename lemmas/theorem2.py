"""Theorem 2 (Section 2.1): convergence with bias, λ* ≥ δ/(200n²), δ = min(αδ̂1, 2β).

Derivation: Section 2.1 (``section21``) turns the biased problem into the unbiased one on lifted
data with δ1(lifted) ≥ min(αδ̂1, 2β) and δ2(lifted) ≤ α = 1/(2k); Proposition 1 then gives
λ*(lifted) ≥ (1 − kα) δ/(100n²) = δ/(200n²) (SymPy), and Theorem 1 applies to the lifted data
with γ = ‖y‖ + ‖h/α‖.

Findings.
- The bound holds (certified by ball arithmetic on each instance) and is loose: with the exact
  Lemma 6 eigenvalue, λmin(X̃_iᵀX̃_i) = 1 − α‖V_iᵀx_i‖ ≥ 1 − α, so
  λ* ≥ (1 − 1/(2k)) δ/(100n²) = (2k − 1) δ/(200 k n²) (equal to the paper's for k = 1).
- δ = min(αδ̂1, 2β) is always αδ̂1 (``section21.delta1``).
- Misprints: "λ0" in the width condition is λ* (of the lifted data); δ denotes both the failure
  probability (in 1 − δ and in the width δ³) and min(αδ̂1, 2β).
- The dynamics (biased flow (12) run directly against the unbiased flow on lifted data) come
  from ``proofkit.flow.run_flow``; when the flow engine is missing the step is ``inconclusive``.
"""

from __future__ import annotations

import math
from functools import partial

import mpmath
import numpy as np
import sympy as sp

from lemmas._extra_steps import derive_k_growth
from lemmas._linalg import certificate, lambda_min
from lemmas._section21_lift import biased_example, biased_instances, k_positive
from lemmas.lemma5 import delta1_mp
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.kernels import h_infinity, lambda_star
from proofkit.precision import certified_lambda_star, h_infinity_mp, lambda_min_mp
from proofkit.problem import default_alpha, lift_bias


def _delta(p, dps: int):
    with mpmath.workdps(dps):
        al = 1 / (2 * mpmath.mpf(p.k))
        be = mpmath.sqrt(1 - al * al)
        return min(al * delta1_mp(p.host()[0], dps, antipodal=False), 2 * be)


def bound_sympy() -> tuple[sp.Expr, sp.Expr]:
    """SymPy: Prop. 1 on lifted data with δ2 ≤ α = 1/(2k), and the exact-Lemma-6 variant."""
    k, n, dl = sp.symbols("k n delta", positive=True)
    al = 1 / (2 * k)
    paper = sp.simplify((1 - k * al) * dl / (100 * n**2))
    tight = sp.simplify((1 - al) * dl / (100 * n**2))
    return paper, tight


def _derive_lift(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    q = lift_bias(p)
    ok = q.satisfies_assumption1() and q.delta1 > 0
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\text{Assumption 2 on } (x_i) \Rightarrow \text{Assumption 1 on } (\tilde x_i)",
        f"Lifted data: δ1 = {q.delta1:.6g} > 0 and δ2 = {q.delta2:.6g} < 1/k = {1 / q.k:.6g} "
        f"(section21.delta1, section21.delta2), so Theorem 1 applies to the lifted problem.",
        {"delta1_lifted": q.delta1, "delta2_lifted": q.delta2},
    )


def _derive_bound(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    q = lift_bias(p)
    paper, tight = bound_sympy()
    k, n, dl = sp.symbols("k n delta", positive=True)
    target = dl / (200 * n**2)
    equal = sp.simplify(paper - target) == 0
    gain = sp.simplify(tight / target)
    cert = certified_lambda_star(q)
    delta = _delta(p, ctx.dps)
    rhs = float(delta) / (200 * p.n**2)
    tight_val = float(tight.subs({k: p.k, n: p.n, dl: float(delta)}))
    proved = cert.certified and cert.lower >= rhs
    if not equal:
        verdict = Verdict.ERROR
    elif not proved:
        verdict = Verdict.INCONCLUSIVE if lambda_star(q) >= rhs else Verdict.ERROR
    else:
        verdict = Verdict.LOOSE if p.k >= 2 else Verdict.VERIFIED
    return Outcome(
        verdict,
        r"\lambda_* \ge \Big(1 - \frac{1}{2k}\Big)\frac{\delta}{100n^2} = "
        r"\frac{(2k-1)\,\delta}{200\,k\,n^2} \ge \frac{\delta}{200n^2}",
        f"SymPy: (1 − k·α)δ/(100n²) with α = 1/(2k) simplifies to {paper} (= δ/(200n²): "
        f"{equal}); exact Lemma 6 on lifted data (‖Ṽ_iᵀx̃_i‖ = α‖V_iᵀx_i‖ ≤ α) gives {tight}, "
        f"{gain} times the paper's bound. Instance (k = {p.k}): certified λ*(lifted) ≥ "
        f"{cert.lower:.10g} ({'proved' if cert.certified else 'NOT proved'}) vs δ/(200n²) = "
        f"{rhs:.6g} (ratio {cert.lower / rhs:.4g}); tighter bound {tight_val:.6g}.",
        {"certified_lower": cert.lower, "certified": cert.certified, "bound": rhs,
         "tighter_bound": tight_val, "ratio": cert.lower / rhs},
    )


def _derive_lambda0(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    q = lift_bias(p)
    cert = certified_lambda_star(q)
    ok = cert.positive
    return Outcome(
        Verdict.TYPO if ok else Verdict.INCONCLUSIVE,
        r"m = \Omega(n^6k^4\gamma^2/(\lambda_*^4\delta^3)),\ \lambda_* = \lambda_{\min}"
        r"(\tilde H^\infty)",
        "λ0 is defined nowhere in the paper; Theorem 1 applied to the lifted data needs the width "
        "with λ* = λmin(H∞ of the lifted data), which is the λ* of Theorem 2's conclusion. "
        f"Certified λ*(lifted) ≥ {cert.lower:.6g} > 0 on this instance, so the intended width "
        "condition is well defined.",
        {"certified_lower": cert.lower},
    )


def _derive_delta_clash(ctx: Context) -> Outcome:
    n, k, g, lam, dp, ds = sp.symbols("n k gamma lambda_star delta_p delta_s", positive=True)
    width = n**6 * k**4 * g**2 / (lam**4 * dp**3)
    with_bound = sp.simplify(width.subs(lam, ds / (200 * n**2)))
    deg_p = sp.degree(sp.denom(with_bound), dp)
    deg_s = sp.degree(sp.denom(with_bound), ds)
    ok = deg_p == 3 and deg_s == 4
    return Outcome(
        Verdict.TYPO if ok else Verdict.INCONCLUSIVE,
        r"m = \Omega\Big(\frac{n^6k^4\gamma^2}{\lambda_*^4\delta_{\rm fail}^3}\Big) = "
        r"\Omega\Big(\frac{200^4 n^{14}k^4\gamma^2}{\delta_{\rm sep}^4\,\delta_{\rm fail}^3}\Big)",
        "Theorem 2 uses δ for the failure probability (1 − δ, width δ³) and for "
        "min(αδ̂1, 2β). SymPy: substituting λ* ≥ δ_sep/(200n²) into the width gives "
        f"{with_bound} — degree {deg_p} in δ_fail and {deg_s} in δ_sep: two different quantities.",
        {"width": str(with_bound)},
    )


def _derive_gamma(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    q = lift_bias(p)
    _, y, _, h = p.host()
    g = float(np.linalg.norm(y) + np.linalg.norm(h / default_alpha(p.k)))
    ok = abs(q.gamma - g) <= 1e-12 * max(1.0, g)
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\gamma = \|y\|_2 + \|h/\alpha\|_2 = \tilde\gamma",
        f"γ of the lifted data = {q.gamma:.12g}; ‖y‖ + ‖h/α‖ = {g:.12g}.",
        {"gamma": g},
    )


def _derive_dynamics(ctx: Context) -> Outcome:
    try:
        from proofkit.flow import run_flow
    except ImportError as exc:
        return Outcome(Verdict.INCONCLUSIVE, "",
                       f"proofkit.flow.run_flow is not available ({exc}); the static parts "
                       "(lifting, λ* bound) are checked by the other steps")
    inst = ctx.instance
    p = inst["problem"]
    q = lift_bias(p)
    W, b, a = (np.asarray(inst[k]) for k in ("W", "b", "a"))
    t_max = float(inst.get("t_max", 2.0))
    eta = float(inst.get("eta", 0.02))
    tb = run_flow(p, (W, b, a), integrator="gd", t_max=t_max, eta=eta, bias=True, rows=20)
    tu = run_flow(q, (np.column_stack([W, b]), a), integrator="gd", t_max=t_max, eta=eta, rows=20)
    eb, eu = np.asarray(tb.energy), np.asarray(tu.energy)
    gap = float(np.max(np.abs(eb - eu)) / max(1.0, float(np.max(np.abs(eu)))))
    lam = lambda_star(q)
    times = np.asarray(tb.times)
    decay = bool(np.all(eb <= np.exp(-lam * times) * eb[0] * (1 + 1e-9)))
    ok = gap <= 1e-9 and eb.shape == eu.shape
    return Outcome(
        Verdict.EVIDENCE if ok else Verdict.ERROR,  # one GD run at one width: not a proof
        r"\text{flow (12) of } (W, b) = \text{flow (5) of } \tilde W \text{ on lifted data}",
        f"GD (η = {eta}, t ≤ {t_max}) of the biased network run directly (run_flow(bias=True)) and "
        f"of the unbiased network on lift_bias data: max relative energy gap {gap:.1e}. The "
        f"Theorem 2 decay ‖e‖² + ‖S‖² ≤ exp(−λ*t)(…)(0) with λ*(lifted) = {lam:.4g} "
        f"{'held' if decay else 'did NOT hold'} along this run (m = {W.shape[0]}; the theorem needs "
        "m = Ω(·) with unspecified constants, so this is evidence, not a verdict).",
        {"energy_gap": gap, "decay_held": decay, "lambda_star_lifted": lam,
         "energy_initial": float(eb[0]), "energy_final": float(eb[-1])},
    )


def _sides(p, dps: int):
    q = lift_bias(p)
    lhs = lambda_min(h_infinity(q))  # singular H∞ (repeated points): λ* = 0, not an error
    rhs = min(default_alpha(p.k) * p.delta1_hat,
              2 * math.sqrt(1 - default_alpha(p.k) ** 2)) / (200 * p.n**2)
    with mpmath.workdps(dps):
        lhs_mp = lambda_min_mp(h_infinity_mp(q, dps), dps)
        rhs_mp = _delta(p, dps) / (200 * p.n**2)
    return lhs, rhs, lhs_mp, rhs_mp


def _check(instance, dps: int) -> Check:
    p = instance["problem"]
    lhs, rhs, lhs_mp, rhs_mp = _sides(p, dps)
    cert = certificate(certified_lambda_star, lift_bias(p))
    return compare(lhs, rhs, relation=">=", lhs_mp=lhs_mp, rhs_mp=rhs_mp, dps=dps,
                   detail="λ*(lifted data) against δ/(200n²), δ = min(αδ̂1, 2β)",
                   extra={"certified_lower": cert.lower, "certified": cert.certified,
                          "certified_holds": cert.certified and cert.lower >= rhs})


def _bind(inst) -> dict:
    """The mpmath values the check decides on, so both routes compare the same numbers."""
    p = inst["problem"]
    return {"lambda_star": _sides(p, 30)[2], "delta": _delta(p, 30), "n": p.n}


_FLOW = {"t_max": 2.0, "eta": 0.02}  # the dynamics part: GD on [0, t_max] with step eta


_K_POSITIVE = k_positive(
    "the lifted data of Sec. 2.1 use α = 1/(2k) and β = √(1 − α²), undefined at "
    "k = 0 (for k = 0 there are no directional derivatives to scale, and the lift with any "
    "α reduces to Theorem 1 on (x, α)/‖(x, α)‖, which is a different statement)")


def _example(*, n: int, d: int, k: int, m: int = 200, seed: int = 0):
    return biased_example(n=n, d=d, k=k, m=m, seed=seed, **_FLOW)


@claim
def theorem2() -> Claim:
    lam, dl, n = sp.symbols("lambda_star delta n", positive=True)
    return Claim(
        id="theorem2",
        title="Convergence with bias: λ* ≥ δ/(200n²), δ = min(αδ̂1, 2β)",
        location="Sec. 2.1, Theorem 2",
        kind="theorem",
        premises=(
            _K_POSITIVE,
            Premise("separation", "Assumption 2, (13): δ̂1 > 0, n ≥ 2",
                    lambda inst: inst["problem"].n >= 2 and inst["problem"].delta1_hat > 0),
        ),
        depends_on=("section21", "prop1", "theorem1"),
        statement=lambda: sp.Ge(lam, dl / (200 * n**2)),
        bind=_bind,
        steps=(
            Step("theorem2.lift", "Sec. 2.1, Theorem 2 (reduction)",
                 r"\text{Theorem 2 follows from the analysis of Theorem 1}", _derive_lift,
                 ("k_positive", "separation")),
            Step("theorem2.bound", "Sec. 2.1, Theorem 2",
                 r"\lambda_* \geq \frac{\delta}{200n^2},\ \delta = \min(\alpha\hat\delta_1, 2\beta)",
                 _derive_bound, ("k_positive", "separation")),
            Step("theorem2.lambda0", "Sec. 2.1, Theorem 2 (width)",
                 r"m = \Omega(n^6 k^4 \gamma^2 / (\lambda_0^4 \delta^3))", _derive_lambda0,
                 ("k_positive", "separation")),
            Step("theorem2.delta", "Sec. 2.1, Theorem 2 (notation)",
                 r"\text{probability } 1 - \delta,\ \ \delta = \min(\alpha\hat\delta_1, 2\beta)",
                 _derive_delta_clash, ()),
            Step("theorem2.gamma", "Sec. 2.1, Theorem 2",
                 r"\gamma = \|y\|_2 + \|h/\alpha\|_2", _derive_gamma, ("k_positive",)),
            Step("theorem2.k_growth", "Sec. 2.1, Theorem 2 (γ with α = 1/(2k))",
                 r"m = \Omega(n^6 k^4 \gamma^2/(\lambda_0^4\delta^3)),\ "
                 r"\gamma = \|y\|_2 + \|h/\alpha\|_2", derive_k_growth, ("k_positive",)),
            Step("theorem2.dynamics", "Sec. 2.1, Theorem 2 (flow (12))",
                 r"\|e(t)\|_2^2 + \|S(t)\|_2^2 \leq \exp(-\lambda_* t)(\|e(0)\|_2^2 + "
                 r"\|S(0)\|_2^2)", _derive_dynamics, ("k_positive", "separation")),
        ),
        check=_check,
        instances=partial(biased_instances, **_FLOW),
        example=_example,
    )
