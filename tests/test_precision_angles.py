"""The mpmath and arb routes take angles by atan2 of differences, so nearly parallel and
nearly antipodal points keep their digits at every gap.

Reference: the angle between the *directions* of the stored float64 points at 50 digits,
θ = 2·atan2(‖u_i − u_j‖, ‖u_i + u_j‖) with u = x/‖x‖ normalised at 50 digits (a route
independent of :mod:`proofkit.angles`, which avoids normalising).  Pairs are at gaps
‖x_i ∓ x_j‖ = 1e-3 … 1e-15, as stored (exactly unit) and rotated in R⁴ (norms off by ~1e-16).
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

from proofkit.angles import orthant_kernel_mp, pair_angles_mp
from proofkit.errors import RoundingWarning
from proofkit.kernels import lambda_star
from proofkit.precision import certified_lambda_star, h_infinity_mp, lambda_min_mp
from proofkit.problem import SobolevProblem

GAPS = [1e-3, 1e-6, 1e-9, 1e-12, 1e-15]
REF_DPS = 50


def pair(gap: float, antipodal: bool, rotate: bool) -> np.ndarray:
    t = 2 * np.arcsin(gap / 2)  # ‖x_1 − x_2‖ = gap (‖x_1 + x_2‖ = gap when antipodal)
    x = np.array([[1.0, 0.0, 0.0, 0.0], [np.cos(t), np.sin(t), 0.0, 0.0]])
    if antipodal:
        x[1] = -x[1]
    if rotate:
        Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))
        x = x @ Q.T
    return x


def problem(x) -> SobolevProblem:
    n, d = x.shape
    return SobolevProblem(x, np.zeros(n), np.zeros((n, d, 0)), np.zeros((n, 0)))


def reference(x):
    """(θ, E[M]_12, H∞, λ*) of the pair at 50 digits from normalised directions."""
    with mpmath.workdps(REF_DPS):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        U = [[v / mpmath.sqrt(mpmath.fsum(w * w for w in r)) for v in r] for r in X]
        dm = mpmath.sqrt(mpmath.fsum((a - b) ** 2 for a, b in zip(*U, strict=True)))
        dp = mpmath.sqrt(mpmath.fsum((a + b) ** 2 for a, b in zip(*U, strict=True)))
        theta = 2 * mpmath.atan2(dm, dp)
        k12 = (mpmath.pi - theta) / (2 * mpmath.pi)
        G = [[mpmath.fsum(a * b for a, b in zip(X[i], X[j], strict=True)) for j in range(2)]
             for i in range(2)]
        H = mpmath.matrix([[G[0][0] / 2, k12 * G[0][1]], [k12 * G[1][0], G[1][1] / 2]])
        return theta, k12, H, min(mpmath.eigsy(H, eigvals_only=True))


def rel(a, b):
    with mpmath.workdps(REF_DPS):
        return abs(mpmath.mpf(a) - b) / abs(b)


CASES = [(g, anti, rot) for g in GAPS for anti in (False, True) for rot in (False, True)]
IDS = [f"gap{g:.0e}-{'antipodal' if anti else 'parallel'}{'-rotated' if rot else ''}"
       for g, anti, rot in CASES]


@pytest.mark.parametrize(("gap", "antipodal", "rotate"), CASES, ids=IDS)
def test_angles_and_kernel_at_30_digits_match_50_digit_reference(gap, antipodal, rotate):
    x = pair(gap, antipodal, rotate)
    theta, k12, H, _ = reference(x)
    assert rel(pair_angles_mp(x, 30)[0, 1], theta) <= 1e-20
    assert rel(orthant_kernel_mp(x, 30)[0, 1], k12) <= 1e-20  # E[M]_12, ≈ gap/(2π) if antipodal
    Hm = h_infinity_mp(problem(x), 30)
    for i in range(2):
        for j in range(2):
            assert rel(Hm[i, j], H[i, j]) <= 1e-20


@pytest.mark.parametrize(("gap", "antipodal", "rotate"), CASES, ids=IDS)
def test_lambda_star_at_30_digits_matches_50_digit_reference(gap, antipodal, rotate):
    x = pair(gap, antipodal, rotate)
    lam = reference(x)[3]
    lam30 = lambda_min_mp(h_infinity_mp(problem(x), 30), 30)
    # λ* ≈ gap/(2π) for parallel points is a difference of entries ≈ 1/2: at 30 digits its
    # absolute error is ~1e-31·‖H∞‖ whatever the angle route; relative 1e-20 needs λ* ≳ 1e-10
    assert abs(lam30 - lam) <= mpmath.mpf(10) ** -29
    if lam >= 1e-10:
        assert rel(lam30, lam) <= 1e-20


@pytest.mark.parametrize(("gap", "antipodal", "rotate"), CASES, ids=IDS)
def test_certified_enclosure_contains_reference_and_is_tight(gap, antipodal, rotate):
    x = pair(gap, antipodal, rotate)
    lam = reference(x)[3]
    b = certified_lambda_star(problem(x))
    assert b.certified and b.positive
    assert mpmath.mpf(b.lower) <= lam <= mpmath.mpf(b.upper)
    assert b.upper - b.lower <= 1e-12 * float(lam), (b.lower, b.upper)


def _acos_kernel_and_lambda(x, dps=30):
    """The route this replaced: (π − acos ρ)/(2π) with ρ the cosine, at ``dps``."""
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        nr = [mpmath.sqrt(mpmath.fsum(v * v for v in r)) for r in X]
        rho = mpmath.fsum(a * b for a, b in zip(*X, strict=True)) / (nr[0] * nr[1])
        k = (mpmath.pi - mpmath.acos(max(-1, min(1, rho)))) / (2 * mpmath.pi)
        g = mpmath.fsum(a * b for a, b in zip(*X, strict=True))
        H = mpmath.matrix([[nr[0] ** 2 / 2, k * g], [k * g, nr[1] ** 2 / 2]])
        return k, min(mpmath.eigsy(H, eigvals_only=True))


@pytest.mark.parametrize("antipodal", [False, True])
def test_the_acos_route_fails_the_same_comparison(antipodal):
    """Guard that the comparison can fail: acos at 30 digits misses by far at gap 1e-15."""
    x = pair(1e-15, antipodal, rotate=False)
    _, k12, _, lam = reference(x)
    k_old, lam_old = _acos_kernel_and_lambda(x)
    assert rel(k_old, k12) > 1e-20
    if antipodal:
        assert rel(k_old, k12) > 1e-2  # E[M]_12 ≈ 1.6e-16 is off by ~10 %
    else:
        assert rel(lam_old, lam) > 1e-2  # λ* ≈ 1.6e-16 is off by ~10 %


def test_float64_lambda_star_warns_below_its_rounding_level():
    with pytest.warns(RoundingWarning, match=r"below the float64 rounding level N·eps·‖H∞‖"):
        lambda_star(problem(pair(1e-15, False, False)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RoundingWarning)
        assert lambda_star(problem(pair(1e-3, False, False))) > 1e-4  # well above: no warning


@pytest.mark.parametrize("method", ["ostrowski", "ldlt"])
def test_two_sided_enclosure_on_random_problems(method):
    from proofkit.problem import random_problem

    for seed in range(3):
        p = random_problem(5, 4, 1, separation=0.2, seed=seed)
        lam = lambda_min_mp(h_infinity_mp(p, REF_DPS), REF_DPS)
        b = certified_lambda_star(p, method=method)
        assert b.certified and mpmath.mpf(b.lower) <= lam <= mpmath.mpf(b.upper)
        assert b.enclosure == (b.lower, b.upper) and b.to_dict()["upper"] == b.upper
        assert b.width <= (1e-12 if method == "ostrowski" else 1e-9) * float(lam)
