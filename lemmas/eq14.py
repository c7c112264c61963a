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

from proofkit.backend import tolerance
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.kernels import empirical_kernel, hat_to_paper_permutation
from proofkit.kernels import point_frames as frames
from proofkit.network import init_network, loss_gradient, residual_vector, residuals
from proofkit.precision import mp_array
from proofkit.problem import random_problem
from proofkit.strategies import network_initializations, sobolev_problems

__all__ = ["TIE", "fd_jacobian", "min_margin", "mp_kernel",
           "mp_residual_vector", "pattern_jump", "rate_along_gradient"]


# ---------------------------------------------------------------------------------------
# helpers shared by the Section 3 modules
# ---------------------------------------------------------------------------------------
def mp_residual_vector(problem, W, a):
    """``r = (e, S)`` (paper ordering) in mpmath from float data; call inside ``workdps``."""
    return _mp_res_shift(problem, mp_array(W), a)


def mp_kernel(problem, W, a):
    """H(W) (paper ordering) in mpmath: ``K_ij X̂_iᵀX̂_j`` with ``K = Pᵀ diag(a²) P``."""
    Xh = mp_array(frames(problem))
    n, k = problem.n, problem.k
    P = (np.asarray(W) @ problem.host()[0].T > 0)
    a2 = mp_array(a) ** 2
    K = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            K[i, j] = mpmath.fsum(a2[P[:, i] & P[:, j]]) if np.any(P[:, i] & P[:, j]) else 0
    Hhat = np.empty((n * (k + 1), n * (k + 1)), dtype=object)
    for i in range(n):
        for j in range(n):
            Hhat[i * (k + 1):(i + 1) * (k + 1), j * (k + 1):(j + 1) * (k + 1)] = (
                K[i, j] * (Xh[i].T @ Xh[j]))
    perm = hat_to_paper_permutation(n, k)
    return Hhat[np.ix_(perm, perm)]


def min_margin(problem, W) -> float:
    """``min_{r,i} |w_rᵀx_i| / ‖w_r‖``: the relative distance to the nearest ReLU tie.

    Below ``TIE`` (a few thousand ulps) the sign of w_rᵀx_i is decided by rounding, so the
    activation region — and the derivative along the flow — is not determined by the data.
    """
    W = np.asarray(W)
    Z = np.abs(W @ problem.host()[0].T)
    norms = np.maximum(np.linalg.norm(W, axis=1), np.finfo(float).tiny)[:, None]
    return float(np.min(Z / norms))


TIE = tolerance(factor=1e4)


def _step_size(problem, W, g, *, skip_ties: bool = False) -> float:
    # largest s with no sign change of w_rᵀx_i on [W − s g, W + s g]: a quarter of that.
    # skip_ties: ignore the pairs sitting on a tie (|w_rᵀx_i| ≤ TIE‖w_r‖), whose sign changes
    # at once in one direction; used for the one-sided difference at a tie.
    W = np.asarray(W)
    Z = W @ problem.host()[0].T
    dZ = np.abs(np.asarray(g) @ problem.host()[0].T)
    with np.errstate(divide="ignore"):
        s = np.where(dZ > 0, np.abs(Z) / np.where(dZ > 0, dZ, 1.0), np.inf)
    if skip_ties:
        s = np.where(np.abs(Z) <= TIE * np.linalg.norm(W, axis=1)[:, None], np.inf, s)
    return float(min(0.25 * np.min(s), 1.0))


def rate_along_gradient(problem, W, a, dps: int):
    """``ṙ`` along the flow direction ``−∂L/∂W`` by an exact central difference, and ``−H r``.

    Returns ``(rdot, minus_Hr, rdot_mp, minus_Hr_mp, s)``; inside one activation region r is
    linear in W, so the central difference has no truncation error (only rounding).  At a
    ReLU tie no two-sided difference exists: the forward (flow-direction) difference is used
    instead, over a step that crosses no other activation boundary.
    """
    g = np.asarray(loss_gradient(problem, W, a))
    s = _step_size(problem, W, g)
    one_sided = s == 0.0
    if one_sided:
        s = _step_size(problem, W, g, skip_ties=True)
    back = 0.0 if one_sided else s
    rp = np.asarray(residual_vector(*residuals(problem, W - s * g, a)))
    rm = np.asarray(residual_vector(*residuals(problem, W + back * g, a)))
    rdot = (rp - rm) / (s + back)
    r = np.asarray(residual_vector(*residuals(problem, W, a)))
    minus_Hr = -np.asarray(empirical_kernel(problem, W, a)) @ r
    with mpmath.workdps(dps):
        Wm, sm = mp_array(W), mpmath.mpf(s)
        gm = _mp_gradient(problem, Wm, a)
        # residuals at W ∓ s g evaluated in mp from the mp-shifted weights
        rp_m = _mp_res_shift(problem, Wm - sm * gm, a)
        bm = mpmath.mpf(back)
        rm_m = _mp_res_shift(problem, Wm + bm * gm, a)
        rdot_m = (rp_m - rm_m) / (sm + bm)
        Hm = mp_kernel(problem, W, a)
        minus_Hr_m = -(Hm @ mp_residual_vector(problem, W, a))
    return rdot, minus_Hr, rdot_m, minus_Hr_m, s


def _mp_res_shift(problem, Wm, a):
    x, _, V, h = (mp_array(v) for v in problem.host())
    am = mp_array(a)
    Z = Wm @ x.T
    zero = mpmath.mpf(0)
    P = np.frompyfunc(lambda z: mpmath.mpf(1) if z > 0 else zero, 1, 1)(Z)
    R = np.frompyfunc(lambda z: z if z > 0 else zero, 1, 1)(Z)
    e = mp_array(problem.host()[1]) - am @ R
    if not problem.k:
        return e
    G = Wm.T @ (am[:, None] * P)
    S = [h[i] - V[i].T @ G[:, i] for i in range(problem.n)]
    return np.concatenate([e] + [np.asarray(s_, dtype=object) for s_ in S])


def _mp_gradient(problem, Wm, a):
    # ∂L/∂w_r = −a_r Σ_i σ'(w_rᵀx_i)(e_i x_i + V_i S_i), all in mp (σ'' = 0)
    x, _, V, _ = (mp_array(v) for v in problem.host())
    am = mp_array(a)
    n, k = problem.n, problem.k
    r = _mp_res_shift(problem, Wm, a)
    e, S = r[:n], r[n:].reshape(n, k) if k else None
    U = np.array([e[i] * x[i] + (V[i] @ S[i] if k else 0) for i in range(n)], dtype=object)
    zero = mpmath.mpf(0)
    P = np.frompyfunc(lambda z: mpmath.mpf(1) if z > 0 else zero, 1, 1)(Wm @ x.T)
    return -(am[:, None] * (P @ U))


def fd_jacobian(problem, W, a) -> np.ndarray:
    """``∂r/∂W`` (N × md) by central differences through :func:`proofkit.network.residuals`.

    Exact up to rounding while the step stays inside the activation region.
    """
    W = np.asarray(W, dtype=float)
    m, d = W.shape
    Z = np.abs(W @ problem.host()[0].T)
    hstep = 0.25 * max(float(np.min(Z)), 1e-300)
    J = np.empty((problem.N, m * d))
    for r in range(m):
        for c in range(d):
            E = np.zeros_like(W)
            E[r, c] = hstep
            rp = np.asarray(residual_vector(*residuals(problem, W + E, a)))
            rm = np.asarray(residual_vector(*residuals(problem, W - E, a)))
            J[:, r * d + c] = (rp - rm) / (2 * hstep)
    return J


def _mp_rel(u, v):
    num = mpmath.sqrt(mpmath.fsum((p - q) ** 2 for p, q in zip(u, v, strict=True)))
    den = mpmath.sqrt(mpmath.fsum(q ** 2 for q in v))
    return num / den if den else num


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


_RATE_CACHE: list = []  # [(instance, dps, result)]: one run_claim reuses one computation


def _cached_rate(inst, dps):
    for obj, dd, res in _RATE_CACHE:
        if obj is inst and dd == dps:
            return res
    p, W, a = inst["problem"], np.asarray(inst["W"]), np.asarray(inst["a"])
    res = rate_along_gradient(p, W, a, dps)
    _RATE_CACHE[:] = [(inst, dps, res)]
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
            rel = _mp_rel(list(-rd_m[sl]), list(-mh_m[sl]))
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
        rel = _mp_rel(list(rd_m), list(mh_m))
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


def pattern_jump(problem, W, a):
    """The first activation change along the ray ``W − s ∂L/∂W`` and the jumps it causes.

    Returns a dict with ``s`` (where), ``r, i``, ``jump_e`` (|Δe_i|, 0 since f is continuous),
    ``jump_S`` (‖ΔS_i‖), ``predicted`` (‖ΔS_i‖ that (14) allows over the same interval, → 0)
    and ``d_energy``; ``None`` when no crossing lies on the ray.
    """
    x = problem.host()[0]
    g = np.asarray(loss_gradient(problem, W, a))
    Z, dZ = W @ x.T, -(g @ x.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(Z * dZ < 0, -Z / dZ, np.inf)
    if not np.isfinite(s).any():
        return None
    r, i = np.unravel_index(int(np.argmin(s)), s.shape)
    sc = float(s[r, i])
    h = 1e-9 * max(sc, 1e-12)
    before = residuals(problem, W - (sc - h) * g, a)
    after = residuals(problem, W - (sc + h) * g, a)
    dS = np.asarray(after[1][i]) - np.asarray(before[1][i])
    de = float(abs(after[0][i] - before[0][i]))
    E0 = float(np.sum(before[0] ** 2) + np.sum(before[1] ** 2))
    E1 = float(np.sum(after[0] ** 2) + np.sum(after[1] ** 2))
    Hb = np.asarray(empirical_kernel(problem, W - (sc - h) * g, a))
    rb = np.asarray(residual_vector(*before))
    predicted = float(2 * h * np.linalg.norm(Hb @ rb))
    wr = W[r] - sc * g[r]
    formula = float(abs(a[r]) * np.linalg.norm(problem.host()[2][i].T @ wr))
    return {"s": sc, "r": int(r), "i": int(i), "jump_e": de, "jump_S": float(np.linalg.norm(dS)),
            "jump_S_formula": formula, "predicted": predicted, "d_energy": E1 - E0}


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
        lhs_mp = _mp_rel(list(rd_m), list(mh_m))
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
    if drop not in (None, "no_tie"):
        raise ValueError(f"eq14 premises: ['no_tie']; cannot drop {drop!r}")
    strat = _inst(drop)
    return strat if drop else strat.filter(_no_tie)


def _example(*, n: int, d: int, k: int, m: int, seed: int = 0):
    p = random_problem(n, d, k, seed=seed)
    W, a = init_network(m, d, seed=seed + 1)
    return {"problem": p, "W": W, "a": a, "m": m}


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
        example=_example,
    )


def _bind(inst) -> dict:
    c = _check(inst, 30)
    H = np.asarray(empirical_kernel(inst["problem"], np.asarray(inst["W"]), np.asarray(inst["a"])))
    return {"rel_err": c.lhs, "tol": c.rhs, "lambda_min_H": float(np.linalg.eigvalsh(H)[0])}
