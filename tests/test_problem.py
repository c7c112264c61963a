"""Derived constants (7), (8), (13), the constructors (3) and the bias lifting of Section 2.1,
each checked against an independent route: brute-force loops over pairs written from the
paper's definitions, mpmath at 40 digits on the exact float data, finite differences of the
target function for eq. (3), and the geometry of the lifted points.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest

import proofkit as pk
from proofkit.backend import tolerance

EPS_TOL = tolerance(np.float64, 64.0)  # a few dozen ulps: round-off of short sums


def _unit(v):
    return v / np.linalg.norm(v)


# ---------------------------------------------------------------------------------------
# derived constants against brute force from the paper's definitions
# ---------------------------------------------------------------------------------------
PROBLEMS = [
    dict(n=6, d=5, k=2, separation=0.3, seed=0),
    dict(n=4, d=3, k=0, separation=0.1, seed=1),
    dict(n=5, d=8, k=3, separation=0.5, vx_norm=0.2, seed=2),
    dict(n=7, d=4, k=1, separation=0.2, assumption=2, seed=3),
]


@pytest.mark.parametrize("spec", PROBLEMS)
def test_sizes_and_derived_constants_match_brute_force(spec):
    p = pk.random_problem(**spec)
    x, y, V, h = p.host()
    n, d, k = spec["n"], spec["d"], spec["k"]
    assert (p.n, p.d, p.k, p.N) == (n, d, k, n * (k + 1))
    pairs = list(itertools.combinations(range(n), 2))
    d1 = min(min(np.linalg.norm(x[i] - x[j]), np.linalg.norm(x[i] + x[j])) for i, j in pairs)
    d1h = min(np.linalg.norm(x[i] - x[j]) for i, j in pairs)
    assert p.delta1 == pytest.approx(d1, rel=EPS_TOL, abs=0)
    assert p.delta1_hat == pytest.approx(d1h, rel=EPS_TOL, abs=0)
    vx = np.array([[V[i][:, l] @ x[i] for l in range(k)] for i in range(n)]).reshape(n, k)
    assert np.allclose(p.vx, vx, rtol=0, atol=EPS_TOL)
    assert np.allclose(p.vx_norms, [np.linalg.norm(row) for row in vx], rtol=0, atol=EPS_TOL)
    delta2 = max((abs(v) for v in vx.ravel()), default=0.0)
    assert p.delta2 == pytest.approx(delta2, abs=EPS_TOL)
    gamma = math.sqrt(sum(v * v for v in y)) + math.sqrt(sum(v * v for v in h.ravel()))
    assert p.gamma == pytest.approx(gamma, rel=EPS_TOL)
    summary = p.summary()
    assert summary["delta1"] == p.delta1 and summary["gamma"] == p.gamma
    assert p.satisfies_assumption1() == (d1 > 0 and (k == 0 or delta2 < 1 / k))
    assert p.satisfies_assumption2() == (d1h > 0)


def test_single_point_has_infinite_separations():
    p = pk.SobolevProblem(np.eye(3)[:1], np.zeros(1), np.zeros((1, 3, 0)), np.zeros((1, 0)))
    assert p.delta1 == math.inf and p.delta1_hat == math.inf and p.delta2 == 0.0


def test_antipodal_points_separate_under_13_but_not_under_7():
    x = np.array([[1.0, 0.0], [-1.0, 0.0]])
    p = pk.SobolevProblem(x, np.zeros(2), np.zeros((2, 2, 0)), np.zeros((2, 0)))
    assert p.delta1 == 0.0 and p.delta1_hat == 2.0
    assert not p.satisfies_assumption1() and p.satisfies_assumption2()


def _nearly_parallel(gap, seed):
    rng = np.random.default_rng(seed)
    x0 = _unit(rng.standard_normal(4))
    u = rng.standard_normal(4)
    u = _unit(u - (u @ x0) * x0)
    x = np.stack([x0, _unit(x0 + gap * u), _unit(rng.standard_normal(4))])
    return pk.SobolevProblem(x, np.zeros(3), np.zeros((3, 4, 0)), np.zeros((3, 0)))


def _mp_separations(x, dps=40):
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        minus, plus = [], []
        for i, j in itertools.combinations(range(len(X)), 2):
            pairs = list(zip(X[i], X[j], strict=True))
            minus.append(mpmath.sqrt(mpmath.fsum((a - b) ** 2 for a, b in pairs)))
            plus.append(mpmath.sqrt(mpmath.fsum((a + b) ** 2 for a, b in pairs)))
        return float(min(min(minus), min(plus))), float(min(minus))


@pytest.mark.parametrize("gap", [1e-3, 1e-5, 1e-7])
def test_delta1_hat_is_accurate_for_nearly_parallel_points(gap):
    p = _nearly_parallel(gap, seed=7)
    _, d1h = _mp_separations(p.host()[0])
    assert p.delta1_hat == pytest.approx(d1h, rel=EPS_TOL, abs=0)


@pytest.mark.parametrize("gap", [1e-5, 1e-7])
def test_delta1_is_accurate_for_nearly_parallel_points(gap):
    p = _nearly_parallel(gap, seed=7)
    d1, _ = _mp_separations(p.host()[0])
    assert p.delta1 == pytest.approx(d1, rel=EPS_TOL, abs=0)


# ---------------------------------------------------------------------------------------
# constructors
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("assumption", [1, 2])
@pytest.mark.parametrize("separation", [0.0, 0.4, 0.9])
def test_random_problem_meets_requested_separation(assumption, separation):
    p = pk.random_problem(6, 4, 1, separation=separation, assumption=assumption, seed=4)
    achieved = p.delta1 if assumption == 1 else p.delta1_hat
    assert achieved >= separation - EPS_TOL


@pytest.mark.parametrize(("k", "vx_norm"), [(1, 0.0), (2, 0.3), (3, 0.99), (2, 1.0)])
def test_random_problem_meets_requested_vx_norm(k, vx_norm):
    p = pk.random_problem(5, k + 2, k, vx_norm=vx_norm, seed=8)
    x, _, V, _ = p.host()
    got = [np.linalg.norm(V[i].T @ x[i]) for i in range(p.n)]
    assert np.allclose(got, vx_norm, rtol=0, atol=EPS_TOL)
    assert p.delta2 == pytest.approx(vx_norm / math.sqrt(k), abs=EPS_TOL)


def test_random_problem_default_frames_satisfy_8():
    for k in (1, 2, 4):
        p = pk.random_problem(8, k + 3, k, seed=k)
        assert p.delta2 < 1.0 / k and p.satisfies_assumption1()


def test_random_problem_is_reproducible_from_seed_or_generator():
    a = pk.random_problem(4, 5, 2, separation=0.3, seed=123)
    b = pk.random_problem(4, 5, 2, separation=0.3, seed=np.random.default_rng(123))
    c = pk.random_problem(4, 5, 2, separation=0.3, seed=124)
    for u, v in zip(a.host(), b.host(), strict=True):
        assert np.array_equal(u, v)
    assert not np.array_equal(a.x, c.x)


def _target(z):
    return math.sin(z @ np.arange(1.0, z.size + 1)) + 0.5 * float(z @ z) ** 2


def _target_grad(z):
    c = np.arange(1.0, z.size + 1)
    return math.cos(z @ c) * c + 2.0 * float(z @ z) * z


def test_from_function_follows_eq_3_against_finite_differences():
    frame = pk.random_problem(4, 5, 2, separation=0.3, seed=9)
    x, _, V, _ = frame.host()
    p = pk.from_function(_target, _target_grad, x, V)
    assert np.array_equal(p.y, [_target(xi) for xi in x])
    # h_i = V_i^T ∇f*(x_i): each entry is a directional derivative of f* (5-point stencil)
    t = tolerance(np.float64, power=0.2)
    for i in range(p.n):
        for l in range(p.k):
            v = V[i][:, l]
            fd = (-_target(x[i] + 2 * t * v) + 8 * _target(x[i] + t * v)
                  - 8 * _target(x[i] - t * v) + _target(x[i] - 2 * t * v)) / (12 * t)
            assert p.h[i, l] == pytest.approx(fd, abs=tolerance(np.float64, 1e3, power=0.75))


def test_from_function_on_a_relu_network_gives_zero_residuals():
    """Data generated by f(W*, ·) itself (eq. (3)) is fitted exactly at W*."""
    frame = pk.random_problem(5, 4, 2, separation=0.3, seed=10)
    x, _, V, _ = frame.host()
    W, a = pk.init_network(9, 4, seed=2)

    def f(z):  # eq. (4), written out
        return sum(a[r] * max(0.0, float(W[r] @ z)) for r in range(len(a)))

    def grad(z):
        return sum(a[r] * W[r] * (float(W[r] @ z) > 0) for r in range(len(a)))

    p = pk.from_function(f, grad, x, V)
    e, S = pk.residuals(p, W, a)
    scale = 1.0 + np.abs(a) @ np.linalg.norm(W, axis=1)
    assert np.max(np.abs(e)) <= EPS_TOL * scale
    assert np.max(np.abs(S)) <= EPS_TOL * scale


# ---------------------------------------------------------------------------------------
# bias lifting, Section 2.1
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("k", "alpha"), [(1, None), (2, None), (3, 0.9), (2, 1e-3), (0, None)])
def test_lift_bias_is_the_change_of_variables_of_section_2_1(k, alpha):
    p = pk.random_problem(5, k + 2, k, separation=0.2, seed=k)
    q = pk.lift_bias(p, alpha)
    al = (1 / (2 * k) if k else 0.5) if alpha is None else alpha
    be = math.sqrt(1 - al * al)
    x, y, V, h = p.host()
    xl, yl, Vl, hl = q.host()
    assert (q.n, q.d, q.k) == (p.n, p.d + 1, p.k)
    assert np.allclose(xl[:, :-1], al * x, rtol=0, atol=EPS_TOL)
    assert np.allclose(xl[:, -1], be, rtol=0, atol=EPS_TOL)
    assert np.allclose(np.linalg.norm(xl, axis=1), 1.0, rtol=0, atol=EPS_TOL)
    assert np.array_equal(Vl[:, :-1, :], V) and not np.any(Vl[:, -1, :])
    assert np.array_equal(yl, y)
    assert np.allclose(hl * al, h, rtol=EPS_TOL, atol=0)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_lifted_data_satisfy_assumption_1_with_theorem_2_constants(k):
    """x̃ = (αx, β): ‖x̃_i − x̃_j‖ = α‖x_i − x_j‖, ‖x̃_i + x̃_j‖ ≥ 2β and Ṽ_iᵀx̃_i = αV_iᵀx_i."""
    p = pk.random_problem(6, k + 2, k, separation=0.3, assumption=2, seed=20 + k)
    q = pk.lift_bias(p)
    al = 1 / (2 * k)
    be = math.sqrt(1 - al * al)
    assert q.delta1_hat == pytest.approx(al * p.delta1_hat, rel=EPS_TOL)
    assert q.delta1 >= min(al * p.delta1_hat, 2 * be) * (1 - EPS_TOL)
    assert q.delta2 == pytest.approx(al * p.delta2, abs=EPS_TOL)
    assert q.delta2 <= al < 1 / k
    assert q.satisfies_assumption1()
