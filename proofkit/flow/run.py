"""One entry point for every integrator: :func:`run_flow`."""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..arguments import gd_steps
from ..problem import lift_bias

__all__ = ["INTEGRATORS", "default_eta", "run_flow"]

INTEGRATORS = ("gd", "ode", "exact", "linear", "infinite", "limit")


def default_eta(problem, net) -> float:
    """A stable GD step: ``min(0.1, 0.5/λmax(H(0)))`` (Euler is stable for η < 2/λmax)."""
    from ..kernels import empirical_kernel

    net = arguments.net_tuple(problem, net)

    H0 = np.asarray(empirical_kernel(problem, np.asarray(net[0], float),
                                     np.asarray(net[-1], float)))
    return float(min(0.1, 0.5 / max(np.linalg.eigvalsh(H0)[-1], 1e-12)))


def run_flow(problem, net, *, integrator: str = "gd", t_max: float, eta=None, rtol=None,
             atol=None, times=None, seed=None, bias: bool = False, alpha=None,
             max_events: int = 10_000, rows: int = 200, method: str = "DOP853",
             sliding: str = "filippov", model: str = "kinetic", block=None,
             dtype=None):
    """Run the gradient flow (5) — or (12) with ``bias=True`` — and record a trajectory.

    Parameters
    ----------
    problem : SobolevProblem
        Training data (2).
    net : Network or BiasedNetwork or None
        Initial weights (9); ``None`` draws ``init_network`` (``init_biased_network`` with
        ``bias``) of width 100 from ``seed`` (then an integer >= 0 or a Generator).
    integrator : {"gd", "ode", "exact", "linear", "infinite", "limit"}
        Explicit Euler with step ``eta``; adaptive ``solve_ivp``-family solver (``method``,
        ``rtol``, ``atol``); the exact event-driven flow; the flow with H(0) frozen; the
        infinite-width flow with H∞; the infinite-width limit with the crossing drift,
        G = H∞ + D (:mod:`proofkit.flow.limit`; it evolves r only, no weights).
    t_max : float
        Final time (> 0).
    eta : float, optional
        GD step (default :func:`default_eta`); for ``"infinite"`` it selects the discrete
        recursion (I − ηH∞)^j r(0), GD's infinite-width counterpart.
    times : array, optional
        Times at which to record rows and keep W (default: an even grid of ``rows + 1``).
    bias : bool
        Biased network (10).  ``gd`` and ``ode`` run it directly with (12); ``exact``,
        ``linear`` and ``infinite`` run the unbiased flow on ``lift_bias(problem, alpha)``
        with weights ``[W, b]`` (Section 2.1).
    max_events : int
        Cap on located events (exact, ode); reaching it stops the run and says so.
    sliding : {"stop", "filippov"}
        What the exact integrator does at a sliding event: stop there, or (default) follow
        Filippov's sliding mode on any number of surfaces (rtol/atol of its DOP853 segments
        default 1e-10/1e-12); see :mod:`proofkit.flow.hybrid`.
    model : {"kinetic", "linear"}
        The ``limit`` integrator's model: ``"kinetic"`` is the limit with its boundary-layer
        memory (:mod:`proofkit.flow.kinetic`, classes drawn from ``seed``, default 0);
        ``"linear"`` is r(t) = e^{−Gt} r(0) with G = H∞ + D, its generator at t = 0+
        (recorded in ``info["model"]``).
    block : int, optional
        ``gd`` only: rows of W per block of the fused step (default sized to the cache).
    dtype : {None, "float64", "float32"}
        ``gd`` only: float32 runs the step's products in single precision (exploration
        runs); residuals, kernels and the recorded rows stay float64.

    Returns
    -------
    Trajectory

    Every argument is checked before any work (:mod:`proofkit.arguments`): a bad one raises
    :class:`~proofkit.errors.ArgumentError` (a ``ProblemError`` and an ``InputError``) naming
    it and the rule; GD runs at most ``arguments.MAX_STEPS`` steps.
    """
    from ..network import init_biased_network, init_network

    arguments.one_of("integrator", integrator, INTEGRATORS)
    arguments.problem(problem)
    arguments.one_of("bias", bias, (False, True))
    t_max = arguments.flow_budget(t_max=t_max, rows=rows, times=times, rtol=rtol, atol=atol,
                                  max_events=max_events, eta=eta if integrator == "gd" else None)
    if eta is not None:
        arguments.positive("eta", eta)
    if net is None:
        net = (init_biased_network(100, problem.d, seed=seed) if bias
               else init_network(100, problem.d, seed=seed))
    net = arguments.net_tuple(problem, net, bias=bias)
    t_max = float(t_max)
    if integrator == "gd":
        from .gd import gd_flow

        eta = default_eta(problem if not bias else lift_bias(problem, alpha),
                          _lifted(net) if bias else net) if eta is None else float(eta)
        gd_steps(t_max, eta)  # refused above arguments.MAX_STEPS, before the first one
        return gd_flow(problem, net, t_max=t_max, eta=eta, times=times, bias=bias,
                       alpha=alpha, rows=rows, block=block, dtype=dtype)
    if integrator == "ode":
        from .ode import ode_flow

        return ode_flow(problem, net, t_max=t_max, rtol=1e-8 if rtol is None else rtol,
                        atol=1e-10 if atol is None else atol, method=method, times=times,
                        bias=bias, alpha=alpha, rows=rows, max_events=max_events)
    if bias:
        problem, net = lift_bias(problem, alpha), _lifted(net)
    if integrator == "exact":
        from .exact import exact_flow

        return exact_flow(problem, net, t_max=t_max, times=times, rows=rows,
                          max_events=max_events, sliding=sliding,
                          rtol=1e-10 if rtol is None else rtol,
                          atol=1e-12 if atol is None else atol)
    from .linear import infinite_width_flow, linearized_flow

    if integrator == "limit":
        from .limit import limit_flow

        try:
            return limit_flow(problem, net, t_max=t_max, times=times, rows=rows, model=model,
                              seed=0 if seed is None or not isinstance(seed, int) else seed)
        except ValueError as exc:
            raise arguments.ArgumentError(str(exc)) from None
    if integrator == "linear":
        return linearized_flow(problem, net, t_max=t_max, times=times, rows=rows)
    return infinite_width_flow(problem, net, t_max=t_max, times=times, rows=rows, eta=eta)


def _lifted(net):
    W, b, a = (np.asarray(v, dtype=float) for v in net)
    return np.column_stack([W, b]), a
