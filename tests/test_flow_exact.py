"""Exact event-driven flow: closed form, agreement with DOP853, events, sliding, caps."""

import numpy as np
import pytest

from proofkit.backend import tolerance
from proofkit.flow import run_flow
from proofkit.network import init_network, loss_gradient, residuals
from proofkit.problem import SobolevProblem, random_problem


@pytest.fixture(scope="module")
def inst():
    return random_problem(4, 5, 2, seed=0), init_network(100, 5, seed=1)


def test_closed_form_matches_network_residuals(inst):
    # between events the residual comes from e^{-Ht} r0 and W from the φ1 formula;
    # network.residuals on the recorded W is an independent route
    p, net = inst
    te = run_flow(p, net, integrator="exact", t_max=0.3, times=np.linspace(0, 0.3, 7))
    assert te.status == "completed" and len(te.events) > 0
    for t, W in zip(te.W_times, te.W, strict=True):
        j = int(np.nonzero(te.times == t)[0][0])
        e, S = residuals(p, W, net.a)
        r = np.concatenate([e, S.ravel()])
        assert np.max(np.abs(r - te.residual[j])) < tolerance(factor=1e5)


def test_exact_vs_dop853_weights_and_event_times(inst):
    p, net = inst
    te = run_flow(p, net, integrator="exact", t_max=0.3)
    t1 = te.events[0].time
    probe = [0.25 * t1, 0.5 * t1, 0.95 * t1]
    ex = run_flow(p, net, integrator="exact", t_max=t1, times=probe)
    od = run_flow(p, net, integrator="ode", t_max=t1, times=probe, rtol=1e-12, atol=1e-14)
    for We, Wo in zip(ex.W[1:-1], od.W[1:-1], strict=True):
        assert np.max(np.abs(We - Wo)) <= 1e-8
    od2 = run_flow(p, net, integrator="ode", t_max=0.3, rtol=1e-12, atol=1e-14)
    assert len(od2.events) == len(te.events)
    for a, b in zip(te.events, od2.events, strict=True):
        assert (a.neuron, a.point, a.direction) == (b.neuron, b.point, b.direction)
        assert abs(a.time - b.time) <= 1e-8
        assert np.allclose(a.dS_i, b.dS_i, atol=1e-7)


def test_event_jump_is_the_residual_jump(inst):
    # the recorded pre/post rows at an event differ by exactly the event's dS_i and d_energy
    p, net = inst
    te = run_flow(p, net, integrator="exact", t_max=0.3)
    ev = te.events[0]
    rows = np.nonzero(te.times == ev.time)[0]
    assert rows.size == 2
    pre, post = te.residual[rows[0]], te.residual[rows[1]]
    k = p.k
    s = p.n + ev.point * k
    assert np.allclose(post[s:s + k] - pre[s:s + k], ev.dS_i, atol=1e-12)
    assert np.allclose(np.delete(post, range(s, s + k)), np.delete(pre, range(s, s + k)),
                       atol=1e-12)
    assert abs(np.sum(post ** 2) - np.sum(pre ** 2) - ev.d_energy) < 1e-10


def _sliding_instance():
    phi = 0.6
    x = np.array([[1.0, 0, 0], [np.cos(phi), np.sin(phi), 0]])
    V = np.array([[[0.0], [0], [1]], [[0.0], [0], [1]]])
    p = SobolevProblem(x, np.array([3.0, -3.0]), V, np.zeros((2, 1)))
    return p, (np.array([[0.5, -0.2, 0.1]]), np.array([1.0]))


def test_constructed_sliding_is_reported_and_checked_independently():
    # one neuron on both points: y_2 < 0 drives w·x_2 down to 0; once off for x_2, the
    # error on x_1 (y_1 > 0) drives w·x_2 back up: both sides point into the surface
    p, net = _sliding_instance()
    tr = run_flow(p, net, integrator="exact", t_max=5.0, sliding="stop")
    assert tr.status == "sliding"
    ev = tr.events[-1]
    assert (ev.kind, ev.neuron, ev.point, ev.direction) == ("sliding", 0, 1, -1)
    assert 0 < ev.time < 5.0 and 0 < ev.theta < 1
    assert "neuron 0, point 1" in tr.info["message"]
    W = tr.W[-1]
    x = p.host()[0]
    assert abs(W[0] @ x[1]) < 1e-12
    for side in (+1, -1):  # independent: the gradient field on each side of the surface
        Wn = W.copy()
        Wn[0] += side * 1e-7 * x[1]
        v = -loss_gradient(p, Wn, net[1])[0] @ x[1]
        assert side * v < 0
    od = run_flow(p, net, integrator="ode", t_max=5.0, rtol=1e-10, atol=1e-12)
    assert od.status in ("stalled", "chattering")
    assert "neuron 0, point 1" in od.info["message"]
    assert abs(od.times[-1] - ev.time) < 1e-3


def test_event_cap_stops_and_says_so(inst):
    p, net = inst
    tr = run_flow(p, net, integrator="exact", t_max=0.3, max_events=2)
    assert tr.status == "max_events" and len(tr.events) == 2
    assert "max_events=2" in tr.info["message"]


def test_linearized_flow_is_exact_for_frozen_pattern(inst):
    # up to the first event the exact flow *is* the linearized flow
    p, net = inst
    te = run_flow(p, net, integrator="exact", t_max=0.3)
    t1 = te.events[0].time
    times = [0.3 * t1, 0.9 * t1]
    a = run_flow(p, net, integrator="exact", t_max=t1, times=times)
    b = run_flow(p, net, integrator="linear", t_max=t1, times=times)
    assert np.max(np.abs(a.residual - b.residual)) < tolerance(factor=1e4)
    assert all(np.max(np.abs(u - v)) < tolerance(factor=1e4) for u, v in zip(a.W, b.W,
                                                                           strict=True))


def test_filippov_continuation_is_the_limit_of_gd():
    # GD chatters across the surface; as η → 0 it converges to Filippov's sliding solution
    p, net = _sliding_instance()
    tr = run_flow(p, net, integrator="exact", t_max=2.0, sliding="filippov", times=[1.0, 2.0])
    assert tr.status == "completed" and tr.info["sliding_episodes"] == 1
    x = p.host()[0]
    assert all(abs(W[0] @ x[1]) < 1e-12 for W in tr.W[1:])  # stays on the surface
    etas = [1e-2, 1e-3]
    errs = [np.max(np.abs(run_flow(p, net, integrator="gd", t_max=2.0, eta=h,
                                   times=[1.0, 2.0]).W[2] - tr.W[2])) for h in etas]
    assert errs[1] < errs[0] / 5 and errs[1] < 2e-3, errs


def test_several_sliding_surfaces_are_followed(inst):
    # the random instance slides on several surfaces at once and runs to the end; every
    # sliding pair stays on its surface at the recorded times
    p, net = inst
    x = p.host()[0]
    seen = []

    def probe(t, W, P, A, th):
        if A:
            seen.append(max(abs(W[r] @ x[i]) for r, i in A))
            assert np.all((th > 0) & (th < 1))

    from proofkit.flow.exact import exact_flow

    tr = exact_flow(p, net, t_max=2.0, times=np.linspace(0, 2.0, 21), probe=probe)
    assert tr.status == "completed", tr.info
    assert tr.info["max_active_sliding"] >= 2 and sum(ev.kind == "sliding" for ev in
                                                      tr.events) >= 2
    assert seen and max(seen) < 1e-12
