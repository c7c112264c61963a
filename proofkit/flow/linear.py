"""The linearized flow (H(0) frozen) and the infinite-width flow (H∞): r(t) = e^{−Ht} r(0).

These are the two reference dynamics of the NTK picture: Lemma 4 says the finite network
stays close to the flow with H(0) while ‖H(t) − H(0)‖_F < λ*/4, and H(0) → H∞ as m → ∞
(Lemma 2).  Both start from the network's own residual r(0) = (e(0), S(0)).

For the linearized flow the weights have a closed form too:
``W(t) = W(0) + diag(a) P0 U(∫₀ᵗ r)`` with ``∫₀ᵗ r = Q diag(φ1(λ, t)) Qᵀ r(0)``; the pattern is
held at P0, so ``n_pattern_changes`` is 0 by construction and ``kernel_drift_F`` is 0.
The infinite-width flow has no weights: its rows carry λmin(H∞), ``‖H∞ − H(0)‖_F`` as the
kernel drift, and no weight movement.
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..kernels import h_infinity
from ..network import residuals
from .exact import _Segment
from .record import Recorder, Trajectory, fixed_kernel_trajectory, gram_paper

__all__ = ["infinite_width_flow", "linearized_flow"]


def _grid(t_max, times, rows):
    if times is None:
        return np.linspace(0.0, t_max, rows + 1)
    return np.union1d(np.clip(np.asarray(times, dtype=float), 0, t_max), [0.0, t_max])


def linearized_flow(problem, net, *, t_max: float, times=None, rows: int = 200) -> Trajectory:
    """Flow with H frozen at H(0): exact closed form, no activation changes."""
    from ..kernels import hat_to_paper_permutation

    net = arguments.net_tuple(problem, net)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times)
    W0 = np.array(net[0], dtype=float)
    a = np.asarray(net[1], dtype=float)
    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    G, owner = gram_paper(problem)
    F = np.concatenate([x[:, None, :], np.transpose(V, (0, 2, 1))], axis=1).reshape(
        n * (k + 1), -1)[hat_to_paper_permutation(n, k)]
    P0 = W0 @ x.T > 0
    seg = _Segment(problem, F, owner, G, W0, a, P0, 0.0)
    rec = Recorder(problem, W0, a)
    grid = _grid(t_max, times, rows)
    keep = set(grid.tolist()) if times is not None else {0.0, float(t_max)}
    for t in grid:
        e, S = seg.residual(t)
        Wt = seg.weights(t)
        rec.measure(float(t), Wt, e, S, P0)
        if t in keep:
            rec.keep_W(float(t), Wt)
    return rec.build("linear")


def infinite_width_flow(problem, net=None, *, t_max: float, times=None, rows: int = 200,
                        r0=None, eta=None) -> Trajectory:
    """r(t) = e^{−H∞ t} r(0), from the residual of ``net`` (or an explicit ``r0``).

    With ``eta`` the GD counterpart is returned instead: r_j = (I − ηH∞)^j r(0) at t = jη
    (``times`` are rounded to steps), which is what GD at infinite width does exactly.
    """
    arguments.problem(problem)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times)
    if eta is not None:
        eta = arguments.positive("eta", eta)  # no step cap: (I − ηH∞)^j is a power, not a loop
    if r0 is None:
        net = arguments.net_tuple(problem, net)
    else:
        r0 = arguments.real_array("r0", r0, ndim=1, shape="(N,)")
        if r0.shape[0] != problem.N:
            raise arguments.ArgumentError(f"r0 has length {r0.shape[0]}; it must have length "
                                          f"N = n(k+1) = {problem.N}")
        arguments.finite("r0", r0)
    Hinf = np.asarray(h_infinity(problem), dtype=float)
    lam, Q = np.linalg.eigh(Hinf)
    if r0 is None:
        e0, S0 = residuals(problem, np.asarray(net[0], float), np.asarray(net[1], float))
        r0 = np.concatenate([e0, np.asarray(S0).reshape(-1)])
    c = Q.T @ np.asarray(r0, dtype=float)
    grid = _grid(t_max, times, rows)
    if eta is None:
        R = (Q @ (np.exp(-np.outer(lam, grid)) * c[:, None])).T  # (T, N)
    else:
        steps = np.round(grid / eta)
        grid = steps * eta
        R = (Q @ (np.power(1.0 - eta * lam[:, None], steps[None, :]) * c[:, None])).T
    return fixed_kernel_trajectory(problem, net, Hinf, grid, R, float(lam[0]), "infinite")
