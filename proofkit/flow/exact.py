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

**At an event** (r, i) the driver :class:`proofkit.flow.hybrid.Run` decides (crossing, sliding,
exit, or a repelling surface: ``"nonunique"``), records the jump of S_i and of ‖e‖² + ‖S‖² and,
while some pair slides, integrates Filippov's field numerically
(:mod:`proofkit.flow.sliding`, :mod:`proofkit.flow.filippov`); this module's closed form is
used whenever no pair slides.  ``sliding="stop"`` ends the run at the first sliding event.
The number of events is capped by ``max_events``; hitting the cap stops the run with status
``"max_events"`` — never a silent loop.
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from .record import Recorder, gram_paper, residuals_with_pattern

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

    ``skip`` lists the pairs just flipped (their z is 0 at s = 0 and leaves transversally).
    """
    from scipy.optimize import brentq

    lam = seg.lam
    ph = phi1(lam, horizon)
    bound = np.einsum("rqi,q->ri", np.abs(seg.beta), ph)
    z0 = seg.z0 * sgn
    skip = list(skip or ())
    for pr in skip:
        z0[pr] = 0.0
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
        for pr in skip:
            own = np.nonzero((rows[sl] == pr[0]) & (cols[sl] == pr[1]))[0]
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


def closed_form_step(run, t0):
    """Advance ``run`` (a :class:`proofkit.flow.hybrid.Run` with A empty) by the closed form to
    its next event; record the grid rows on the way.  Returns ``("cross", (r, i))`` or None."""
    seg = _Segment(run.problem, run.F, run.owner, run.G, run.W, run.a, run.P, t0)
    sgn = np.where(run.P, 1.0, -1.0)
    hit = _first_root(seg, sgn, run.t_max - t0, run.skip, run.stats) if t0 < run.t_max else None
    t_end = run.t_max if hit is None else t0 + hit[0]

    def state_of(t):
        return seg.weights(t - t0), run.theta

    run.grid_rows(t_end, state_of, hit is None)
    s = (run.t_max - t0) if hit is None else hit[0]
    run.W, run.t = seg.weights(s), t_end
    return None if hit is None else ("cross", (hit[1], hit[2]))


def exact_flow(problem, net, *, t_max: float, times=None, rows: int = 200,
               max_events: int = 10_000, record_events: bool = True,
               sliding: str = "filippov", rtol: float = 1e-10, atol: float = 1e-12,
               max_steps: int = 200_000, probe=None):
    """Event-driven exact flow of (5) on [0, t_max]; see :func:`proofkit.flow.run_flow`.

    Rows are recorded on the time grid (``times`` or ``rows + 1`` even points) and, when
    ``record_events``, just before and just after every event (same time, two rows).
    ``sliding="stop"`` ends the run at the first sliding event; ``"filippov"`` (default)
    follows Filippov's sliding mode on any number of surfaces (:mod:`proofkit.flow.hybrid`,
    :mod:`proofkit.flow.sliding`; DOP853 with ``rtol``/``atol`` while a pair slides, at most
    ``max_steps`` steps) and resumes the closed form when nothing slides.  ``probe(t, W, P,
    A, theta)``, when given, is called with the state at every recorded row.
    """
    from ..kernels import hat_to_paper_permutation
    from .hybrid import Run

    arguments.one_of("sliding", sliding, ("stop", "filippov"))
    net = arguments.net_tuple(problem, net)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times, rtol=rtol, atol=atol,
                                  max_events=max_events)
    W = np.array(net[0], dtype=float)
    a = np.asarray(net[1], dtype=float)
    x = problem.host()[0]
    n, k = problem.n, problem.k
    rec = Recorder(problem, W, a)
    grid = (np.linspace(0.0, t_max, rows + 1) if times is None
            else np.union1d(np.clip(np.asarray(times, dtype=float), 0, t_max), [0.0, t_max]))
    keep = set(grid.tolist()) if times is not None else {0.0, float(t_max)}
    run = Run(problem, W, a, t_max=t_max, sliding=sliding, rtol=rtol, atol=atol,
              max_events=max_events, max_steps=max_steps, record_events=record_events,
              rec=rec, grid=grid, keep=keep)
    run.G, run.owner = gram_paper(problem)
    run.probe = probe
    Fh = np.concatenate([x[:, None, :], np.transpose(problem.host()[2], (0, 2, 1))], axis=1)
    run.F = Fh.reshape(n * (k + 1), -1)[hat_to_paper_permutation(n, k)]
    events, status, message = run.go()
    st = run.stats
    info = {"uncertified_intervals": st["uncertified_intervals"], "max_events": max_events,
            "sliding_mode": sliding, "sliding_episodes": st["entries"],
            "first_sliding_time": st["first_sliding"], "sliding_time": st["sliding_time"],
            "max_active_sliding": st["max_active"], "dop853_steps": st["steps"],
            "rhs_evaluations": st["rhs"], "uncertified_uniqueness": st["uncertified"],
            "active_sliding_final": len(run.A)}
    if status != "completed":
        info["stopped_at"] = float(run.t)
        info["message"] = message
    return rec.build("exact", events=events, status=status, info=info)
