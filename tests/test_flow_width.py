"""Infinite-width limit: measured rates of approach of GD to the H∞ recursion."""

import numpy as np
import pytest

from proofkit.flow import run_flow
from proofkit.flow.sweep import loglog_slope
from proofkit.network import init_network
from proofkit.problem import random_problem

WIDTHS = [250, 1000, 4000, 16000]


def _gap(p, m, seeds=(0, 1, 2), eta=0.01, T=1.0):
    # GD on the network vs (I − ηH∞)^j r(0) from the same r(0): with a frozen pattern GD
    # maps r to (I − ηH(W))r exactly, so the gap measures H(W(t)) − H∞ and pattern changes
    out = []
    for s in seeds:
        net = init_network(m, p.d, seed=s)
        g = run_flow(p, net, integrator="gd", t_max=T, eta=eta, rows=10)
        inf = run_flow(p, net, integrator="infinite", t_max=T, eta=eta, rows=10)
        out.append(np.max(np.linalg.norm(g.residual - inf.residual, axis=1))
                   / np.linalg.norm(g.residual[0]))
    return float(np.mean(out))


def test_standard_training_approaches_infinite_width_at_rate_half():
    p = random_problem(4, 5, 0, seed=0)
    slope = loglog_slope(WIDTHS, [_gap(p, m) for m in WIDTHS])
    assert -0.75 <= slope <= -0.3, slope


def test_sobolev_residual_gap_does_not_close_like_m_to_minus_half():
    # Finding (docs/flow.md): with k ≥ 1, S_i jumps by −dir·a_r V_iᵀw_r at each activation
    # change; ~√m changes per unit time of size 1/√m with non-zero mean add an O(1) drift
    # that (14) (σ'' = 0) leaves out, so the gap to the H∞ flow levels off.
    p = random_problem(4, 5, 2, seed=0)
    gaps = [_gap(p, m) for m in WIDTHS]
    slope = loglog_slope(WIDTHS, gaps)
    assert slope > -0.25, (gaps, slope)


@pytest.mark.slow
def test_sobolev_gap_levels_off_up_to_half_a_million_neurons():
    # the deep version of the two tests above (about 30 s): with k = 0 the gap to the H∞
    # recursion keeps shrinking, with k = 2 it stays at ~0.1 while H(0) → H∞ (measured here
    # too: the gap to the linearised H(0) flow is the same size, so it comes from the jumps)
    p0, p2 = random_problem(4, 5, 0, seed=0), random_problem(4, 5, 2, seed=0)
    big = 512_000
    assert _gap(p0, big, seeds=(0,)) < 0.1 * _gap(p0, 1000, seeds=(0,))
    g2 = _gap(p2, big, seeds=(0,))
    assert g2 > 0.05, g2
    net = init_network(big, p2.d, seed=0)
    gd = run_flow(p2, net, integrator="gd", t_max=1.0, eta=0.01, rows=10)
    lin = run_flow(p2, net, integrator="linear", t_max=1.0, eta=0.01, rows=10)
    r0 = np.linalg.norm(gd.residual[0])
    assert np.max(np.linalg.norm(gd.residual - lin.residual, axis=1)) / r0 > 0.05


# --- the corrected limit: G = H∞ + D (issue 10) ---------------------------------------------
# Predicted rate: ~√m·t crossings per unit time, each O(1/√m), whose sum fluctuates like
# (c t)^{1/2} m^{−1/4} against a drift of size c t (c = ‖r(0)‖), plus H(0) − H∞ = O(m^{−1/2}):
# the gap to the limit flow falls like m^{−1/4}, the gap to the H∞ flow levels off at the
# drift's effect.  The linear limit model e^{−Gt} is exact at t = 0+ only (the full limit has
# memory: mass sliding with a time-varying θ, layers of neurons that cross back), so the
# comparison runs at a short time T = 0.25 where those effects are second order; at T = 2 the
# linear model's gap levels off at ~5 % (docs/flow.md).
def _limit_gaps(m, seeds, *, c=10.0, eta=0.0025, T=0.25):
    from proofkit.flow.limit_report import limit_gaps
    from proofkit.problem import SobolevProblem

    x, y, V, h = random_problem(4, 5, 2, seed=0).host()
    p = SobolevProblem(x, c * y, V, c * h)  # r(0) ≈ c(y, h): more crossings, same limit
    return limit_gaps(p, m, seeds, eta=eta, T=T)


def test_gd_approaches_the_corrected_limit_not_the_h_infinity_flow():
    widths = [1000, 4000, 16000]
    gaps = [_limit_gaps(m, (0, 1, 2, 3)) for m in widths]
    to_g, to_h = zip(*gaps, strict=True)
    slope_g, slope_h = loglog_slope(widths, to_g), loglog_slope(widths, to_h)
    assert slope_g <= -0.1 and slope_h > -0.1, (gaps, slope_g, slope_h)
    assert to_g[-1] < 0.5 * to_h[-1], gaps


@pytest.mark.slow
def test_corrected_limit_gap_shrinks_up_to_400000_neurons():
    # the deep version (a few minutes): measured slope ≤ −0.2 towards the limit, > −0.1
    # towards H∞, over m = 10³ … 4·10⁵
    widths = [1000, 4000, 16000, 64000, 256000, 400000]
    gaps = [_limit_gaps(m, (0, 1, 2)) for m in widths]
    to_g, to_h = zip(*gaps, strict=True)
    slope_g, slope_h = loglog_slope(widths, to_g), loglog_slope(widths, to_h)
    assert slope_g <= -0.2, (gaps, slope_g)
    assert slope_h > -0.1, (gaps, slope_h)
