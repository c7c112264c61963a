"""One entry point for every integrator: :func:`run_flow`."""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..problem import lift_bias

__all__ = ["INTEGRATORS", "default_eta", "run_flow"]

INTEGRATORS = ("gd", "ode", "exact", "linear", "infinite")


def default_eta(problem, net) -> float:
    """A stable GD step: ``min(0.1, 0.5/λmax(H(0)))`` (Euler is stable for η < 2/λmax)."""
    from ..kernels import empirical_kernel

    H0 = np.asarray(empirical_kernel(problem, np.asarray(net[0], float),
                                     np.asarray(net[-1], float)))
    return float(min(0.1, 0.5 / max(np.linalg.eigvalsh(H0)[-1], 1e-12)))


def run_flow(problem, net, *, integrator: str = "gd", t_max: float, eta=None, rtol=None,
             atol=None, times=None, seed=None, bias: bool = False, alpha=None,
             max_events: int = 10_000, rows: int = 200, method: str = "DOP853",
             sliding: str = "stop", block=None, dtype=None):
    """Run the gradient flow (5) — or (12) with ``bias=True`` — and record a trajectory.

    Parameters
    ----------
    problem : SobolevProblem
        Training data (2).
    net : Network or BiasedNetwork or None
        Initial weights (9); ``None`` draws ``init_network`` (``init_biased_network`` with
        ``bias``) of width 100 from ``seed``.
    integrator : {"gd", "ode", "exact", "linear", "infinite"}
        Explicit Euler with step ``eta``; adaptive ``solve_ivp``-family solver (``method``,
        ``rtol``, ``atol``); the exact event-driven flow; the flow with H(0) frozen; the
        infinite-width flow with H∞.
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
        What the exact integrator does at a sliding event: stop there, or follow Filippov's
        sliding mode (one surface at a time; rtol/atol default 1e-10/1e-12).
    block : int, optional
        ``gd`` only: rows of W per block of the fused step (default sized to the cache).
    dtype : {None, "float64", "float32"}
        ``gd`` only: float32 runs the step's products in single precision (exploration
        runs); residuals, kernels and the recorded rows stay float64.

    Returns
    -------
    Trajectory
    """
    from ..network import init_biased_network, init_network

    if integrator not in INTEGRATORS:
        raise InputError(f"integrator = {integrator!r}; it must be one of {', '.join(INTEGRATORS)}")
    if not (isinstance(t_max, (int, float)) and math.isfinite(t_max) and t_max > 0):
        raise InputError(f"t_max = {t_max!r}; it must be a finite number > 0")
    if eta is not None and not (math.isfinite(eta) and eta > 0):
        raise InputError(f"eta = {eta!r}; the GD step must be a finite number > 0")
    if not (isinstance(max_events, (int, np.integer)) and max_events >= 1):
        raise InputError(f"max_events = {max_events!r}; it must be an integer >= 1")
    if net is None:
        net = (init_biased_network(100, problem.d, seed=seed) if bias
               else init_network(100, problem.d, seed=seed))
    want = 3 if bias else 2
    if len(net) != want:
        raise InputError(f"net has {len(net)} arrays; bias={bias} needs {want} "
                         f"({'W, b, a' if bias else 'W, a'})")
    if np.shape(net[0])[1] != problem.d:
        raise InputError(f"net W has shape {np.shape(net[0])}; it must be (m, d) with d = "
                         f"{problem.d}")
    t_max = float(t_max)
    if integrator == "gd":
        from .gd import gd_flow

        eta = default_eta(problem if not bias else lift_bias(problem, alpha),
                          _lifted(net) if bias else net) if eta is None else float(eta)
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

    if integrator == "linear":
        return linearized_flow(problem, net, t_max=t_max, times=times, rows=rows)
    return infinite_width_flow(problem, net, t_max=t_max, times=times, rows=rows, eta=eta)


def _lifted(net):
    W, b, a = (np.asarray(v, dtype=float) for v in net)
    return np.column_stack([W, b]), a
