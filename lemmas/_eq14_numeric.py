"""Numeric routes behind :mod:`lemmas.eq14`: residuals and kernels in mpmath, the rate of the
residuals along the gradient flow by exact differences, and the jump at an activation change.

Private to the claim modules (the leading underscore keeps it out of the claim registry).
"""

from __future__ import annotations

import mpmath
import numpy as np

from proofkit.backend import tolerance
from proofkit.kernels import empirical_kernel, hat_to_paper_permutation
from proofkit.kernels import point_frames as frames
from proofkit.network import loss_gradient, residual_vector, residuals
from proofkit.precision import mp_array

__all__ = ["TIE", "fd_jacobian", "min_margin", "mp_kernel", "mp_rel", "mp_residual_vector", "pattern_jump",
           "rate_along_gradient"]


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


def mp_rel(u, v):
    num = mpmath.sqrt(mpmath.fsum((p - q) ** 2 for p, q in zip(u, v, strict=True)))
    den = mpmath.sqrt(mpmath.fsum(q ** 2 for q in v))
    return num / den if den else num


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
