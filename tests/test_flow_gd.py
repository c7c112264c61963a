"""GD: hot loop equals network.py, first-order convergence to the exact flow."""

import numpy as np

from proofkit.backend import tolerance
from proofkit.flow import run_flow
from proofkit.flow.sweep import loglog_slope
from proofkit.network import (
    biased_loss,
    biased_loss_and_gradient,
    biased_loss_gradient,
    biased_residuals,
    init_biased_network,
    init_network,
    residuals,
)
from proofkit.problem import random_problem


def test_biased_hot_loop_equals_the_separate_functions():
    p = random_problem(5, 6, 3, seed=2)
    W, b, a = init_biased_network(300, 6, seed=3)
    L1, e1, S1, gW1, gb1 = biased_loss_and_gradient(p, W, b, a)
    e2, S2 = biased_residuals(p, W, b, a)
    gW2, gb2 = biased_loss_gradient(p, W, b, a)
    tol = tolerance(factor=1e3)
    assert abs(L1 - biased_loss(p, W, b, a)) <= tol * max(1.0, abs(L1))
    assert np.max(np.abs(gW1 - gW2)) <= tol and np.max(np.abs(gb1 - gb2)) <= tol
    assert np.max(np.abs(e1 - e2)) <= tol and np.max(np.abs(S1 - S2)) <= tol


def test_rows_are_the_network_residuals():
    p = random_problem(4, 5, 2, seed=0)
    net = init_network(200, 5, seed=0)
    tr = run_flow(p, net, integrator="gd", t_max=1.0, eta=0.1, times=[0.0, 0.5, 1.0])
    for t, W in zip(tr.W_times, tr.W, strict=True):
        j = int(np.nonzero(tr.times == t)[0][0])
        e, S = residuals(p, W, net.a)
        assert abs(tr.e_norm2[j] - e @ e) < 1e-12 and abs(tr.S_norm2[j] - np.sum(S * S)) < 1e-12


def test_gd_converges_to_exact_flow_at_first_order():
    p = random_problem(4, 5, 2, seed=0)
    net = init_network(100, 5, seed=1)
    T = 0.3  # several crossings, before the first sliding event of this instance
    ex = run_flow(p, net, integrator="exact", t_max=T, times=[T])
    assert ex.status == "completed" and len(ex.events) >= 5
    etas = [0.01, 0.005, 0.0025, 0.00125]
    errs = [np.max(np.abs(run_flow(p, net, integrator="gd", t_max=T, eta=h, times=[T]).W[-1]
                          - ex.W[-1])) for h in etas]
    slope = loglog_slope(etas, errs)
    assert 0.8 <= slope <= 1.2, (errs, slope)


def test_a_diverging_run_keeps_each_weight_time_once():
    import numpy as np

    from proofkit.flow import run_flow
    from proofkit.network import init_network
    from proofkit.problem import random_problem

    p = random_problem(4, 5, 2, seed=0)
    tr = run_flow(p, init_network(50, 5, seed=1), integrator="gd", t_max=200.0, eta=20.0,
                  times=list(np.arange(0, 201, 20.0)))
    assert tr.status == "diverged"
    assert list(tr.W_times) == sorted(set(tr.W_times)) and len(tr.W) == len(tr.W_times)
