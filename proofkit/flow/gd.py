"""Gradient descent: explicit Euler on the gradient flow (5) (and (12) for the biased net).

``W_{j+1} = W_j − η ∂L/∂W(W_j)``, time ``t_j = jη``.  On NumPy arrays every step is one
blocked pass over W (:class:`proofkit.flow.fused.FusedGD`): the update of step j fused
with the products ``W xᵀ`` and ``Wᵀ(aP)`` of step j + 1, O(mnd) work, no allocation of
size m per step, and the recorder is fed the pattern and kernel the pass already has (W
itself is read for a row only to measure the weight movement, in the same pass).  Other
namespaces (CuPy, array_api_strict) take the generic path: one
:func:`proofkit.network.loss_and_gradient` per step, the same arithmetic; the tests hold
the two to 1e-12.  The biased network (``bias=True``) runs the direct arithmetic of (12)
through :func:`proofkit.network.biased_loss_and_gradient`, kept apart from the lifted
route so that ``validate_theorem2`` compares two independent computations.
Rows are recorded at the steps nearest to the requested times (or on an even grid of at most ``rows`` steps).

With a fixed activation pattern the model is linear in W, so one GD step maps the
residual exactly to ``(I − ηH) r``; GD differs from the flow by O(η) per unit time, and
at pattern changes it steps over the surface w_rᵀx_i = 0 without locating it (it records
no events, only ``n_pattern_changes``).
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..errors import InputError
from ..network import _biased_loss_and_gradient, _loss_and_gradient
from ..problem import SobolevProblem, lift_bias
from .fused import FusedGD
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
            rows: int = 200, block: int | None = None, dtype=None):
    """Run GD for ``ceil(t_max/η)`` steps; see :func:`proofkit.flow.run_flow`.

    ``bias=True`` runs the biased network (10) directly with (12): ``net`` is a
    :class:`~proofkit.network.BiasedNetwork` and the residuals are those of Theorem 2; the
    kernel H is measured on the lifted data ``lift_bias(problem)`` (Section 2.1).
    Arguments are checked once here (at most ``arguments.MAX_STEPS`` steps), not per step.
    ``block`` (rows of W per block) and ``dtype`` (float64, or float32 products for
    exploration runs) apply to the unbiased NumPy path.
    """
    net = arguments.net_tuple(problem, net, bias=bias)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times, eta=eta)
    steps, idx = record_steps(t_max, eta, times, rows)
    want = set(idx.tolist())
    keep = set(idx.tolist()) if times is not None else {0, steps}
    info = {"eta": float(eta), "steps": int(steps)}
    if bias:
        return _plain(problem, net, steps, want, keep, eta, info, bias=True, alpha=alpha)
    if _is_numpy(net[0]) and _is_numpy(net[1]) and _is_numpy(problem.x):
        return _fused(problem, net, steps, want, keep, eta, info, block=block, dtype=dtype)
    if dtype is not None and np.dtype(dtype) != np.float64:
        raise InputError(f"dtype = {dtype!r}; float32 products are available on NumPy arrays only")
    return _plain(problem, net, steps, want, keep, eta, info)


def _is_numpy(arr) -> bool:
    return type(arr) is np.ndarray


def _diverged(en: float, first: float) -> bool:
    return not np.isfinite(en) or en > 1e12 * max(first, 1.0)


def _fused(problem, net, steps, want, keep, eta, info, *, block, dtype):
    a = np.asarray(net[1], dtype=float)
    dt = np.dtype(np.float64 if dtype is None else dtype)
    st = FusedGD(problem, net[0], a, eta=eta, block=block, dtype=dt)
    a_zero = np.flatnonzero(a == 0)
    a_zero = a_zero if a_zero.size else None
    P0 = st.aP != 0
    if a_zero is not None:  # a_r = 0: w_r never moves; its true pattern is only for the record
        P0[a_zero] = np.asarray(net[0], float)[a_zero] @ problem.host()[0].T > 0
    K0 = st.kernel_gram()
    rec = Recorder(problem, st.weights(), a, P0=P0, K0=K0)
    if 0 in keep:
        rec.keep_W(0.0, rec.W0, copy=False)  # the recorder's own copy of W(0), never written
    info |= {"block": st.block, "dtype": dt.name}
    status, first, last = "completed", None, 0
    for j in range(steps + 1):
        e, S = st.e, st.S
        en = float(np.sum(e * e) + np.sum(S * S))
        first = en if first is None else first
        if j in want or _diverged(en, first) or j == steps:
            move = 0.0 if j == 0 else st.move  # None only at an unplanned (diverged) row
            P, K = (P0, K0) if j == 0 else (st.pattern(P0, a_zero), st.kernel_gram())
            rec.measure(j * eta, st.weights() if move is None else None, e, S, P, K=K,
                        move=move)
        if j in keep and j not in (0, steps):
            rec.keep_W(j * eta, st.weights())
        last = j
        if _diverged(en, first):
            status = "diverged"
            break
        if j == steps:
            break
        nxt = j + 1
        st.advance(W0=rec.W0 if (nxt in want or nxt == steps) else None)
    # the loop kept every other j in keep, in order (a run that diverged at a kept j included)
    if last == steps and steps in keep and steps != 0:
        rec.keep_W(last * eta, st.weights(), copy=False)  # the run is over: hand W over
    return rec.build("gd", status=status, info=info)


def _plain(problem, net, steps, want, keep, eta, info, *, bias=False, alpha=None):
    """One (biased_)loss_and_gradient per step, in the namespace of the inputs."""
    from ..backend import namespace, to_numpy

    status = "completed"
    if bias:
        W, b, a = (np.array(v, dtype=float) for v in net)
        lifted = lift_bias(problem, alpha)
        rec = Recorder(lifted, np.column_stack([W, b]), a)
    else:
        W, a = net[0], net[1]
        xp = namespace(W, a)
        W = xp.asarray(W, dtype=xp.float64, copy=True)
        host = problem if _is_numpy(problem.x) else SobolevProblem(*problem.host())
        rec = Recorder(host, to_numpy(W), to_numpy(a))  # rows are measured on the host
    first = None
    for j in range(steps + 1):
        if bias:
            _, e, S, gW, gb = _biased_loss_and_gradient(problem, W, b, a, alpha)
            Wl = np.column_stack([W, b])
        else:
            _, e, S, grad = _loss_and_gradient(problem, W, a)
            e, S, Wl = to_numpy(e), to_numpy(S), W
        if j in want:
            rec.measure(j * eta, to_numpy(Wl), e, S)
        if j in keep:
            rec.keep_W(j * eta, to_numpy(Wl))
        en = float(np.sum(e * e) + np.sum(S * S))
        first = en if first is None else first
        if _diverged(en, first):
            if j not in want:
                rec.measure(j * eta, to_numpy(Wl), e, S)
            status = "diverged"
            break
        if j == steps:
            break
        if bias:
            W = W - eta * gW
            b = b - eta * gb
        else:
            W = W - eta * grad
    return rec.build("gd", status=status, info=info)
