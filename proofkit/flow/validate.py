"""End-to-end checks of Theorems 1 and 2 on one instance, width and seed.

Each check compares a measured quantity with the bound the proof states, at every recorded
time (for the exact integrator also just before and just after each event), and reports
``holds``, the worst ratio measured/bound (≤ 1 means the bound holds), when it happened,
and both numbers there:

* ``theorem1``: ‖e(t)‖² + ‖S(t)‖² ≤ e^{−λ*t}(‖e(0)‖² + ‖S(0)‖²) over the whole run (by
  default t ∈ [0, 10/λ*]: at finite m, S jumps at every crossing and GD chatters around
  sliding surfaces, so the late ratio X(t)e^{λ*t}/X(0) can be far above 1);
  ``theorem1_early`` is the same over t ≤ 4/λ* only;
* ``lemma2``: λmin(H(0)) ≥ 3λ*/4 (ratio (3λ*/4)/λmin(H(0)));
* ``lemma3``: ‖e(0)‖ + ‖S(0)‖ ≤ (2√(nk) + γ)/√δ;
* ``lemma4``: max_r ‖w_r(t) − w_r(0)‖ ≤ R = (4/λ*)√(kn/m)(‖e(0)‖ + ‖S(0)‖);
* ``tau0``: ‖H(t) − H(0)‖_F < λ*/4 (so that the escape time τ0 of (15) is ∞).

``width_required`` is the width the proof asks for: Lemma 2/4's m ≥ (32/λ*) N ln(N/δ), and the
m that makes Section 3.2's explicit bound (16n²k/(√(2π)δ)) R + 8n²/m < λ*/4 with Lemma 3's
bound in R.  The paper's constants use k ≥ 1; for k = 0 they are evaluated with k = 1.
"""

from __future__ import annotations

import math

import numpy as np

from .. import arguments
from ..backend import tolerance
from ..kernels import lambda_star as _lambda_star
from ..problem import lift_bias

__all__ = ["check", "validate_theorem1", "validate_theorem2", "width_required"]


def check(measured, bound, times, *, strict: bool = False, rtol: float | None = None) -> dict:
    """Worst ratio of ``measured/bound`` over the rows (JSON-able).

    ``holds`` allows a relative slack ``rtol`` (default 1e3·eps) for rounding unless
    ``strict`` (then ratio < 1 is needed).
    """
    measured = np.atleast_1d(np.asarray(measured, dtype=float))
    bound = np.broadcast_to(np.asarray(bound, dtype=float), measured.shape)
    times = np.broadcast_to(np.asarray(times, dtype=float), measured.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(bound > 0, measured / bound, np.where(measured > 0, np.inf, 0.0))
    j = int(np.argmax(ratio))
    slack = tolerance(factor=1e3) if rtol is None else rtol
    worst = float(ratio[j])
    holds = worst < 1.0 if strict else worst <= 1.0 + slack
    first = np.nonzero(ratio >= 1.0 if strict else ratio > 1.0 + slack)[0]
    return {"holds": bool(holds), "worst_ratio": worst, "time_of_worst": float(times[j]),
            "bound": float(bound[j]), "measured": float(measured[j]),
            "first_failure_time": float(times[first[0]]) if first.size else None}


def width_required(n: int, k: int, lam: float, gamma: float, delta: float) -> dict:
    """Widths the proof of Theorem 1 asks for, with its explicit constants."""
    n = arguments.integer("n", n, minimum=1)
    k = arguments.integer("k", k, minimum=0)
    lam = arguments.positive("lam", lam)
    gamma = arguments.real("gamma", gamma, low=0.0)
    delta = arguments.real("delta", delta, low=0.0, high=1.0, low_open=True, high_open=True)
    N = n * (k + 1)
    ke = max(k, 1)
    lemma2 = 32.0 / lam * N * math.log(N / delta)
    # ‖H(τ0) − H(0)‖_F ≤ c/√m + 8n²/m with c from R (Lemma 4) and Lemma 3's bound
    c = (16 * n * n * ke / (math.sqrt(2 * math.pi) * delta)) * (4 / lam) * math.sqrt(ke * n) \
        * (2 * math.sqrt(n * ke) + gamma) / math.sqrt(delta)
    # positive root of 8n²u² + cu = λ*/4, in the form that does not cancel when c² ≫ 8n²λ*
    u = (lam / 2) / (c + math.sqrt(c * c + 8 * n * n * lam))
    section32 = 1.0 / (u * u)
    return {"lemma2_lemma4": lemma2, "section3_2": section32,
            "theorem1": max(lemma2, section32)}


def _checks(traj, lam, n, k, gamma, delta, m):
    t = traj.times
    en = traj.energy
    r0 = math.sqrt(traj.e_norm2[0]) + math.sqrt(traj.S_norm2[0])
    ke = max(k, 1)
    R = 4.0 / lam * math.sqrt(ke * n / m) * r0
    return {
        "theorem1": check(en, np.exp(-lam * t) * en[0], t),
        "theorem1_early": check(en[t <= 4.0 / lam], np.exp(-lam * t[t <= 4.0 / lam]) * en[0],
                                t[t <= 4.0 / lam]),
        "lemma2": check(0.75 * lam, traj.lambda_min_H[0], 0.0),
        "lemma3": check(r0, (2 * math.sqrt(n * k) + gamma) / math.sqrt(delta), 0.0),
        "lemma4": check(traj.max_weight_move, R, t) | {"R": R},
        "tau0": check(traj.kernel_drift_F, lam / 4, t, strict=True),
    }


def validate_theorem1(problem, m: int, seed, *, integrator: str = "gd", t_max=None,
                      delta: float = 0.1, eta=None, rows: int = 200, max_events: int = 10_000,
                      rtol=None, atol=None, sliding: str = "filippov",
                      model: str = "kinetic") -> dict:
    """Run the flow (5) at width ``m`` from ``init_network(m, d, seed=seed)`` and check
    Theorem 1 and Lemmas 2–4 along it.  ``t_max`` defaults to 10/λ* (the bound falls by e¹⁰).

    The default integrator is GD.  The exact one follows Filippov's sliding mode
    (``sliding="filippov"``) or stops at the first sliding event (``"stop"``); a run that
    stops covers [0, stop time] and says so in ``trajectory.status``.  ``events`` lists
    every event and ``series`` the recorded energies (paper's S and θ-weighted S).
    """
    from ..network import init_network
    from .run import run_flow

    _check_run(problem, m, seed, integrator, t_max, delta, eta, rows, rtol, atol, max_events)
    lam = _lambda_star(problem)
    t_max = _default_t_max(lam, t_max)
    net = init_network(int(m), problem.d, seed=seed)
    extra = {"model": model, "seed": seed} if integrator == "limit" else {}
    traj = run_flow(problem, net, integrator=integrator, t_max=t_max, eta=eta, rows=rows, **extra,
                    max_events=max_events, rtol=rtol, atol=atol, sliding=sliding)
    rep = _report(traj, lam, problem.n, problem.k, problem.gamma, delta, int(m), seed, t_max)
    rep["events"] = [ev.to_dict() for ev in traj.events]
    rep["series"] = {"times": traj.times.tolist(), "energy": traj.energy.tolist(),
                     "energy_theta": (traj.e_norm2 + (traj.S_theta_norm2 if np.size(
                         traj.S_theta_norm2) == np.size(traj.e_norm2) else traj.S_norm2)).tolist()}
    return rep


def _check_run(problem, m, seed, integrator, t_max, delta, eta, rows, rtol, atol,
               max_events=None, alpha=None):
    """All arguments of validate_theorem1/2, checked before λ* or any flow is computed."""
    from .run import INTEGRATORS

    arguments.problem(problem)
    arguments.integer("m", m, minimum=1, what="the width")
    arguments.seed(seed)
    arguments.one_of("integrator", integrator, INTEGRATORS)
    arguments.real("delta", delta, low=0.0, high=1.0, low_open=True, high_open=True)
    arguments.flow_budget(t_max=1.0 if t_max is None else t_max, rows=rows, rtol=rtol,
                          atol=atol, max_events=max_events,
                          eta=eta if integrator == "gd" and t_max is not None else None)
    if eta is not None:
        arguments.positive("eta", eta)


def _default_t_max(lam: float, t_max) -> float:
    """``t_max`` as given, or 10/λ* (needs λ* > 0: a singular H∞ has no such time scale)."""
    if t_max is not None:
        return float(t_max)
    if not lam > 0:
        raise arguments.ArgumentError(f"t_max = None defaults to 10/λ*, but λ* = {lam:.3g} is not "
                                      "> 0 on this problem; pass t_max explicitly")
    return 10.0 / lam


def _report(traj, lam, n, k, gamma, delta, m, seed, t_max):
    checks = _checks(traj, lam, n, k, gamma, delta, m)
    return {
        "m": m, "seed": seed, "delta": delta, "t_max": t_max, "lambda_star": lam,
        "gamma": gamma, "width_required": width_required(n, k, lam, gamma, delta),
        "checks": checks, "all_hold": all(c["holds"] for c in checks.values()),
        "trajectory": traj.summary(),
    }


def validate_theorem2(problem, m: int, seed, *, integrator: str = "gd", t_max=None,
                      delta: float = 0.1, alpha=None, eta=None, rows: int = 200,
                      rtol=None, atol=None) -> dict:
    """Theorem 2: the biased network (10) run directly with (12), checked like Theorem 1
    with λ* of the lifted data and γ = ‖y‖ + ‖h/α‖, and compared with the unbiased network
    on ``lift_bias(problem)`` started from ``[W, b]`` (same draws, Section 2.1).

    ``agreement`` reports the largest differences of ‖e‖² + ‖S‖² (relative), of the
    residual vectors and of the final weights between the two routes; ``agree`` is true
    when they are within the integrator's tolerance (1e-9 for GD, 100·rtol for ODE).
    """
    from ..network import init_biased_network
    from .run import run_flow

    if integrator not in ("gd", "ode"):
        raise arguments.ArgumentError(
            f"integrator = {integrator!r}; Theorem 2's direct run needs 'gd' or 'ode' (the "
            "others go through the lifting anyway)")
    _check_run(problem, m, seed, integrator, t_max, delta, eta, rows, rtol, atol)
    lifted = lift_bias(problem, alpha)
    lam = _lambda_star(lifted)
    t_max = _default_t_max(lam, t_max)
    net = init_biased_network(int(m), problem.d, seed=seed)
    W, b, a = net
    kw = {"integrator": integrator, "t_max": t_max, "eta": eta, "rows": rows, "rtol": rtol,
          "atol": atol}
    if integrator == "gd" and eta is None:
        from .run import default_eta

        kw["eta"] = default_eta(lifted, (np.column_stack([W, b]), a))
    direct = run_flow(problem, net, bias=True, alpha=alpha, **kw)
    via = run_flow(lifted, (np.column_stack([W, b]), a), **kw)
    rows_ = min(direct.times.size, via.times.size)
    dres = float(np.max(np.abs(direct.residual[:rows_] - via.residual[:rows_])))
    den = float(np.max(np.abs(direct.energy[:rows_] - via.energy[:rows_])
                       / np.maximum(via.energy[:rows_], 1e-300)))
    dW = float(np.max(np.abs(direct.W[-1] - via.W[-1])))
    tol = 1e-9 if integrator == "gd" else 100 * (1e-8 if rtol is None else rtol)
    rep = _report(direct, lam, problem.n, problem.k, float(np.linalg.norm(problem.y)
                  + np.linalg.norm(lifted.h)), delta, int(m), seed, t_max)
    rep["agreement"] = {"max_abs_residual_diff": dres, "max_rel_energy_diff": den,
                        "max_abs_final_weight_diff": dW, "tolerance": tol,
                        "agree": bool(max(dres, dW) <= tol * max(1.0, float(
                            np.max(np.abs(via.residual)))))}
    rep["lifted_trajectory"] = via.summary()
    return rep
