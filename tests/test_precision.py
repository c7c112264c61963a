"""Certified eigenvalue bounds and mpmath evaluation (proofkit.precision)."""

from __future__ import annotations

import math
import time

import mpmath
import numpy as np
import pytest

from proofkit.backend import tolerance
from proofkit.kernels import expected_pattern_kernel, h_infinity
from proofkit.precision import (
    CertifiedBound,
    arb_h_infinity,
    certified_lambda_min_lower,
    certified_lambda_star,
    expected_pattern_kernel_mp,
    h_infinity_mp,
    lambda_min_mp,
)
from proofkit.problem import random_problem


def _spd(N, seed, shift=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, N))
    return X @ X.T / N + shift * np.eye(N)


@pytest.mark.parametrize("method", ["ostrowski", "ldlt"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_certified_bound_is_below_and_close_to_true_lambda_min(method, seed):
    H = _spd(12, seed)
    b = certified_lambda_min_lower(H, method=method)
    true = lambda_min_mp(H, 50)
    assert b.certified and b.method == method
    assert mpmath.mpf(b.lower) <= true
    assert float(true) - b.lower <= 1e-10 * max(1.0, float(true))


def test_ill_conditioned_but_positive_matrix_is_certified():
    # Hilbert matrix: λmin ≈ 1.1e-10 for N = 7; the bound must stay below and positive
    N = 7
    H = np.array([[1.0 / (i + j + 1) for j in range(N)] for i in range(N)])
    b = certified_lambda_min_lower(H)
    true = lambda_min_mp(H, 60)
    assert b.certified and 0 < b.lower <= float(true)


@pytest.mark.parametrize("method", ["ostrowski", "ldlt"])
def test_singular_matrix_is_not_proved_positive(method):
    H = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # λmin = 0
    b = certified_lambda_min_lower(H, method=method)
    assert not b.positive
    assert (not b.certified and b.lower == -math.inf) or b.lower <= 0


@pytest.mark.parametrize("method", ["ostrowski", "ldlt"])
def test_indefinite_matrix_bound_is_negative_and_valid(method):
    H = np.diag([1.0, -0.5, 2.0]) + 1e-3
    b = certified_lambda_min_lower(H, method=method)
    true = lambda_min_mp(H, 50)
    assert not b.positive
    if b.certified:
        assert mpmath.mpf(b.lower) <= true < 0


def test_failed_certificate_is_reported_not_vacuous():
    # a wrong float estimate (λmin = 0, told 1) with no room to move μ must fail, loudly
    H = np.ones((3, 3))
    b = certified_lambda_min_lower(H, method="ldlt", lam_float=1.0, max_halvings=0)
    assert isinstance(b, CertifiedBound)
    assert not b.certified and b.lower == -math.inf and "failed" in b.detail


def test_bad_inputs_name_the_rule():
    with pytest.raises(ValueError, match="square"):
        certified_lambda_min_lower(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="method"):
        certified_lambda_min_lower(np.eye(2), method="iv")
    with pytest.raises(ValueError, match=r"H\[0, 0\] is nan.*finite"):
        certified_lambda_min_lower(np.array([[np.nan]]))


def test_arb_h_infinity_encloses_mpmath_kernel():
    p = random_problem(3, 4, 2, seed=3)
    A = arb_h_infinity(p)
    Hm = h_infinity_mp(p, 40)
    for i in range(p.N):
        for j in range(p.N):
            lo, hi = A[i, j].lower(), A[i, j].upper()
            v = Hm[i, j]
            slack = mpmath.mpf(10) ** -30
            assert float(lo.mid()) - 1e-300 <= v + slack and v - slack <= float(hi.mid()) + 1e-300


def test_mpmath_kernel_matches_float_kernel():
    p = random_problem(4, 5, 1, seed=4)
    K = np.asarray(expected_pattern_kernel(p))
    Km = expected_pattern_kernel_mp(p, 30)
    # float64 arccos near ±1 loses half the digits (the diagonal): sqrt(eps) tolerance
    tol = tolerance(power=0.5)
    assert np.max(np.abs(K - np.array(Km.tolist(), dtype=float))) <= tol
    H = np.asarray(h_infinity(p, order="paper"))
    Hm = np.array(h_infinity_mp(p, 30, order="paper").tolist(), dtype=float)
    assert np.max(np.abs(H - Hm)) <= tol


def test_certified_lambda_star_brackets_high_precision_value():
    p = random_problem(4, 5, 2, separation=0.2, seed=5)
    b = certified_lambda_star(p)
    true = lambda_min_mp(h_infinity_mp(p, 50), 50)
    assert b.certified and b.positive
    assert mpmath.mpf(b.lower) <= true <= mpmath.mpf(b.lower) * (1 + 1e-9)


def test_certified_lambda_star_timing_at_N_200():
    p = random_problem(100, 10, 1, seed=6)  # N = n(k+1) = 200
    t0 = time.perf_counter()
    b = certified_lambda_star(p)
    dt = time.perf_counter() - t0
    print(f"\ncertified λ* at N = {p.N}: lower = {b.lower:.12g}, certified = {b.certified}, "
          f"{dt:.2f} s ({b.method})")
    assert b.certified and b.lower > 0
    assert b.lower <= float(np.linalg.eigvalsh(np.asarray(h_infinity(p, order="hat")))[0]) + 1e-8
