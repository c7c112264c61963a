"""Gradient descent: explicit Euler on the gradient flow (5) (and (12) for the biased net).

``W_{j+1} = W_j − η ∂L/∂W(W_j)``, time ``t_j = jη``.  Each step is one evaluation of
:func:`proofkit.network.loss_and_gradient` (or its biased twin): three products ``W xᵀ``,
``Wᵀ(aP)``, ``(aP) U``, O(mnd) work and O(m(d + n)) memory, no (m × n × d) temporary.
Rows are recorded at the steps nearest to the requested times (or on an even grid of at most ``rows`` steps).

With a fixed activation pattern the model is linear in W, so one GD step maps the
residual exactly to ``(I − ηH) r``; GD differs from the flow by O(η) per unit time, and
at pattern changes it steps over the surface w_rᵀx_i = 0 without locating it (it records
no events, only ``n_pattern_changes``).
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..network import _biased_loss_and_gradient, _loss_and_gradient
from ..problem import lift_bias
from .record import Recorder

__all__ = ["gd_flow", "record_steps"]


def record_steps(t_max: float, eta: float, times=None, rows: int = 200):
    """Step indices at which to record, and the number of steps ``ceil(t_max/η)``."""
    steps = max(1, int(np.ceil(t_max / eta - 1e-9)))
    if times is None:
        idx = np.unique(np.linspace(0, steps, min(rows, steps) + 1).round().astype(np.int64))
    else:
        idx = np.unique(np.clip(np.round(np.asarray(times, dtype=float) / eta), 0, steps)
                        .astype(np.int64))
        idx = np.union1d(idx, [0, steps])
    return steps, idx


def gd_flow(problem, net, *, t_max: float, eta: float, times=None, bias=False, alpha=None,
            rows: int = 200):
    """Run GD for ``ceil(t_max/η)`` steps; see :func:`proofkit.flow.run_flow`.

    ``bias=True`` runs the biased network (10) directly with (12): ``net`` is a
    :class:`~proofkit.network.BiasedNetwork` and the residuals are those of Theorem 2; the
    kernel H is measured on the lifted data ``lift_bias(problem)`` (Section 2.1).
    Arguments are checked once here (at most ``arguments.MAX_STEPS`` steps), not per step.
    """
    net = arguments.net_tuple(problem, net, bias=bias)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times, eta=eta)
    steps, idx = record_steps(t_max, eta, times, rows)
    want = set(idx.tolist())
    keep = set(idx.tolist()) if times is not None else {0, steps}
    status = "completed"
    if bias:
        W, b, a = (np.array(v, dtype=float) for v in net)
        lifted = lift_bias(problem, alpha)
        rec = Recorder(lifted, np.column_stack([W, b]), a)
    else:
        W, a = np.array(net[0], dtype=float), np.asarray(net[1], dtype=float)
        rec = Recorder(problem, W, a)
    first = None
    for j in range(steps + 1):
        if bias:
            _, e, S, gW, gb = _biased_loss_and_gradient(problem, W, b, a, alpha)
            Wl = np.column_stack([W, b])
        else:
            _, e, S, grad = _loss_and_gradient(problem, W, a)
            Wl = W
        if j in want:
            rec.measure(j * eta, Wl, e, S)
        if j in keep:
            rec.keep_W(j * eta, Wl)
        en = float(np.sum(e * e) + np.sum(S * S))
        first = en if first is None else first
        if not np.isfinite(en) or en > 1e12 * max(first, 1.0):
            if j not in want:
                rec.measure(j * eta, Wl, e, S)
            status = "diverged"
            break
        if j == steps:
            break
        if bias:
            W = W - eta * gW
            b = b - eta * gb
        else:
            W = W - eta * grad
    return rec.build("gd", status=status, info={"eta": float(eta), "steps": int(steps)})
