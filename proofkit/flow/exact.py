"""The exact event-driven gradient flow (5): closed form between activation changes.

While no w_rᵀx_i changes sign the pattern P is fixed, f and V_iᵀ∇f are linear in W, H is
constant and (14) is linear: with ``H = Q diag(λ) Qᵀ`` and ``c = Qᵀ r(t0)``

    r(t0 + s) = Q diag(e^{−λs}) c,          ∫₀ˢ r = Q diag(φ1(λ, s)) c,   φ1(λ, s) = (1 − e^{−λs})/λ

(φ1 → s as λ → 0, evaluated with ``expm1``), and since ``w_r' = a_r Σ_i P_ri (e_i x_i + V_i S_i)``,
W(t0 + s) = W(t0) + diag(a) P U(∫r) in closed form.  Each pre-activation is then a sum of
exponentials, ``z_ri(s) = z_ri(0) + Σ_q β_rqi φ1(λ_q, s)``.

**Next event.**  Only pairs whose sign can change matter: |z_ri(s) − z_ri(0)| ≤
Σ_q |β_rqi| φ1(λ_q, S) on [0, S] (φ1 increases in s), so the other pairs are dropped at once.
The rest are evaluated on a grid (geometric near 0, uniform after); the earliest interval
with a sign change is refined by ``brentq`` (``xtol = 4 eps·t``, ``rtol = 4 eps``).  An interval
without a sign change is *certified* root-free when ``|z(a)| + |z(b)| > D (b − a)`` with
D = Σ_q |β_q| max(e^{−λ_q a}, e^{−λ_q b}) ≥ |z'| on [a, b]; intervals that fail are subdivided
(8-way, up to 4 levels) so that a pair crossing twice between grid points is not missed.  What
stays uncertified after that (grazing contacts within ~1e-12) is counted in
``info["uncertified_intervals"]``.

**At an event** (r, i) the side of the pair is flipped by hand (z_ri is exactly 0 there).  f
and e are continuous, S_i jumps by ``−direction · a_r V_iᵀw_r`` and the event records that
jump and the jump of ‖e‖² + ‖S‖².  The normal velocities ``z'_ri`` on the old and the new side
are compared: if the new side's vector field strictly points back into the surface
w_rᵀx_i = 0, no classical solution continues (Filippov sliding).  A zero velocity on the new
side (a neuron switching off on its last point stops moving) is a crossing: w_r then rests
on the surface, consistent with σ'(0) = 0.  The integrator then **stops** with a
``"sliding"`` event carrying the time, neuron, point and Filippov's weight
θ = z'_old/(z'_old − z'_new) of the convex combination that keeps the solution on the surface;
it does not continue along the sliding mode (that is a differential-algebraic problem with
a non-constant θ(t), not a linear flow).  The number of events is capped by ``max_events``;
hitting the cap stops the run with status ``"max_events"`` — never a silent loop.
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from .record import Event, Recorder, gram_paper, jump_at, residuals_with_pattern

__all__ = ["exact_flow", "phi1"]

_EPS = float(np.finfo(float).eps)


def phi1(lam, s):
    """φ1(λ, s) = (1 − e^{−λs})/λ, equal to s at λ = 0, elementwise (broadcasting).

    >>> float(phi1(0.0, 2.0)), round(float(phi1(1.0, 1.0)), 12)
    (2.0, 0.632120558829)
    """
    lam, s = np.broadcast_arrays(np.asarray(arguments.real_array("lam", lam), dtype=float),
                                 np.asarray(arguments.real_array("s", s), dtype=float))
    out = np.array(s, dtype=float)
    nz = lam != 0
    out[nz] = -np.expm1(-lam[nz] * s[nz]) / lam[nz]
    return out


class _Segment:
    """The closed-form flow from ``t0`` with a fixed pattern ``P``."""

    def __init__(self, problem, F, owner, G, W0, a, P, t0):
        x = problem.host()[0]
        n, k = problem.n, problem.k
        self.problem, self.F, self.owner, self.W0, self.a, self.P, self.t0 = (
            problem, F, owner, W0, a, P, t0)
        Pf = P.astype(float)
        K = Pf.T @ ((a * a)[:, None] * Pf)
        H = G * K[np.ix_(owner, owner)]
        self.lam, self.Q = np.linalg.eigh(H)
        e, S = residuals_with_pattern(problem, W0, a, P)
        self.r0 = np.concatenate([e, S.reshape(-1)])
        self.c = self.Q.T @ self.r0
        self.n, self.k = n, k
        B = F @ x.T  # (N, n): F_c · x_i
        N = n * (k + 1)
        M = np.zeros((n, N, n))
        # M[j, q, i] = Σ_{c: owner(c) = j} Q[c, q] B[c, i]
        np.add.at(M, owner, self.Q[:, :, None] * B[:, None, :])
        self.beta = (a[:, None] * (Pf @ M.reshape(n, N * n))).reshape(-1, N, n) * self.c[None, :, None]
        self.z0 = W0 @ x.T

    def residual(self, s):
        r = self.Q @ (np.exp(-self.lam * s) * self.c)
        return r[: self.n], r[self.n:].reshape(self.n, self.k)

    def weights(self, s):
        R = self.Q @ (phi1(self.lam, s) * self.c)
        U = np.zeros((self.n, self.F.shape[1]))
        np.add.at(U, self.owner, R[:, None] * self.F)
        return self.W0 + self.a[:, None] * (self.P.astype(float) @ U)


def _z(beta, z0, lam, ts):
    """z(s) = z0 + Σ_q β_q φ1(λ_q, s) for rows of beta (C, Q) at times ts: (C, len(ts))."""
    return z0[:, None] + beta @ phi1(lam[:, None], ts[None, :])


def _dbound(beta_abs, lam, ta, tb):
    """Upper bound of |z'| on [ta, tb] per row: Σ|β_q| max(e^{−λ_q ta}, e^{−λ_q tb})."""
    E = np.maximum(np.exp(-lam[:, None] * ta[None, :]), np.exp(-lam[:, None] * tb[None, :]))
    return beta_abs @ E


def _first_root(seg, sgn, horizon, skip, stats):
    """Earliest s in [0, horizon] with sgn·z_ri(s) < 0 over all pairs; (s, r, i) or None.

    ``skip`` is the pair just flipped (its z is 0 at s = 0 and leaves transversally).
    """
    from scipy.optimize import brentq

    lam = seg.lam
    ph = phi1(lam, horizon)
    bound = np.einsum("rqi,q->ri", np.abs(seg.beta), ph)
    z0 = seg.z0 * sgn
    if skip is not None:
        z0[skip] = 0.0
    # a pair with bound 0 does not move (e.g. a neuron off on every point): it cannot cross
    cand = np.argwhere((bound > 0) & (z0 <= bound * (1 + 1e-12)))
    if cand.size == 0:
        return None
    rows, cols = cand[:, 0], cand[:, 1]
    beta = seg.beta[rows, :, cols] * sgn[rows, cols][:, None]
    zc = z0[rows, cols]
    ts = np.union1d(np.linspace(0.0, horizon, 129), np.geomspace(horizon * 1e-9, horizon, 48))
    best = (np.inf, None)
    for lo in range(0, rows.size, 4096):
        sl = slice(lo, lo + 4096)
        b, z = beta[sl], zc[sl]
        vals = _z(b, z, lam, ts)
        neg = vals < 0
        j_first = np.where(neg.any(axis=1), neg.argmax(axis=1), ts.size)
        # root-free certificate on intervals before the first sign change
        D = _dbound(np.abs(b), lam, ts[:-1], ts[1:])
        ok = np.abs(vals[:, :-1]) + np.abs(vals[:, 1:]) > D * np.diff(ts)[None, :]
        if skip is not None:
            own = np.nonzero((rows[sl] == skip[0]) & (cols[sl] == skip[1]))[0]
            for p in own:  # second-order certificate at s = 0 for the flipped pair
                slope = float(np.sum(b[p]))
                D2 = float(np.abs(b[p] * lam) @ np.maximum(1.0, np.exp(-lam * ts[1])))
                if slope > 0 and D2 * ts[1] < 2 * slope:
                    ok[p, 0] = True
        cols_idx = np.arange(ts.size - 1)[None, :]
        bad = ~ok & (cols_idx + 1 < j_first[:, None])
        for p, j in np.argwhere(bad):
            t_root = _refine(b[p], z[p], lam, ts[j], ts[j + 1], 4, stats)
            if t_root is not None and t_root < best[0]:
                best = (t_root, (rows[lo + p], cols[lo + p]))
        for p in np.nonzero(j_first < ts.size)[0]:
            j = j_first[p]
            if ts[max(j - 1, 0)] > best[0]:
                continue
            if j == 0:
                t_root = 0.0
            else:
                def f(s, bp=b[p], zp=z[p]):
                    return float(_z(bp[None, :], np.array([zp]), lam, np.array([s]))[0, 0])
                t_root = brentq(f, ts[j - 1], ts[j], xtol=4 * _EPS * max(ts[j], 1e-300),
                                rtol=4 * _EPS)
            if t_root < best[0]:
                best = (t_root, (rows[lo + p], cols[lo + p]))
    if best[1] is None:
        return None
    return best[0], int(best[1][0]), int(best[1][1])


def _refine(b, z, lam, ta, tb, depth, stats):
    """Look for a root of z on [ta, tb] by 8-way subdivision with the Lipschitz certificate."""
    from scipy.optimize import brentq

    ts = np.linspace(ta, tb, 9)
    vals = _z(b[None, :], np.array([z]), lam, ts)[0]
    neg = np.nonzero(vals < 0)[0]
    if neg.size:
        j = int(neg[0])
        def f(s):
            return float(_z(b[None, :], np.array([z]), lam, np.array([s]))[0, 0])
        return brentq(f, ts[j - 1], ts[j], xtol=4 * _EPS * max(ts[j], 1e-300), rtol=4 * _EPS)
    D = _dbound(np.abs(b)[None, :], lam, ts[:-1], ts[1:])[0]
    ok = np.abs(vals[:-1]) + np.abs(vals[1:]) > D * np.diff(ts)
    for j in np.nonzero(~ok)[0]:
        if depth == 0 or ts[j + 1] - ts[j] <= 8 * _EPS * max(ts[j + 1], 1.0):
            stats["uncertified_intervals"] += 1
            continue
        t_root = _refine(b, z, lam, ts[j], ts[j + 1], depth - 1, stats)
        if t_root is not None:
            return t_root
    return None


def _normal_velocity(problem, W, a, P, r, i):
    """z'_ri = x_iᵀ w_r' = a_r Σ_j P_rj (e_j x_jᵀx_i + S_jᵀ V_jᵀ x_i) with pattern P."""
    x, _, V, _ = problem.host()
    e, S = residuals_with_pattern(problem, W, a, P)
    U = e[:, None] * x + np.einsum("jdk,jk->jd", V, S)
    return float(a[r] * (P[r].astype(float) @ (U @ x[i])))


def exact_flow(problem, net, *, t_max: float, times=None, rows: int = 200,
               max_events: int = 10_000, record_events: bool = True, sliding: str = "stop",
               rtol: float = 1e-10, atol: float = 1e-12):
    """Event-driven exact flow of (5) on [0, t_max]; see :func:`proofkit.flow.run_flow`.

    Rows are recorded on the time grid (``times`` or ``rows + 1`` even points) and, when
    ``record_events``, just before and just after every event (same time, two rows).
    ``sliding="stop"`` ends the run at a sliding event; ``"filippov"`` follows the sliding
    mode (:mod:`proofkit.flow.filippov`, DOP853 with ``rtol``/``atol``) and resumes the
    closed form when the solution leaves the surface (an ``"exit"`` event).
    """
    arguments.one_of("sliding", sliding, ("stop", "filippov"))
    net = arguments.net_tuple(problem, net)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times, rtol=rtol, atol=atol,
                                  max_events=max_events)
    W = np.array(net[0], dtype=float)
    a = np.asarray(net[1], dtype=float)
    x = problem.host()[0]
    G, owner = gram_paper(problem)
    from ..kernels import hat_to_paper_permutation

    n, k = problem.n, problem.k
    Fh = np.concatenate([x[:, None, :], np.transpose(problem.host()[2], (0, 2, 1))], axis=1)
    F = Fh.reshape(n * (k + 1), -1)[hat_to_paper_permutation(n, k)]
    P = W @ x.T > 0
    rec = Recorder(problem, W, a)
    grid = (np.linspace(0.0, t_max, rows + 1) if times is None
            else np.union1d(np.clip(np.asarray(times, dtype=float), 0, t_max), [0.0, t_max]))
    keep = set(grid.tolist()) if times is not None else {0.0, float(t_max)}
    events: list[Event] = []
    stats = {"uncertified_intervals": 0}
    t, gi, skip, status, n_slides = 0.0, 0, None, "completed", 0
    while True:
        seg = _Segment(problem, F, owner, G, W, a, P, t)
        sgn = np.where(P, 1.0, -1.0)
        hit = _first_root(seg, sgn, t_max - t, skip, stats) if t < t_max else None
        t_end = t_max if hit is None else t + hit[0]
        while gi < grid.size and grid[gi] <= t_end and (hit is None or grid[gi] < t_end):
            s = grid[gi] - t
            e, S = seg.residual(s)
            Ws = seg.weights(s)
            rec.measure(float(grid[gi]), Ws, e, S, P)
            if grid[gi] in keep:
                rec.keep_W(float(grid[gi]), Ws)
            gi += 1
        if hit is None:
            break
        s, r, i = hit
        W = seg.weights(s)
        e, S = seg.residual(s)
        direction = 1 if not P[r, i] else -1
        dS, dE = jump_at(problem, W, a, r, i, direction, S)
        P_new = P.copy()
        P_new[r, i] = not P[r, i]
        v_old = _normal_velocity(problem, W, a, P, r, i)
        v_new = _normal_velocity(problem, W, a, P_new, r, i)
        if record_events:
            rec.measure(t_end, W, e, S, P)
        if direction * v_new < 0:
            theta = v_old / (v_old - v_new)
            events.append(Event(t_end, r, i, direction, tuple(dS.tolist()), dE, "sliding",
                                float(theta)))
            if sliding == "stop":
                status = "sliding"
                break
            from .filippov import slide

            def on_row(ta, tb, W_of, Pc):
                nonlocal gi
                while gi < grid.size and grid[gi] <= tb:
                    Wg = W_of(grid[gi])
                    eg, Sg = residuals_with_pattern(problem, Wg, a, Pc)
                    rec.measure(float(grid[gi]), Wg, eg, Sg, Pc)
                    if grid[gi] in keep:
                        rec.keep_W(float(grid[gi]), Wg)
                    gi += 1

            t_s, W, P, more, st, side = slide(problem, W, a, P, r, i, t_end, t_max,
                                              rtol=rtol, atol=atol, on_row=on_row)
            events.extend(more)
            n_slides += 1
            if st in ("multi_sliding", "filippov_failed"):
                status, t_end = st, t_s
                break
            if st == "completed":
                break
            e, S = residuals_with_pattern(problem, W, a, P)
            dS, dE = jump_at(problem, W, a, r, i, 1 if side else -1, S) if side else (
                np.zeros(k), 0.0)
            if record_events:
                rec.measure(t_s, W, e, S, P)
            P[r, i] = side
            events.append(Event(t_s, r, i, 1 if side else -1, tuple(np.ravel(dS).tolist()),
                                float(dE), "exit"))
            if record_events:
                e2, S2 = residuals_with_pattern(problem, W, a, P)
                rec.measure(t_s, W, e2, S2, P)
            if len(events) >= max_events:
                status, t_end = "max_events", t_s
                break
            t, skip = t_s, (r, i)
            continue
        events.append(Event(t_end, r, i, direction, tuple(dS.tolist()), dE))
        P = P_new
        if record_events:
            e2, S2 = residuals_with_pattern(problem, W, a, P)
            rec.measure(t_end, W, e2, S2, P)
        if len(events) >= max_events:
            status = "max_events"
            break
        t, skip = t_end, (r, i)
    info = {"uncertified_intervals": stats["uncertified_intervals"], "max_events": max_events,
            "sliding_mode": sliding, "sliding_episodes": n_slides}
    if status != "completed":
        info["stopped_at"] = float(events[-1].time)
        if status == "sliding":
            ev = events[-1]
            info["message"] = (f"sliding at t={ev.time:.12g}: neuron {ev.neuron}, point "
                               f"{ev.point}; both sides push w_r^T x_i back to 0 (no classical "
                               f"solution continues; Filippov theta={ev.theta:.6g})")
        elif status == "filippov_failed":
            info["message"] = (f"Filippov continuation could not go on at t={t_end:.12g} "
                               f"(a root could not be bracketed or the solver failed); stopped")
        elif status == "multi_sliding":
            info["message"] = (f"two sliding surfaces at t={t_end:.12g} (the last two "
                               f"'sliding' events); Filippov continuation handles one; stopped")
        else:
            info["message"] = f"stopped after max_events={max_events} events at t={t_end:.12g}"
        if not rec.W_times or rec.W_times[-1] < t_end:
            rec.keep_W(t_end, W)
    return rec.build("exact", events=events, status=status, info=info)
