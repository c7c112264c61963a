"""Section 3, unnumbered steps and eq. (14): the residual dynamics d/dt(e, S) = −H(t)(e, S).

Findings.  The partial derivatives ``∂f(x_i)/∂w_r = a_r σ'(w_rᵀx_i) x_i`` and
``∂F̄(x_i)/∂w_r = a_r σ'(w_rᵀx_i) V_iᵀ`` (k × d) give the block formulas of A_r, B_r, C_r
exactly (SymPy, with a_r² = 1/m, which (9) keeps for all t since a is fixed); the chain rule
along the gradient flow gives ``ṙ = −H r`` and ``H = Σ_r Ω_rᵀΩ_r ⪰ 0`` (checked by exact
central differences, residuals being piecewise linear in W, in float64 and in mpmath).

But (14) holds only *between* changes of the activation pattern: ``f`` is continuous in W,
``F̄_i = Σ_r a_r σ'(w_rᵀx_i) V_iᵀw_r`` is not.  When ``w_rᵀx_i`` crosses 0, ``S_i`` jumps by
``∓a_r V_iᵀw_r`` (nonzero unless ``w_r ⟂ span V_i``), so ``t ↦ S(t)`` is not absolutely
continuous and the chain rule "d/dt F̄ = Σ_r ∂F̄/∂w_r · ẇ_r" fails at crossing times.
The step ``eq14.continuity`` measures such a jump on the instance (k ≥ 1).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lemmas._common import network_example
from lemmas._eq14_numeric import (
    TIE,
    fd_jacobian,
    min_margin,
    mp_kernel,
    mp_rel,
    mp_residual_vector,
    pattern_jump,
    rate_along_gradient,
)
from proofkit.backend import tolerance
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.kernels import empirical_kernel
from proofkit.strategies import network_initializations, sobolev_problems

__all__ = ["TIE", "fd_jacobian", "min_margin", "mp_kernel",
           "mp_residual_vector", "pattern_jump", "rate_along_gradient"]


# ---------------------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------------------
def _symbolic_blocks():
    """SymPy: Jacobians of f_i, F̄_i w.r.t. w_r on a fixed activation region (d=3, k=2)."""
    d, k = 3, 2
    w = sp.Matrix(sp.symbols("w1:4", real=True))
    a, m = sp.symbols("a m", positive=True)
    out = {}
    xs = [sp.Matrix(sp.symbols(f"x{i}_1:4", real=True)) for i in (1, 2)]
    Vs = [sp.Matrix(d, k, sp.symbols(f"v{i}_1:7", real=True)) for i in (1, 2)]
    s = sp.symbols("s1 s2", nonnegative=True)
    # on the region, σ(z) = s z and σ'(z) = s with s ∈ {0, 1}; σ'' = 0
    f = [a * s[i] * (w.T @ xs[i])[0] for i in (0, 1)]
    Fb = [a * s[i] * (Vs[i].T @ w) for i in (0, 1)]
    Jf = [sp.Matrix([f[i]]).jacobian(w) for i in (0, 1)]  # 1 × d
    JF = [Fb[i].jacobian(w) for i in (0, 1)]  # k × d
    ok = True
    for i in (0, 1):
        ok &= sp.expand(Jf[i] - a * s[i] * xs[i].T) == sp.zeros(1, d)
        ok &= sp.expand(JF[i] - a * s[i] * Vs[i].T) == sp.zeros(k, d)
        for j in (0, 1):
            A = (Jf[i] @ Jf[j].T).subs(a, 1 / sp.sqrt(m))
            B = (Jf[i] @ JF[j].T).subs(a, 1 / sp.sqrt(m))
            C = (JF[i] @ JF[j].T).subs(a, 1 / sp.sqrt(m))
            ok &= sp.expand(A - s[i] * s[j] * (xs[i].T @ xs[j]) / m) == sp.zeros(1, 1)
            ok &= sp.expand(B - s[i] * s[j] * (xs[i].T @ Vs[j]) / m) == sp.zeros(1, k)
            ok &= sp.expand(C - s[i] * s[j] * (Vs[i].T @ Vs[j]) / m) == sp.zeros(k, k)
    out["ok"] = bool(ok)
    return out


def _derive_blocks(ctx: Context) -> Outcome:
    res = _symbolic_blocks()
    # numeric: the Gram of the FD Jacobian restricted to one neuron equals the formulas
    inst = ctx.instance
    p, W, a = inst["problem"], np.asarray(inst["W"]), np.asarray(inst["a"])
    sub = _small(p, W, a)
    J = fd_jacobian(p, *sub)
    H_fd = J @ J.T
    H_formula = np.asarray(empirical_kernel(p, *sub))
    err = float(np.max(np.abs(H_fd - H_formula)))
    tol = tolerance(factor=1e3, power=0.5)
    ok = res["ok"] and err <= tol * max(1.0, float(np.max(np.abs(H_formula))))
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"∂f_i/∂w_r = a_r σ'_{ri} x_i,  ∂F̄_i/∂w_r = a_r σ'_{ri} V_iᵀ;  [A_r]_{ij} = "
        r"a_r² σ'σ' x_iᵀx_j, [B_r]_{ij} = a_r² σ'σ' x_iᵀV_j, [C_r]_{ij} = a_r² σ'σ' V_iᵀV_j, a_r² = 1/m",
        "SymPy: Jacobians on a fixed activation region (σ(z) = s z, s ∈ {0,1}, σ'' = 0), "
        f"d = 3, k = 2, products reduce to the formulas: {res['ok']}. Numeric: Gram of the "
        f"central-difference Jacobian of network.residuals (first {sub[0].shape[0]} neurons) vs "
        f"the block formulas, max abs difference {err:.2e} (tolerance {tol:.1e}). The formulas "
        "use a_r² = 1/m, true for all t because a is fixed at its initial values (9).",
        {"fd_vs_formula_max_abs": err},
    )


def _small(problem, W, a, m_max: int = 40):
    # a subnetwork (first m_max neurons, a rescaled so a_r² = 1/m_max) keeps FD cheap
    mm = min(m_max, W.shape[0])
    return W[:mm], np.sign(a[:mm]) / math.sqrt(mm)


_RATE_CACHE: list = []  # [(key, problem, result)]: the steps and check of one run_claim share one computation


def _rate_key(inst, dps):
    # the values themselves, not the dict's identity: an instance edited in place (refinement)
    # must not hit a stale entry
    p = inst["problem"]
    return (dps, id(p), np.asarray(inst["W"]).tobytes(), np.asarray(inst["a"]).tobytes())


def _cached_rate(inst, dps):
    key = _rate_key(inst, dps)
    for k, _held, res in _RATE_CACHE:
        if k == key:
            return res
    p, W, a = inst["problem"], np.asarray(inst["W"]), np.asarray(inst["a"])
    res = rate_along_gradient(p, W, a, dps)
    _RATE_CACHE[:] = [(key, p, res)]  # holding p keeps its id from being reused
    return res


def _rate_parts(ctx: Context):
    inst = ctx.instance
    if min_margin(inst["problem"], inst["W"]) <= TIE:
        return None
    return inst["problem"], _cached_rate(inst, ctx.dps)


def _derive_rate(part: str):
    def derive(ctx: Context) -> Outcome:
        got = _rate_parts(ctx)
        if got is None:
            return Outcome(Verdict.INCONCLUSIVE, "", "a ReLU tie w_rᵀx_i = 0 (up to rounding): "
                           "the derivative along the flow is one-sided there; (14) is not defined")
        p, (rd, mh, rd_m, mh_m, s) = got
        n = p.n
        sl = slice(0, n) if part == "f" else slice(n, None)
        if part == "F" and p.k == 0:
            return Outcome(Verdict.VERIFIED, "k = 0: no directional derivatives",
                           "nothing to check for k = 0", {})
        # d/dt f = −d/dt e: compare −ṙ with H r on the block
        with mpmath.workdps(ctx.dps):
            rel = mp_rel(list(-rd_m[sl]), list(-mh_m[sl]))
            ok = rel <= mpmath.mpf(10) ** (-(ctx.dps // 2))
            relf = float(np.linalg.norm(rd[sl] - mh[sl]) / max(np.linalg.norm(mh[sl]), 1e-300))
        derived = ("d/dt f_i = Σ_j A_ij e_j + Σ_j B_ij S_j" if part == "f"
                   else "d/dt F̄_i = Σ_j B_jiᵀ e_j + Σ_j C_ij S_j")
        return Outcome(
            Verdict.VERIFIED if ok else Verdict.ERROR, derived,
            "central difference of the network output along the flow direction −∂L/∂W (step "
            f"{s:.3g}, inside the activation region, so exact up to rounding) against the block "
            f"formula: relative difference {mpmath.nstr(rel, 3)} in mpmath ({ctx.dps} digits), "
            f"{relf:.2e} in float64. Valid between pattern changes (see eq14.continuity).",
            {"rel_diff_mp": float(rel), "rel_diff_f64": relf, "fd_step": s},
        )
    return derive


def _derive_dynamics(ctx: Context) -> Outcome:
    got = _rate_parts(ctx)
    if got is None:
        return Outcome(Verdict.INCONCLUSIVE, "", "ReLU tie (up to rounding) on the instance")
    _, (rd, mh, rd_m, mh_m, _s) = got
    with mpmath.workdps(ctx.dps):
        rel = mp_rel(list(rd_m), list(mh_m))
        ok = rel <= mpmath.mpf(10) ** (-(ctx.dps // 2))
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\dot r = −H r,  H = [[A, B], [Bᵀ, C]]",
        f"exact central difference of r = (e, S) along −∂L/∂W vs −H(W) r: relative difference "
        f"{mpmath.nstr(rel, 3)} (mpmath, {ctx.dps} digits), "
        f"{np.linalg.norm(rd - mh) / max(np.linalg.norm(mh), 1e-300):.2e} (float64).",
        {"rel_diff_mp": float(rel)},
    )


def _derive_gram(ctx: Context) -> Outcome:
    inst = ctx.instance
    p, W, a = inst["problem"], np.asarray(inst["W"]), np.asarray(inst["a"])
    Ws, as_ = _small(p, W, a)
    J = fd_jacobian(p, Ws, as_)
    d = p.d
    Hsum = sum(J[:, r * d:(r + 1) * d] @ J[:, r * d:(r + 1) * d].T for r in range(Ws.shape[0]))
    H = np.asarray(empirical_kernel(p, Ws, as_))
    err = float(np.max(np.abs(Hsum - H)))
    Hm = mp_kernel(p, W, a)
    with mpmath.workdps(ctx.dps):
        lam = mpmath.eigsy(mpmath.matrix(Hm.tolist()))[0]
        lam_min = min(lam)
    tol = tolerance(factor=1e3, power=0.5)
    ok = err <= tol * max(1.0, float(np.max(np.abs(H)))) and lam_min >= -mpmath.mpf(10) ** (
        -(ctx.dps // 2))
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"H = Σ_r Ω_rᵀΩ_r ⪰ 0",
        f"Σ_r Ω_rᵀΩ_r from the central-difference Jacobian (first {Ws.shape[0]} neurons) vs "
        f"H(W): max abs difference {err:.2e}; λmin(H(W)) on the full instance = "
        f"{mpmath.nstr(lam_min, 6)} (mpmath eigsy), ≥ 0 as a Gram matrix.",
        {"gram_max_abs": err, "lambda_min_H": float(lam_min)},
    )


def _derive_continuity(ctx: Context) -> Outcome:
    inst = ctx.instance
    p, W, a = inst["problem"], np.asarray(inst["W"]), np.asarray(inst["a"])
    jp = pattern_jump(p, W, a)
    if jp is None:
        return Outcome(Verdict.INCONCLUSIVE, "", "no activation change on the ray W − s∂L/∂W")
    jumps = jp["jump_S"] > 1e3 * max(jp["predicted"], tolerance())
    derived = ("ṙ = −H r between pattern changes only; at a crossing of w_rᵀx_i = 0, e is "
               "continuous and S_i jumps by ∓a_r V_iᵀw_r")
    return Outcome(
        Verdict.ERROR if jumps else Verdict.VERIFIED, derived,
        f"along the ray W − s∂L/∂W the first crossing is (r, i) = ({jp['r']}, {jp['i']}) at "
        f"s = {jp['s']:.4g}: |Δe_i| = {jp['jump_e']:.2e}, ‖ΔS_i‖ = {jp['jump_S']:.3e} "
        f"(|a_r|‖V_iᵀw_r‖ = {jp['jump_S_formula']:.3e}) over an interval where (14) allows "
        f"{jp['predicted']:.1e}; energy change ‖r‖² after − before = {jp['d_energy']:+.3e}. "
        "So S(t) is not absolutely continuous and the chain rule for d/dt F̄ (hence (14)) "
        "fails at crossing times; every use of (14) (Grönwall in Lemma 4) must add the jumps."
        if jumps else "no jump of S at the first crossing (k = 0 or w_r ⟂ span V_i)",
        jp,
    )


# ---------------------------------------------------------------------------------------
# check, instances, example, claim
# ---------------------------------------------------------------------------------------
def _check(instance, dps: int) -> Check:
    rd, mh, rd_m, mh_m, s = _cached_rate(instance, dps)
    lhs = float(np.linalg.norm(rd - mh) / max(np.linalg.norm(mh), 1e-300))
    with mpmath.workdps(dps):
        lhs_mp = mp_rel(list(rd_m), list(mh_m))
        return compare(lhs, tolerance(power=0.5), relation="<=", lhs_mp=lhs_mp,
                       rhs_mp=mpmath.mpf(10) ** (-(dps // 2)), dps=dps,
                       detail="relative difference ‖ṙ_FD − (−H r)‖/‖H r‖ along −∂L/∂W "
                       "(exact central difference inside an activation region; the forward "
                       "difference in the flow direction at a ReLU tie)",
                       extra={"fd_step": s})


def _no_tie(inst) -> bool:
    return min_margin(inst["problem"], inst["W"]) > TIE


@st.composite
def _inst(draw, drop):
    p = draw(sobolev_problems(n=(1, 3), d=(2, 4), k=(0, 2), separation=0.05))
    m = draw(st.integers(1, 12))
    net = draw(network_initializations(m=m, x=p.host()[0], ties=drop == "no_tie"))
    inst = {"problem": p, "W": np.asarray(net.W), "a": np.asarray(net.a), "m": m}
    return inst


def _instances(*, drop: str | None = None):
    strat = _inst(drop)
    return strat if drop else strat.filter(_no_tie)


@claim
def eq14() -> Claim:
    err, tol, lam = sp.symbols("rel_err tol lambda_min_H", real=True)
    return Claim(
        id="eq14",
        title="Residual dynamics (14) and the kernel H = Σ_r Ω_rᵀΩ_r",
        location="Sec. 3, eq. (14) and the displays before it",
        kind="steps",
        premises=(
            Premise("no_tie", "every |w_rᵀx_i| > TIE·‖w_r‖ (almost sure under (9)); at a tie the "
                    "derivative along the flow is one-sided", _no_tie),
        ),
        depends_on=(),
        statement=lambda: sp.And(sp.Le(err, tol), sp.Ge(lam, -tol)),
        bind=lambda inst: _bind(inst),
        steps=(
            Step("eq14.partials", "Sec. 3, block formulas of A_r, B_r, C_r",
                 r"[A_r]_{ij} = \frac1m σ'σ' x_i^Tx_j,\ [B_r]_{ij} = \frac1m σ'σ' x_i^TV_j,\ "
                 r"[C_r]_{ij} = \frac1m σ'σ' V_i^TV_j", _derive_blocks),
            Step("eq14.df_dt", "Sec. 3, first display, line 2",
                 r"\frac{d}{dt}f(W(t),x_i) = \sum_j A_{ij}(y_j - f_j) + \sum_j B_{ij}(h_j - \bar F_j)",
                 _derive_rate("f"), ("no_tie",)),
            Step("eq14.dFbar_dt", "Sec. 3, first display, line 4",
                 r"\frac{d}{dt}\bar F(W(t),x_i) = \sum_j B_{ji}^T(y_j - f_j) + \sum_j C_{ij}(h_j - \bar F_j)",
                 _derive_rate("F"), ("no_tie",)),
            Step("eq14.dynamics", "Sec. 3, eq. (14)",
                 r"\frac{d}{dt}(e, S) = -H(t)(e, S),\ H = [[A, B],[B^T, C]]",
                 _derive_dynamics, ("no_tie",)),
            Step("eq14.gram", "Sec. 3, after (14)",
                 r"H(t) = \sum_r \Omega_r^T\Omega_r \succeq 0", _derive_gram),
            Step("eq14.continuity", "Sec. 3, (14) for all t (implicit)",
                 r"(e(t), S(t))\ \text{differentiable along the flow with}\ \dot r = -Hr",
                 _derive_continuity),
        ),
        check=_check,
        instances=_instances,
        example=network_example(),
    )


def _bind(inst) -> dict:
    c = _check(inst, 30)
    H = np.asarray(empirical_kernel(inst["problem"], np.asarray(inst["W"]), np.asarray(inst["a"])))
    return {"rel_err": c.lhs, "tol": c.rhs, "lambda_min_H": float(np.linalg.eigvalsh(H)[0])}
