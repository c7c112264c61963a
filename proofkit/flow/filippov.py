"""Filippov continuation of the flow (5) along one sliding surface w_rᵀx_i = 0.

When both vector fields point into the surface — F_0 (σ'(w_rᵀx_i) = 0, pushes z_ri up) and
F_1 (σ' = 1, pushes it down) — Filippov's solution follows the convex combination

    F_θ = (1 − θ) F_0 + θ F_1,    θ = v0 / (v0 − v1),   v_p = x_iᵀ (F_p)_r,

which keeps z_ri = w_rᵀx_i = 0 (‖x_i‖ = 1; w_r is projected back on the surface after each
step to remove drift).  Both fields are full gradients (5) with the pattern entry P_ri set to
0 or 1 — S_i changes with it — so F_θ is *not* the field of a fractional pattern.  The
sliding ODE is integrated with DOP853 (rtol/atol given) until

* v0 ≤ 0 or v1 ≥ 0 (θ leaves (0, 1)): the solution leaves the surface to the off or on side
  and the closed-form integrator resumes;
* another pair (r', i') changes sign: a crossing is recorded and the pattern updated; if that
  pair would itself slide, two surfaces are active and the run stops with status
  ``"multi_sliding"`` (not handled);
* a root cannot be bracketed (rounding at z ≈ 0) or the solver fails: status
  ``"filippov_failed"``, stopped;
* t_max is reached.

Rows recorded while sliding use σ'(0) = 0 for the sliding pair (the convention of (5)).
"""

from __future__ import annotations

import numpy as np

from .record import Event, jump_at, residuals_with_pattern

__all__ = ["slide"]


def _field(problem, W, a, P):
    """−∂L/∂W with an explicit pattern P (m, n)."""
    x, _, V, _ = problem.host()
    e, S = residuals_with_pattern(problem, W, a, P)
    U = e[:, None] * x + np.einsum("jdk,jk->jd", V, S)
    return a[:, None] * (P.astype(float) @ U)


def _velocities(problem, W, a, P, r, i):
    x = problem.host()[0]
    P0, P1 = P.copy(), P.copy()
    P0[r, i], P1[r, i] = False, True
    F0, F1 = _field(problem, W, a, P0), _field(problem, W, a, P1)
    return F0, F1, float(F0[r] @ x[i]), float(F1[r] @ x[i])


def slide(problem, W, a, P, r, i, t0, t_max, *, rtol, atol, on_row):
    """Follow the sliding mode on w_rᵀx_i = 0 from ``t0``.

    ``on_row(t, W, P)`` is called for every grid time passed (the caller records).  Returns
    ``(t, W, P, events, status, exit_side)`` with ``status`` in ``{"left", "completed",
    "multi_sliding", "filippov_failed"}`` and ``exit_side`` the new P_ri on leaving (True: on).
    """
    from scipy.integrate import DOP853
    from scipy.optimize import brentq

    x = problem.host()[0]
    shape = W.shape
    P = P.copy()
    P[r, i] = False  # σ'(0) = 0 on the surface

    def rhs(_t, y):
        Wc = y.reshape(shape)
        F0, F1, v0, v1 = _velocities(problem, Wc, a, P, r, i)
        th = v0 / (v0 - v1) if v0 != v1 else 0.5
        return ((1 - th) * F0 + th * F1).ravel()

    def margins(Wc):
        _, _, v0, v1 = _velocities(problem, Wc, a, P, r, i)
        return v0, -v1  # both > 0 while sliding

    events: list[Event] = []
    solver = DOP853(rhs, t0, W.ravel(), t_max, rtol=rtol, atol=atol)
    Z_old = W @ x.T
    mask = np.ones_like(Z_old, dtype=bool)
    mask[r, i] = False
    while solver.status == "running":
        t_prev, y_prev = solver.t, solver.y.copy()
        m_prev = margins(y_prev.reshape(shape))
        if min(m_prev) <= 0:  # e.g. another crossing just changed the fields
            return t_prev, y_prev.reshape(shape), P, events, "left", bool(m_prev[1] <= 0)
        solver.step()
        if solver.status == "failed":
            return solver.t, y_prev.reshape(shape), P, events, "filippov_failed", None
        dense = solver.dense_output()
        Wn = solver.y.reshape(shape)
        Zn = Wn @ x.T
        # 1) leaving the surface: a margin changes sign inside the step
        m_new = margins(Wn)
        t_exit, side = None, None
        for k, mval in enumerate(m_new):
            if mval <= 0:
                def g(t, k=k, dense=dense):
                    return margins(dense(t).reshape(shape))[k]
                if g(t_prev) * g(solver.t) > 0:
                    return t_prev, y_prev.reshape(shape), P, events, "filippov_failed", None
                tk = brentq(g, t_prev, solver.t, xtol=1e-13 * max(1.0, solver.t))
                if t_exit is None or tk < t_exit:
                    t_exit, side = tk, bool(k == 1)  # v1 ≥ 0 → on side
        # 2) another pair crossing inside the step
        flips = np.argwhere(((Z_old > 0) != (Zn > 0)) & mask)
        t_cross, pair = None, None
        for rr, ii in flips:
            def h(t, rr=rr, ii=ii, dense=dense):
                return float(dense(t).reshape(shape)[rr] @ x[ii])
            if h(t_prev) * h(solver.t) > 0:  # no bracket: rounding at z ~ 0, not handled
                return t_prev, y_prev.reshape(shape), P, events, "filippov_failed", None
            tc = brentq(h, t_prev, solver.t, xtol=1e-13 * max(1.0, solver.t))
            if t_cross is None or tc < t_cross:
                t_cross, pair = tc, (int(rr), int(ii))
        t_stop = min([v for v in (t_exit, t_cross) if v is not None], default=None)
        t_rec_end = solver.t if t_stop is None else t_stop
        on_row(t_prev, t_rec_end, lambda t, dense=dense: _project(dense(t).reshape(shape),
                                                                  x[i], r), P)
        if t_stop is None:
            W_new = _project(Wn, x[i], r)
            solver.y[:] = W_new.ravel()
            Z_old = W_new @ x.T
            continue
        Wc = _project(dense(t_stop).reshape(shape), x[i], r)
        if t_exit is not None and t_stop == t_exit:
            return t_stop, Wc, P, events, "left", side
        rr, ii = pair
        direction = 1 if not P[rr, ii] else -1
        _, S = residuals_with_pattern(problem, Wc, a, P)
        dS, dE = jump_at(problem, Wc, a, rr, ii, direction, S)
        Pn = P.copy()
        Pn[rr, ii] = not P[rr, ii]
        v_new = float(_field(problem, Wc, a, Pn)[rr] @ x[ii])
        if direction * v_new < 0:
            events.append(Event(t_stop, rr, ii, direction, tuple(dS.tolist()), dE, "sliding"))
            return t_stop, Wc, P, events, "multi_sliding", None
        events.append(Event(t_stop, rr, ii, direction, tuple(dS.tolist()), dE))
        P = Pn
        solver = DOP853(rhs, t_stop, Wc.ravel(), t_max, rtol=rtol, atol=atol)
        Z_old = Wc @ x.T
        Z_old[rr, ii] = 1.0 if P[rr, ii] else -1.0
    return solver.t, _project(solver.y.reshape(shape), x[i], r), P, events, "completed", None


def _project(W, xi, r):
    W = np.array(W, dtype=float)
    W[r] -= (W[r] @ xi) * xi
    return W
