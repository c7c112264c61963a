"""Measurements behind the well-posedness step of (5) (``lemmas/wellposed.py``).

* :func:`first_sliding` — run the exact flow with ``sliding="stop"``: the classical solution
  exists up to the returned time (or the horizon), then both one-sided fields point into a
  surface and no classical solution continues.
* :func:`energy_rates` — on a sliding state, d/dt ½‖r‖² along Filippov's field by central
  differences (for the paper's S, σ'(0) = 0, and for the θ-weighted S_θ, θ re-solved at
  each displaced state) against −rᵀH_Θr, H_Θ = J_ΘJ_Θᵀ the kernel of the fractional pattern Θ.
  Lemma 4 uses d/dt ½‖r‖² = −rᵀHr; on a sliding segment that identity holds only up to
  the terms these numbers measure.
"""

from __future__ import annotations

import numpy as np

from .filippov import Sliding, solve_theta
from .record import gram_paper

__all__ = ["energy_rates", "first_sliding", "kernel_theta", "regularised_field"]


def first_sliding(problem, net, t_max: float, *, max_events: int = 10_000) -> dict:
    """``{"slides", "time", "events", "status", "t_reached", "W", "pair"}`` of the exact flow
    stopped at its first sliding event (``time`` None when it reaches ``t_max`` classically;
    ``W`` the weights at the end, ``pair`` the sliding (neuron, point))."""
    from .exact import exact_flow

    # no rows at the events (nothing reads them: each costs an N×N eigvalsh), one grid step
    tr = exact_flow(problem, net, t_max=t_max, sliding="stop", max_events=max_events, rows=1,
                    record_events=False)
    slides = tr.status == "sliding"
    ev = tr.events[-1] if slides else None
    return {"slides": slides, "time": float(ev.time) if slides else None,
            "events": len(tr.events) - int(slides), "status": tr.status,
            "t_reached": float(tr.info.get("stopped_at", t_max)), "W": tr.W[-1],
            "pair": (ev.neuron, ev.point) if slides else None}


def kernel_theta(problem, a, Theta):
    """H_Θ = G ⊙ (Θᵀdiag(a²)Θ)[owner, owner]: the kernel (14) with the pattern Θ ∈ [0, 1]^{m×n}."""
    G, owner = gram_paper(problem)
    K = Theta.T @ ((a * a)[:, None] * Theta)
    return G * K[np.ix_(owner, owner)]


def energy_rates(problem, W, a, P, A, theta, *, h: float | None = None) -> dict:
    """Energy rates at a sliding state (W on the surfaces of A, θ solving g_A = 0).

    Returns ``rate_paper``/``rate_theta`` (d/dt ½‖r‖² along F(Θ), central differences with
    step ``h`` in time; r and W are linear in the step up to the θ change, so the difference
    is accurate to O(h²)) and ``quad_paper``/``quad_theta`` (−rᵀH_Θr for the same r).
    """
    sl = Sliding(problem, W, a, P, A)
    F = sl.field(theta)
    h = 1e-6 * max(1.0, float(np.max(np.abs(W)))) / max(float(np.max(np.abs(F))), 1e-300) \
        if h is None else h

    def r_of(Wc):
        """(r with the paper's S, r with S_θ, θ re-solved at Wc from ``theta``)."""
        slc = Sliding(problem, Wc, a, P, A)
        th2, _ = solve_theta(slc, theta)
        rp = np.concatenate([slc.e, slc.S_fixed.ravel()])
        rt = np.concatenate([slc.e, slc.S(th2).ravel()])
        return rp, rt, th2

    rp, rt, _ = r_of(W)
    rp_plus, rt_plus, th_plus = r_of(W + h * F)
    rp_minus, rt_minus, th_minus = r_of(W - h * F)
    # the derived rate: −r_θᵀH_Θr_θ + corr·(F + corr) − Σ_A θ̇_p S_θ,iᵀc_p,
    # corr_r = a_r Σ_{i ∈ A_r} θ(1−θ)V_i c_ri (F + corr = J_Θᵀr_θ)
    th_dot = (th_plus - th_minus) / (2 * h)
    corr = np.zeros_like(W)
    np.add.at(corr, sl.r, sl.aA[:, None] * (theta * (1 - theta))[:, None]
              * np.einsum("pdk,pk->pd", sl.V[sl.i], sl.c))
    S_th = sl.S(theta)
    extra = float(np.sum(corr * (F + corr))) - float(np.sum(th_dot * np.einsum(
        "pk,pk->p", S_th[sl.i], sl.c)))
    H = kernel_theta(problem, a, sl.Theta(theta))  # paper order (e, S), like r

    def quad(r):
        return -float(r @ H @ r)

    return {"rate_paper": float(rp @ (rp_plus - rp_minus)) / (2 * h),
            "rate_theta": float(rt @ (rt_plus - rt_minus)) / (2 * h),
            "quad_paper": quad(rp), "quad_theta": quad(rt),
            "rate_theta_derived": quad(rt) + extra, "theta_dot_max": float(
                np.max(np.abs(th_dot))) if th_dot.size else 0.0,
            "norm2_paper": float(rp @ rp), "norm2_theta": float(rt @ rt),
            "lambda_min_H_theta": float(np.linalg.eigvalsh(H)[0]), "h": h}


def regularised_field(problem, W, a, eps: float):
    """The flow (5) with every bit replaced by the smooth step s = ½(1 + tanh(z/ε)), kept
    affine in each s (the multilinear form of :class:`proofkit.flow.filippov.Sliding`,
    P_rj² → P_rj), so that as ε → 0 its solutions tend to Filippov's.  (Putting s into S as
    well, s² in place of s, gives a field that is not affine in s; its sliding limit leaves
    Filippov's convex hull by a_r²θ(1 − θ)V_iV_iᵀw_r.)  f uses the ReLU itself."""
    x, y, V, h = problem.host()
    Z = W @ x.T
    s = 0.5 * (1.0 + np.tanh(Z / eps))
    e = y - a @ np.maximum(Z, 0.0)
    S = h - np.einsum("idk,di->ik", V, W.T @ (a[:, None] * s))
    G = e[:, None] * x + np.einsum("jdk,jk->jd", V, S)
    F = a[:, None] * (s @ G)
    # F_r = a_r Σ_j s_rj (G_j − (1 − s_rj) V_j c_rj), c_rj = a_r V_jᵀw_r
    VW = np.einsum("jdk,rd->rjk", V, W)
    corr = np.einsum("rj,jdk,rjk->rd", s * (1.0 - s), V, VW) * (a * a)[:, None]
    return F - corr
