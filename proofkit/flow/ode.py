"""Adaptive ODE solve of the gradient flow (5) (or (12)) with SciPy's explicit RK solvers.

The state is ``W`` flattened (``[W, b]`` for the biased network); the right-hand side is
``−∂L/∂W`` from :mod:`proofkit.network`.  The solver (``DOP853`` by default, ``RK45``,
``RK23``) is stepped by hand so that after each accepted step its dense output is used

* to record rows at the requested times, and
* to locate activation changes: every pair (r, i) whose w_rᵀx_i has different signs at the
  two ends of the step is refined with ``brentq`` on the interpolant (``xtol`` = 4 eps·t).
  A pair that crosses twice inside one step is not seen; steps are short near crossings
  because the right-hand side jumps there and the error control rejects long steps.

The right-hand side is discontinuous across w_rᵀx_i = 0, so the formal order of the
method is lost at each crossing; what remains is controlled by rtol/atol through step
rejection.  Sliding is not classified here (see :mod:`proofkit.flow.exact`), but it shows
as chattering or stalling: a pair that crosses ``chatter`` times stops the run with status
``"chattering"``, ``stall`` accepted steps that advance less than 1e-4·t_max stop it with
``"stalled"`` naming the pair nearest its surface, and ``max_steps``, ``max_events`` cap the
work — never a silent crawl.
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..network import _biased_loss_and_gradient, _loss_and_gradient, residuals
from ..problem import lift_bias
from .record import Event, Recorder, jump_at, residuals_with_pattern

__all__ = ["ode_flow"]


def ode_flow(problem, net, *, t_max: float, rtol=1e-8, atol=1e-10, method="DOP853",
             times=None, bias=False, alpha=None, rows: int = 200, max_events: int = 100_000,
             max_steps: int = 20_000, chatter: int = 16,
             stall: int = 200):
    """Integrate (5) on [0, t_max] adaptively; see :func:`proofkit.flow.run_flow`."""
    from scipy import integrate
    from scipy.optimize import brentq

    solvers = {"DOP853": integrate.DOP853, "RK45": integrate.RK45, "RK23": integrate.RK23}
    arguments.one_of("method", method, tuple(sorted(solvers)))
    net = arguments.net_tuple(problem, net, bias=bias)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times, rtol=rtol, atol=atol,
                                  max_events=max_events)
    arguments.integer("max_steps", max_steps, minimum=1)
    a = np.asarray(net[-1], dtype=float)
    if bias:
        W, b = np.array(net[0], dtype=float), np.array(net[1], dtype=float)
        d = W.shape[1]
        lifted = lift_bias(problem, alpha)
        y0 = np.column_stack([W, b])

        def rhs(_t, y):
            Y = y.reshape(-1, d + 1)
            gW, gb = _biased_loss_and_gradient(problem, Y[:, :d], Y[:, d], a, alpha)[3:]
            return -np.column_stack([gW, gb]).ravel()
    else:
        lifted = problem
        y0 = np.array(net[0], dtype=float)

        def rhs(_t, y):
            return -_loss_and_gradient(problem, y.reshape(y0.shape), a)[3].ravel()

    x = lifted.host()[0]
    shape = y0.shape
    rec = Recorder(lifted, y0, a)
    grid = (np.linspace(0.0, t_max, rows + 1) if times is None
            else np.union1d(np.clip(np.asarray(times, dtype=float), 0, t_max), [0.0, t_max]))
    keep = set(grid.tolist()) if times is not None else {0.0, float(t_max)}

    def row(t, Y):
        e, S = residuals(lifted, Y, a)
        rec.measure(t, Y, e, S)
        if t in keep:
            rec.keep_W(t, Y)

    row(0.0, y0)
    gi = 1
    solver = solvers[method](rhs, 0.0, y0.ravel(), t_max, rtol=rtol, atol=atol)
    Z_old = y0 @ x.T
    events: list[Event] = []
    status = "completed"
    flips: dict = {}
    nsteps = 0
    recent: list = []
    message = ""
    while solver.status == "running":
        nsteps += 1
        if nsteps > max_steps:
            status, message = "max_steps", f"stopped after {max_steps} steps at t={solver.t:.12g}"
            break
        t_prev = solver.t
        msg = solver.step()
        if solver.status == "failed":
            status, message = "failed", str(msg)
            break
        recent.append(solver.t)
        if len(recent) > stall and recent[-1] - recent[-1 - stall] < 1e-4 * t_max:
            Zs = solver.y.reshape(shape) @ x.T
            r, i = np.unravel_index(int(np.argmin(np.abs(Zs))), Zs.shape)
            status = "stalled"
            message = (f"{stall} steps advanced less than 1e-4 t_max up to "
                       f"t={solver.t:.12g}; nearest surface: neuron {r}, point {i} "
                       f"(|w_r^T x_i| = {abs(Zs[r, i]):.2e}), the flow is probably sliding "
                       f"there (see integrator 'exact'); stopped")
            break
        dense = solver.dense_output()
        Y_new = solver.y.reshape(shape)
        Z_new = Y_new @ x.T
        rs, is_ = np.nonzero((Z_old > 0) != (Z_new > 0))
        found = []
        for r, i in zip(rs.tolist(), is_.tolist(), strict=True):
            def g(t, r=r, i=i, dense=dense):
                return float(dense(t).reshape(shape)[r] @ x[i])
            tc = brentq(g, t_prev, solver.t, xtol=4 * np.finfo(float).eps * max(1.0, solver.t))
            found.append((tc, r, i, 1 if Z_new[r, i] > 0 else -1))
        for tc, r, i, direction in sorted(found):
            Yc = dense(tc).reshape(shape)
            P_before = Yc @ x.T > 0
            P_before[r, i] = direction < 0
            _, S = residuals_with_pattern(lifted, Yc, a, P_before)
            dS, dE = jump_at(lifted, Yc, a, r, i, direction, S)
            events.append(Event(float(tc), r, i, direction, tuple(dS.tolist()), dE))
            flips[(r, i)] = flips.get((r, i), 0) + 1
            if flips[(r, i)] >= chatter and status == "completed":
                status = "chattering"
                message = (f"neuron {r}, point {i} crossed {flips[(r, i)]} times up to "
                           f"t={tc:.12g}: the flow slides on w_r^T x_i = 0 (see integrator "
                           f"'exact'); stopped")
        if len(events) > max_events and status == "completed":
            status, message = "max_events", f"stopped after max_events={max_events} events"
        if status != "completed":
            break
        while gi < grid.size and grid[gi] <= solver.t:
            row(float(grid[gi]), dense(grid[gi]).reshape(shape))
            gi += 1
        Z_old = Z_new
    if status != "completed" and rec.rows[-1][0] < solver.t:
        row(float(solver.t), solver.y.reshape(shape))
    return rec.build(method.lower() if method != "DOP853" else "ode", events=events,
                     status=status, info={"method": method, "rtol": float(rtol),
                                          "atol": float(atol), "nfev": int(solver.nfev),
                                          "message": message})
