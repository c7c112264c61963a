"""Filippov continuation of the exact flow: several surfaces, non-uniqueness, references.

References that do not share the sliding machinery: GD (no event logic at all) as η → 0,
DOP853 on the regularised flow (bits replaced by ½(1 + tanh(z/ε))) as ε → 0, and each
block of a decoupled instance run on its own.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from proofkit.flow import run_flow
from proofkit.flow.filippov import Sliding, lcp_solutions, uniqueness
from proofkit.flow.wellposed import energy_rates, regularised_field
from proofkit.problem import SobolevProblem


def _block(phi, y, w):
    x = np.array([[1.0, 0, 0], [np.cos(phi), np.sin(phi), 0]])
    V = np.array([[[0.0], [0], [1]], [[0.0], [0], [1]]])
    return x, np.asarray(y, float), V, np.asarray(w, float)


def _one():
    x, y, V, w = _block(0.6, [3.0, -3.0], [0.5, -0.2, 0.1])
    return SobolevProblem(x, y, V, np.zeros((2, 1))), (w[None, :], np.array([1.0]))


def _two():
    """Two copies of the one-surface instance in orthogonal 3-d subspaces (d = 6): two
    neurons slide at once, each on its own surface, and each block evolves on its own."""
    b1, b2 = _block(0.6, [3.0, -3.0], [0.5, -0.2, 0.1]), _block(0.7, [2.5, -3.5],
                                                                 [0.4, -0.25, 0.15])
    Z3 = np.zeros((2, 3))
    x = np.block([[b1[0], Z3], [Z3, b2[0]]])
    V = np.zeros((4, 6, 1))
    V[:2, :3], V[2:, 3:] = b1[2], b2[2]
    W = np.zeros((2, 6))
    W[0, :3], W[1, 3:] = b1[3], b2[3]
    p = SobolevProblem(x, np.concatenate([b1[1], b2[1]]), V, np.zeros((4, 1)))
    singles = [(SobolevProblem(b[0], b[1], b[2], np.zeros((2, 1))), (b[3][None, :],
                                                                     np.array([1.0])))
               for b in (b1, b2)]
    return p, (W, np.array([1.0, 1.0])), singles


def _repelling():
    """w on x_2's surface with v_off < 0 < v_on: the flow may leave to either side."""
    x = np.array([[0.5, np.sqrt(0.75), 0.0], [0.0, 1.0, 0.0]])
    V = np.array([[[0.0], [0], [1]], [[0.0], [0], [1]]])
    p = SobolevProblem(x, np.array([-3.0, 4.0]), V, np.zeros((2, 1)))
    return p, (np.array([[0.6, 0.0, 0.1]]), np.array([1.0]))


def test_two_simultaneous_sliding_surfaces_match_each_block_alone():
    p, net, singles = _two()
    T = 2.0
    tr = run_flow(p, net, integrator="exact", t_max=T, times=[1.0, T])
    assert tr.status == "completed", tr.info
    assert tr.info["max_active_sliding"] == 2 and tr.info["active_sliding_final"] == 2
    assert [ev.kind for ev in tr.events].count("sliding") == 2
    x = p.host()[0]
    assert abs(tr.W[-1][0] @ x[1]) < 1e-12 and abs(tr.W[-1][1] @ x[3]) < 1e-12
    for b, (q, nb) in enumerate(singles):
        alone = run_flow(q, nb, integrator="exact", t_max=T, times=[1.0, T])
        assert alone.info["max_active_sliding"] == 1
        for Wt, Wa in zip(tr.W[1:], alone.W[1:], strict=True):
            assert np.max(np.abs(Wt[b, 3 * b:3 * b + 3] - Wa[0])) < 1e-8


def test_gd_converges_to_filippov_on_two_surfaces_at_first_order():
    # GD's error while chattering is O(η) with a constant that depends on the phase of the
    # chatter, so single ratios are noisy: fit the log-log slope over four steps
    p, net, _ = _two()
    T = 1.5
    tr = run_flow(p, net, integrator="exact", t_max=T, times=[T])
    etas = np.array([4e-3, 1e-3, 2.5e-4, 6.25e-5])
    dist = np.array([np.max(np.abs(run_flow(p, net, integrator="gd", t_max=T, eta=h,
                                            times=[T]).W[-1] - tr.W[-1])) for h in etas])
    slope = np.polyfit(np.log(etas), np.log(dist), 1)[0]
    assert slope > 0.7 and dist[-1] < 1e-4, (dist, slope)


def test_regularised_flow_tends_to_filippov_as_eps_shrinks():
    # DOP853 on the smooth field (no events, no θ solve) against the exact Filippov run
    p, (W0, a) = _one()
    T = 1.0
    tr = run_flow(p, (W0, a), integrator="exact", t_max=T, times=[T])
    assert tr.info["sliding_episodes"] == 1
    errs = []
    for eps in (1e-2, 3e-3):
        sol = solve_ivp(lambda _t, y, eps=eps: regularised_field(p, y.reshape(W0.shape), a,
                                                                  eps).ravel(),
                        (0.0, T), W0.ravel(), method="DOP853", rtol=1e-10, atol=1e-12)
        errs.append(np.max(np.abs(sol.y[:, -1] - tr.W[-1].ravel())))
    assert errs[1] < errs[0] / 2.5 and errs[1] < 1e-3, errs


@pytest.mark.slow
def test_regularised_flow_two_surfaces_small_eps():
    p, (W0, a), _ = _two()
    T = 1.0
    tr = run_flow(p, (W0, a), integrator="exact", t_max=T, times=[T])
    errs = []
    for eps in (1e-2, 1e-3, 1e-4):
        sol = solve_ivp(lambda _t, y, eps=eps: regularised_field(p, y.reshape(W0.shape), a,
                                                                  eps).ravel(),
                        (0.0, T), W0.ravel(), method="DOP853", rtol=1e-10, atol=1e-12)
        errs.append(np.max(np.abs(sol.y[:, -1] - tr.W[-1].ravel())))
    assert errs[2] < errs[1] < errs[0] and errs[2] < 1e-4, errs


def test_repelling_start_is_nonunique_and_stops():
    p, net = _repelling()
    x = p.host()[0]
    assert net[0][0] @ x[1] == 0.0
    sl = Sliding(p, net[0], net[1], net[0] @ x.T > 0, [(0, 1)])
    v_off, v_on = sl.one_sided(np.array([0.5]), 0)
    assert v_off < 0 < v_on
    assert len(lcp_solutions(sl, np.array([0.5]))) == 3  # θ = 0, θ = 1, and the interior root
    assert uniqueness(sl, np.array([0.5])) == "nonunique"
    tr = run_flow(p, net, integrator="exact", t_max=1.0)
    assert tr.status == "nonunique" and "repelling" in tr.info["message"]
    # GD from the surface picks a side by σ'(0) = 0: no contradiction, just one of them
    assert run_flow(p, net, integrator="gd", t_max=0.1, eta=1e-3).status == "completed"


def test_attracting_surface_has_a_unique_weight():
    p, net = _one()
    tr = run_flow(p, net, integrator="exact", t_max=0.5, times=[0.5])
    ev = next(e for e in tr.events if e.kind == "sliding")
    x = p.host()[0]
    W = tr.W[-1]
    sl = Sliding(p, W, net[1], W @ x.T > 0, [(ev.neuron, ev.point)])
    assert uniqueness(sl, np.array([ev.theta])) == "certified"
    assert len(lcp_solutions(sl, np.array([ev.theta]))) == 1


def test_energy_identity_fails_on_sliding_and_the_derived_rate_holds():
    p, net = _one()
    states = []
    from proofkit.flow.exact import exact_flow

    exact_flow(p, net, t_max=1.0, times=[0.5, 1.0],
               probe=lambda t, W, P, A, th: states.append((W, P, A, th)) if A else None)
    assert states
    for W, P, A, th in states:
        r = energy_rates(p, W, net[1], P, A, th)
        assert abs(r["rate_theta"] - r["rate_theta_derived"]) <= 1e-6 * abs(r["quad_theta"])
        assert abs(r["rate_theta"] - r["quad_theta"]) > 1e-4 * abs(r["quad_theta"])


def test_cli_exports_every_event_and_draws_the_energy_figure(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    out = tmp_path / "flow"
    res = subprocess.run([sys.executable, "-m", "proofkit", "flow", "--integrator", "exact",
                          "--m", "30", "--t-max", "1.5", "--json", "--out", str(out)],
                         capture_output=True, text=True, env=env, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    evs = rep["events"]
    assert len(evs) == rep["trajectory"]["n_events"] > 0
    assert {"time", "neuron", "point", "kind", "dS_i", "d_energy", "theta"} <= set(evs[0])
    assert all(len(ev["dS_i"]) == 2 for ev in evs)
    assert rep["trajectory"]["sliding_mode"] == "filippov"
    assert sorted(os.listdir(out)) == [".proofkit-report.json", "flow.json", "flow_energy.pdf",
                                       "flow_energy.png"]
    stop = subprocess.run([sys.executable, "-m", "proofkit", "flow", "--integrator", "exact",
                           "--m", "30", "--t-max", "1.5", "--sliding", "stop", "--json"],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    rs = json.loads(stop.stdout)
    assert rs["trajectory"]["status"] in ("sliding", "completed")
    if rs["trajectory"]["status"] == "sliding":
        assert rs["events"][-1]["kind"] == "sliding"


@pytest.mark.slow
def test_default_instance_reaches_the_horizon_at_m_1000():
    from proofkit.kernels import lambda_star
    from proofkit.network import init_network
    from proofkit.problem import random_problem

    p = random_problem(4, 5, 2, seed=0)
    T = 4 / lambda_star(p)
    tr = run_flow(p, init_network(1000, 5, seed=0), integrator="exact", t_max=T)
    assert tr.status == "completed" and tr.times[-1] == T
    assert tr.info["sliding_episodes"] > 0
