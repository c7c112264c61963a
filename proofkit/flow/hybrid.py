"""The driver of the exact flow: closed form while nothing slides, Filippov's field while
something does, and every event in between (:func:`proofkit.flow.exact_flow` runs it).

State: W, the bits P (``False`` for the pairs of A: σ'(0) = 0, the paper's convention), the
active set A of sliding pairs and their weights θ.  Events:

* **arrival** of a pair (r, i) at w_rᵀx_i = 0 (from the closed form or a sliding segment).  Its
  one-sided normal velocities (v_off, v_on) are taken with the other weights held.  If the
  field on the far side points back into the surface the pair *slides*: it joins A (a
  ``"sliding"`` event; with ``sliding="stop"`` the run stops there).  Otherwise it *crosses*:
  its bit flips (a ``"crossing"`` event; a zero far-side velocity is a crossing, w_r rests).
* **exit**: θ_p reaches 0 or 1 and the pair leaves to that side (an ``"exit"`` event).

After every change of A or of a bit the weights are re-solved with bounds
(:func:`proofkit.flow.filippov.settle`; pairs pushed out of [0, 1] exit at once) and their
uniqueness is checked (:func:`proofkit.flow.filippov.uniqueness`); a non-unique LCP (e.g. a
repelling surface, v_off < 0 < v_on, on which W starts) stops the run with status
``"nonunique"``.  Each event records ΔS_i and Δ(‖e‖² + ‖S‖²) with the paper's S, and
``d_energy_theta``, the jump of the energy with the θ-weighted S.
"""

from __future__ import annotations

import numpy as np

from .filippov import Sliding, classify, settle, uniqueness
from .record import Event, jump_at, residuals_with_pattern

__all__ = ["Run"]


class Run:
    """Mutable state of one exact run; :meth:`go` returns ``(events, status, message)``."""

    def __init__(self, problem, W, a, *, t_max, sliding, rtol, atol, max_events, max_steps,
                 record_events, rec, grid, keep):
        self.problem, self.a, self.t_max = problem, a, float(t_max)
        self.x = problem.host()[0]
        self.W = np.array(W, dtype=float)
        self.P = self.W @ self.x.T > 0
        self.A: list = []
        self.theta = np.zeros(0)
        self.mode, self.rtol, self.atol = sliding, rtol, atol
        self.max_events, self.max_steps = max_events, max_steps
        self.record_events, self.rec, self.grid, self.keep = record_events, rec, grid, keep
        self.gi = 0
        self.events: list[Event] = []
        self.stats = {"uncertified_intervals": 0, "rhs": 0, "steps": 0, "uncertified": 0,
                      "max_active": 0, "sliding_time": 0.0, "first_sliding": None,
                      "entries": 0}
        self.status, self.message, self.t = "completed", "", 0.0
        self.skip: list = []
        self.probe = None

    # ---------------------------------------------------------------- measurements
    def S_theta(self, W, theta, A=None, P=None):
        A = self.A if A is None else A
        P = self.P if P is None else P
        if not A:
            return residuals_with_pattern(self.problem, W, self.a, P)[1]
        return Sliding(self.problem, W, self.a, P, A).S(theta)

    def energies(self):
        e, S = residuals_with_pattern(self.problem, self.W, self.a, self.P)
        St = self.S_theta(self.W, self.theta) if self.A else S
        return float(np.sum(e * e) + np.sum(S * S)), float(np.sum(e * e) + np.sum(St * St))

    def row(self, t, W, theta):
        if self.probe is not None:
            self.probe(float(t), W, self.P.copy(), list(self.A), np.array(theta))
        e, S = residuals_with_pattern(self.problem, W, self.a, self.P)
        self.rec.measure(float(t), W, e, S, self.P,  # S_theta defaults to S off sliding
                         S_theta=self.S_theta(W, theta) if self.A else None)
        if float(t) in self.keep:
            self.rec.keep_W(float(t), W)

    def grid_rows(self, t_hi, state_of, inclusive):
        g = self.grid
        while self.gi < g.size and (g[self.gi] < t_hi or (inclusive and g[self.gi] <= t_hi)):
            W, th = state_of(float(g[self.gi]))
            self.row(g[self.gi], W, th)
            self.gi += 1

    # ---------------------------------------------------------------- events
    def _event(self, r, i, direction, dS, dE, kind, theta=None, dEt=None):
        self.events.append(Event(self.t, int(r), int(i), int(direction),
                                 tuple(np.ravel(dS).tolist()), float(dE), kind,
                                 None if theta is None else float(theta), dEt))

    def arrive(self, r, i, from_on):
        """Pair (r, i) is at its surface; ``from_on``: its bit before (None at t = 0)."""
        W, a = self.W, self.a
        P = self.P.copy()
        P[r, i] = False
        A = [*self.A, (r, i)]
        sl = Sliding(self.problem, W, a, P, A)
        v_off, v_on = sl.one_sided(np.append(self.theta, 0.5), len(A) - 1)
        kind = classify(v_off, v_on)
        if from_on is None and v_off == 0:
            return  # t = 0: F_0 is tangent, w_r rests on the surface off (σ'(0) = 0)
        if kind == "repelling":
            self._stop("nonunique", f"t={self.t:.12g}: neuron {r}, point {i} lies on a repelling "
                       f"surface (normal velocity {v_off:.3g} off, {v_on:.3g} on): the flow "
                       f"may leave to either side or stay; no unique solution, stopped")
            return
        slides = kind == "sliding" or (from_on is True and v_off > 0) or (
            from_on is False and v_on < 0)
        if not slides:
            to_on = kind == "up" if from_on is None else not from_on
            if to_on == bool(self.P[r, i]):
                return  # t = 0, at rest on the surface, off (σ'(0) = 0)
            before = self.energies()[1]
            S = residuals_with_pattern(self.problem, W, a, self.P)[1]
            dS, dE = jump_at(self.problem, W, a, r, i, 1 if to_on else -1, S)
            self.P[r, i] = to_on
            self.skip.append((r, i))
            self._change((r, i, 1 if to_on else -1, dS, dE, "crossing", None), before)
            return
        theta0 = v_off / (v_off - v_on) if v_off != v_on else 0.5
        direction = -1 if from_on else 1
        S = residuals_with_pattern(self.problem, W, a, self.P)[1]
        dS, dE = (jump_at(self.problem, W, a, r, i, -1, S) if self.P[r, i]
                  else (np.zeros(self.problem.k), 0.0))
        if self.stats["first_sliding"] is None:
            self.stats["first_sliding"] = self.t
        self.stats["entries"] += 1
        if self.mode == "stop":
            self._event(r, i, direction, dS, dE, "sliding", theta0)
            self._stop("sliding", f"sliding at t={self.t:.12g}: neuron {r}, point {i}; both "
                       f"sides push w_r^T x_i back to 0 (no classical solution continues; "
                       f"Filippov theta={theta0:.6g})")
            return
        before = self.energies()[1]
        self.P[r, i] = False
        self.A.append((r, i))
        self.theta = np.append(self.theta, min(max(theta0, 0.01), 0.99))
        self._change((r, i, direction, dS, dE, "sliding", (r, i)), before)

    def _change(self, ev, before):
        """After a bit or A changed: re-solve θ with bounds, record ``ev`` then the exits."""
        A, theta, exits, ok = settle(self.problem, self.W, self.a, self.P, self.A, self.theta)
        self.A, self.theta = A, theta
        P_after = self.P.copy()
        for pr, side in exits:
            P_after[pr] = side
        St = self.S_theta(self.W, theta, A, P_after)
        e = residuals_with_pattern(self.problem, self.W, self.a, P_after)[0]
        dEt = float(np.sum(e * e) + np.sum(St * St)) - before
        r, i, direction, dS, dE, kind, pair = ev
        th = None
        if pair is not None:
            th = theta[A.index(pair)] if pair in A else next(
                (1.0 if side else 0.0) for pr, side in exits if pr == pair)
        if kind == "exit":
            th = 1.0 if direction > 0 else 0.0
        self._event(r, i, direction, dS, dE, kind, th, dEt)
        for pr, side in exits:
            self._exit_event(pr, side)
        if not ok:
            self._stop("filippov_failed", f"t={self.t:.12g}: Newton for the Filippov weights "
                       f"did not converge on {len(self.A)} sliding pairs; stopped")
            return
        self.stats["max_active"] = max(self.stats["max_active"], len(self.A))
        if self.A:
            u = uniqueness(Sliding(self.problem, self.W, self.a, self.P, self.A), self.theta)
            if u == "nonunique":
                self._stop("nonunique", f"t={self.t:.12g}: the complementarity problem for the "
                           f"weights of {len(self.A)} sliding pairs has several solutions; "
                           f"the Filippov solution is not unique; stopped")
            elif u == "uncertified":
                self.stats["uncertified"] += 1

    def _exit_event(self, pr, side):
        r, i = pr
        self.P[r, i] = False
        S = residuals_with_pattern(self.problem, self.W, self.a, self.P)[1]
        dS, dE = (jump_at(self.problem, self.W, self.a, r, i, 1, S) if side
                  else (np.zeros(self.problem.k), 0.0))
        self.P[r, i] = side
        self.skip.append((r, i))
        self._event(r, i, 1 if side else -1, dS, dE, "exit", 1.0 if side else 0.0, 0.0)

    def exit(self, q, side):
        pr = self.A[q]
        before = self.energies()[1]
        del self.A[q]
        self.theta = np.delete(self.theta, q)
        self.P[pr] = False
        S = residuals_with_pattern(self.problem, self.W, self.a, self.P)[1]
        dS, dE = (jump_at(self.problem, self.W, self.a, pr[0], pr[1], 1, S) if side
                  else (np.zeros(self.problem.k), 0.0))
        self.P[pr] = side
        self.skip.append(pr)
        self._change((pr[0], pr[1], 1 if side else -1, dS, dE, "exit", None), before)

    def _stop(self, status, message):
        if self.status == "completed":
            self.status, self.message = status, message

    # ---------------------------------------------------------------- the loop
    def go(self):
        from .exact import closed_form_step
        from .sliding import slide_segment

        Z = self.W @ self.x.T
        for r, i in np.argwhere(Z == 0):
            self.arrive(int(r), int(i), None)
        self.row(0.0, self.W, self.theta)
        self.gi = int(np.searchsorted(self.grid, 0.0, side="right"))
        while self.status == "completed":
            t0 = self.t
            if not self.A:
                hit = closed_form_step(self, t0)
            else:
                self.skip = []
                tt, W, th, res = slide_segment(
                    self.problem, self.W, self.a, self.P, self.A, self.theta, t0, self.t_max,
                    rtol=self.rtol, atol=self.atol, stats=self.stats, max_steps=self.max_steps,
                    on_rows=lambda lo, hi, f: self.grid_rows(hi, f, True))
                self.stats["sliding_time"] += tt - t0
                self.t, self.W, self.theta = tt, W, th
                hit = res
            if hit is None:
                break
            self.skip = []
            if self.record_events:
                self.row(self.t, self.W, self.theta)
            if hit[0] == "cross":
                r, i = hit[1]
                self.arrive(r, i, bool(self.P[r, i]))
            elif hit[0] == "exit":
                self.exit(hit[1], hit[2])
            elif hit[0] == "max_steps":
                self._stop("max_steps", f"stopped after max_steps={self.max_steps} DOP853 steps "
                           f"on sliding segments at t={self.t:.12g}")
            else:
                self._stop("filippov_failed", f"the sliding segment failed at t={self.t:.12g}: "
                           f"{hit[1]}; stopped")
            if self.record_events and self.status != "sliding":
                self.row(self.t, self.W, self.theta)
            same = [ev for ev in self.events[-64:] if ev.time == self.t]
            if len(same) >= 64 and self.status == "completed":
                self._stop("stuck", f"64 events at the same time t={self.t:.12g} (last: neuron "
                           f"{same[-1].neuron}, point {same[-1].point}, {same[-1].kind}): a "
                           f"degenerate contact the event logic cannot resolve; stopped")
            if len(self.events) >= self.max_events:
                self._stop("max_events", f"stopped after max_events={self.max_events} events at "
                           f"t={self.t:.12g}")
        if self.status != "completed" and (not self.rec.W_times or self.rec.W_times[-1] < self.t):
            self.rec.keep_W(self.t, self.W)
        return self.events, self.status, self.message
