"""The infinite-width limit flow with the crossing drift, and the crossing flux measured by GD.

``limit_flow(model="kinetic")`` (the default) integrates the true limit, memory included
(:mod:`proofkit.flow.kinetic`: neurons held on sliding surfaces with a θ that changes with r,
layers of neurons that cross back).  ``limit_flow(model="linear")`` integrates
``dr/dt = −G r`` with ``G = H∞ + D``
(:func:`proofkit.limit.limit_generator`): ``r(t) = e^{−Gt} r(0)`` by one eigendecomposition of
the (non-symmetric) G, with an ``expm`` fallback when G is defective to working precision.
G is the exact generator of the limit at t = 0+; later, mass that accumulates on sliding
surfaces (with a time-varying Filippov θ) and density layers of neurons that cross back give
the true limit a memory that the linear model leaves out (measured in ``tests/test_flow_width``:
GD's gap to e^{−Gt}r(0) falls with m at short times and levels off at a few per cent by t ≈ 2,
while its gap to the kinetic model keeps falling).
The limit flow evolves r only: it has no weights, so the rows carry no weight movement and no
pattern changes; ``lambda_min_H`` is λmin((G + Gᵀ)/2), the rate that bounds the energy decay.

:func:`crossing_flux` measures the drift at finite width: it runs GD for a short time and adds
up ``−direction · a_r V_iᵀw_r`` over every activation change, the net jump of S per unit time,
which the derivation predicts to be ``−(D r(0))_S`` as m → ∞.
"""

from __future__ import annotations

import numpy as np

from .record import Trajectory, fixed_kernel_trajectory

__all__ = ["LIMIT_MODELS", "crossing_flux", "limit_flow", "limit_propagator"]

LIMIT_MODELS = ("kinetic", "linear")


def limit_propagator(G, times) -> np.ndarray:
    """``e^{−G t}`` for each t in ``times``, shape (T, N, N)."""
    from scipy.linalg import expm

    G = np.asarray(G, dtype=float)
    times = np.asarray(times, dtype=float)
    w, U = np.linalg.eig(G)
    cond = np.linalg.cond(U)
    if np.isfinite(cond) and cond < 1e8:
        Ui = np.linalg.inv(U)
        out = np.einsum("ij,tj,jk->tik", U, np.exp(-np.outer(times, w)), Ui)
        return out.real
    return np.stack([expm(-t * G) for t in times])


def limit_flow(problem, net=None, *, t_max: float, times=None, rows: int = 200, r0=None,
               model: str = "kinetic", seed: int = 0, kinetic_options=None) -> Trajectory:
    """The limit residual r(t) from the residual of ``net`` (or an explicit ``r0``).

    ``model="kinetic"``: :func:`proofkit.flow.kinetic.kinetic_residuals` (``seed`` draws its
    boundary classes; ``kinetic_options`` passes ``dt``, ``grid``, ``samples``, ``safety``);
    ``model="linear"``: e^{−Gt} r(0).
    """
    from .. import arguments
    from ..limit import limit_generator
    from ..network import residuals
    from .linear import _grid

    arguments.problem(problem)
    arguments.one_of("model", model, LIMIT_MODELS)
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times)
    if net is not None:
        net = arguments.net_tuple(problem, net)
    G = np.asarray(limit_generator(problem), dtype=float)
    if r0 is None:
        e0, S0 = residuals(problem, np.asarray(net[0], float), np.asarray(net[1], float))
        r0 = np.concatenate([e0, np.asarray(S0).reshape(-1)])
    r0 = np.asarray(r0, dtype=float)
    grid = _grid(t_max, times, rows)
    info = {}
    if model == "kinetic":
        from .kinetic import kinetic_residuals

        R, info = kinetic_residuals(problem, r0, grid, seed=seed, **(kinetic_options or {}))
        if info["edge_hit"]:
            raise ValueError("model = 'kinetic': a stream travelled past its tracked reach; "
                             "raise kinetic_options['safety'] (default 1.5)")
    else:
        R = limit_propagator(G, grid) @ r0  # (T, N)
    lam_sym = float(np.linalg.eigvalsh((G + G.T) / 2)[0])
    return fixed_kernel_trajectory(
        problem, net, G, grid, R, lam_sym, "limit",
        {**info, "model": model, "tracks_weights": False,
         "spectral_abscissa": float(np.min(np.linalg.eigvals(G).real)),
         "lambda_min_sym_G": lam_sym})


def crossing_flux(problem, net, *, t: float, eta: float) -> dict:
    """Net jump of S per unit time from activation changes along GD over [0, t].

    Each change of σ'(w_rᵀx_i) between two steps adds ``−direction · a_r V_iᵀw_r`` (w_r at the
    midpoint of the step) to S_i; neurons that chatter on a surface add their back-and-forth
    jumps, which is how GD realises Filippov's θ.  Returns ``flux`` (n, k), its standard
    error ``flux_se`` (the root sum of squares of each pair's net jump over t: the pairs cross
    independently, each O(1/√m)), the number of ``flips`` and the initial residual ``r0``.
    """
    from .. import arguments
    from ..network import loss_and_gradient

    net = arguments.net_tuple(problem, net)
    t = arguments.positive("t", t)
    eta = arguments.positive("eta", eta)
    steps = arguments.integer("t/eta", max(1, round(t / eta)), minimum=1,
                              maximum=arguments.MAX_STEPS)
    W = np.array(net[0], dtype=float)
    a = np.asarray(net[1], dtype=float)
    x, _, V, _ = problem.host()
    P = W @ x.T > 0
    dS = np.zeros((problem.n, problem.k))
    per_pair = np.zeros((W.shape[0], problem.n, problem.k))  # net jump of each pair (r, i)
    flips = 0
    r0 = None
    for _ in range(steps):
        _, e, S, grad = loss_and_gradient(problem, W, a)
        if r0 is None:
            r0 = np.concatenate([e, np.asarray(S).reshape(-1)])
        Wn = W - eta * grad
        Pn = Wn @ x.T > 0
        rr, ii = np.nonzero(Pn != P)
        if rr.size:
            sign = np.where(Pn[rr, ii], 1.0, -1.0)
            Wm = (W[rr] + Wn[rr]) / 2
            jump = -(sign * a[rr])[:, None] * np.einsum("qd,qdk->qk", Wm, V[ii])
            np.add.at(dS, ii, jump)
            np.add.at(per_pair, (rr, ii), jump)
            flips += int(rr.size)
        W, P = Wn, Pn
    tt = steps * eta
    se = np.sqrt(np.sum(per_pair ** 2, axis=0)) / tt
    return {"flux": dS / tt, "flux_se": se, "flips": flips, "r0": r0, "t": tt}
