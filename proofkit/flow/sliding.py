"""One sliding segment of the exact flow: Filippov's field on the active set A, numerically.

While A is not empty the flow is no longer r' = −H r with a fixed pattern: the weights θ
depend on the state, F(Θ(W)) is a quadratic function of θ and θ solves g_A(θ) = 0 at each W
(:mod:`proofkit.flow.filippov`).  The segment is therefore integrated numerically — SciPy's
DOP853 on W (m·d unknowns) with the given rtol/atol, θ re-solved by Newton (to 1e-14,
warm-started) at every right-hand-side evaluation — until the first of

* a pair outside A reaches its surface (``z`` changes sign against its bit on the step):
  located by ``brentq`` on the dense output (xtol 4 eps·t);
* a pair of A reaches θ = 0 or θ = 1 (it leaves its surface): located by ``brentq`` on
  θ_p(W(t)) along the dense output;
* ``t_max``, or the step cap (``max_steps`` accepted steps over the run).

After each accepted step every neuron of A is projected back on the intersection of its
sliding hyperplanes (w_r ← w_r − X(XᵀX)^{-1}Xᵀw_r, X = its sliding points), the solver's cached
derivative re-evaluated.  What is exact: the field, θ (to rounding) and the event
classification; what is numerical: W(t) between events (DOP853's local error per step ≤
rtol·|W| + atol), and a pair crossing twice inside one step is not seen.
"""

from __future__ import annotations

import numpy as np

from .filippov import Sliding, solve_theta

__all__ = ["project", "slide_segment"]

_EPS = float(np.finfo(float).eps)


def project(W, x, A):
    """W with every row of A moved onto the intersection of its sliding hyperplanes."""
    W = np.array(W, dtype=float)
    rows: dict = {}
    for r, i in A:
        rows.setdefault(r, []).append(i)
    for r, pts in rows.items():
        X = x[pts].T  # (d, q)
        W[r] -= X @ np.linalg.solve(X.T @ X, X.T @ W[r])
    return W


def slide_segment(problem, W, a, P, A, theta, t0, t_max, *, rtol, atol, on_rows, stats,
                  max_steps):
    """Integrate Filippov's field on ``A`` from ``t0`` to the first event or ``t_max``.

    ``on_rows(t_lo, t_hi, state_of)`` is called after each accepted piece with
    ``state_of(t) -> (W, theta)`` valid on (t_lo, t_hi] (the caller records its grid rows).

    Returns ``(t, W, theta, hit)`` where ``hit`` is ``None`` (t_max reached), ``("cross", (r, i))``,
    ``("exit", q, side)`` (q the index in A, side True when θ_q reached 1), ``("failed", why)``
    or ``("max_steps", None)``.
    """
    from scipy.integrate import DOP853
    from scipy.optimize import brentq

    x = problem.host()[0]
    shape = W.shape
    Ar = np.array([p[0] for p in A])
    Ai = np.array([p[1] for p in A])
    last = {"theta": np.array(theta, dtype=float), "bad": False}
    geom = Sliding.geometry(problem, A)

    def theta_at(Wc, warm):
        sl = Sliding(problem, Wc, a, P, A, geom)
        th, ok = solve_theta(sl, warm)
        if not ok:
            last["bad"] = True
        return sl, th

    def rhs(_t, y):
        stats["rhs"] += 1
        sl, th = theta_at(y.reshape(shape), last["theta"])
        last["theta"] = th
        return sl.field(th).ravel()

    W = project(W, x, A)
    first = stats.get("h_last")
    first = None if first is None or first >= t_max - t0 else first
    solver = DOP853(rhs, t0, W.ravel(), t_max, rtol=rtol, atol=atol, first_step=first)
    mask = np.ones(P.shape, dtype=bool)
    mask[Ar, Ai] = False
    th_prev = np.array(theta, dtype=float)
    while solver.status == "running":
        if stats["steps"] >= max_steps:
            return solver.t, solver.y.reshape(shape).copy(), th_prev, ("max_steps", None)
        t_prev = solver.t
        msg = solver.step()
        stats["steps"] += 1
        if solver.status == "failed" or last["bad"]:
            return t_prev, _y_old(solver, shape), th_prev, ("failed", str(msg or
                                                          "Newton for θ did not converge"))
        stats["h_last"] = solver.step_size
        dense = solver.dense_output()
        Wn = solver.y.reshape(shape)
        _, th_new = theta_at(Wn, th_prev)
        # earliest event inside (t_prev, t_new]
        best = (np.inf, None)
        for q in np.nonzero((th_new <= 0.0) | (th_new >= 1.0))[0]:
            bound = 1.0 if th_new[q] >= 1.0 else 0.0

            def h(t, q=q, bound=bound, dense=dense, warm=th_prev):
                return float(theta_at(dense(t).reshape(shape), warm)[1][q] - bound)

            tq = _root(h, t_prev, solver.t, brentq)
            if tq is not None and tq < best[0]:
                best = (tq, ("exit", int(q), bool(bound == 1.0)))
        Zn = Wn @ x.T
        for r, i in np.argwhere(((Zn > 0) != P) & mask & (Zn != 0)):
            def z(t, r=r, i=i, dense=dense):
                return float(dense(t).reshape(shape)[r] @ x[i])

            tc = _root(z, t_prev, solver.t, brentq)
            if tc is not None and tc < best[0]:
                best = (tc, ("cross", (int(r), int(i))))
        t_hi = solver.t if best[1] is None else best[0]

        def state_of(t, dense=dense, warm=th_prev):
            Wt = project(dense(t).reshape(shape), x, A)
            return Wt, theta_at(Wt, warm)[1]

        on_rows(t_prev, t_hi, state_of)
        if best[1] is not None:
            Wt, tht = state_of(best[0])
            return best[0], Wt, tht, best[1]
        W_proj = project(Wn, x, A)
        solver.y = W_proj.ravel()
        solver.f = rhs(solver.t, solver.y)
        th_prev = last["theta"].copy()
    return solver.t, project(solver.y.reshape(shape), x, A), th_prev, None


def _y_old(solver, shape):
    y = solver.y_old if getattr(solver, "y_old", None) is not None else solver.y
    return np.asarray(y).reshape(shape).copy()


def _root(f, ta, tb, brentq):
    """Root of f on [ta, tb] when f changes sign there (f(tb) beyond the bound); else None."""
    fa, fb = f(ta), f(tb)
    if fa == 0:  # starts on its bound (just changed there): leaving at once, or later?
        t1 = ta + 1e-6 * (tb - ta)
        f1 = f(t1)
        if f1 * fb > 0 or f1 == 0:
            return ta if fb != 0 and np.sign(f1) == np.sign(fb) else None
        ta, fa = t1, f1
    if fa * fb > 0:
        return None
    return brentq(f, ta, tb, xtol=4 * _EPS * max(abs(tb), 1e-300), rtol=4 * _EPS)
