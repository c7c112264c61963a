"""H∞ of Definition 1, E[M] of Definition 3 and λ*, in closed form, against independent routes.

* H∞ entry by entry from Definition 1 in mpmath at 36 digits, with the expectation
  E[σ'(wᵀx_i)σ'(wᵀx_j)] computed as the bivariate-normal orthant integral
  ∫_0^∞ φ(u) Φ(ρu/√(1−ρ²)) du (not the arccos formula the engine uses), and the columns of
  Ω(w) laid out from the paper's text;
* k = 0 against the standard ReLU NTK x_iᵀx_j (π − arccos x_iᵀx_j)/(2π);
* Monte Carlo of Ω(w)ᵀΩ(w) literally, the engine's own estimator, and H(W(0)) at large
  width, each within a Hoeffding bound.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import proofkit as pk
from proofkit.backend import tolerance

ROUND = tolerance(np.float64, 256.0)
DPS = 36


# ---------------------------------------------------------------------------------------
# reference H∞ from Definition 1 in mpmath
# ---------------------------------------------------------------------------------------
def _orthant(rho):
    """P(u > 0, v > 0) for standard normals with correlation ρ (mpmath, current dps)."""
    if rho >= 1:
        return mpmath.mpf(1) / 2
    if rho <= -1:
        return mpmath.mpf(0)
    c = rho / mpmath.sqrt(1 - rho * rho)
    # φ(16)… is far below 10^-36: the tail past 13 does not matter at this precision
    return mpmath.quad(lambda u: mpmath.npdf(u) * mpmath.ncdf(c * u), [0, 3, 7, 13])


def _columns(problem):
    """Columns of Ω(w) before masking, and the point each belongs to (paper's ordering)."""
    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    cols = [(i, x[i]) for i in range(n)]  # φ_w(x_1) … φ_w(x_n)
    cols += [(i, V[i][:, l]) for i in range(n) for l in range(k)]  # ψ_w(x_1) … ψ_w(x_n)
    return cols


def _mp_h_infinity(problem, dps=DPS):
    """[H∞]_pq = E[σ'(wᵀx_own(p)) σ'(wᵀx_own(q))] · col_pᵀ col_q, in mpmath."""
    cols = _columns(problem)
    x = problem.host()[0]
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        E = {}
        for i in range(problem.n):
            for j in range(i, problem.n):
                dot = mpmath.fsum(a * b for a, b in zip(X[i], X[j], strict=True))
                rho = dot / mpmath.sqrt(mpmath.fsum(a * a for a in X[i])
                                        * mpmath.fsum(b * b for b in X[j]))
                E[i, j] = E[j, i] = _orthant(rho)
        H = mpmath.matrix(len(cols), len(cols))
        for p_, (i, u) in enumerate(cols):
            for q_, (j, v) in enumerate(cols):
                inner = mpmath.fsum(mpmath.mpf(float(s)) * mpmath.mpf(float(t))
                                    for s, t in zip(u, v, strict=True))
                H[p_, q_] = E[i, j] * inner
        return H, E


def _to_float(M):
    return np.array([[float(M[i, j]) for j in range(M.cols)] for i in range(M.rows)])


def _same_point_mask(problem):
    own = [i for i, _ in _columns(problem)]
    return np.equal.outer(own, own)


MP_PROBLEMS = {
    "k2": lambda: pk.random_problem(4, 5, 2, separation=0.3, seed=0),
    "k0": lambda: pk.random_problem(5, 3, 0, separation=0.3, seed=1),
    "lifted": lambda: pk.lift_bias(pk.random_problem(3, 3, 1, separation=0.3, assumption=2,
                                                     seed=2)),
}


@pytest.fixture(scope="module", params=sorted(MP_PROBLEMS))
def mp_case(request):
    p = MP_PROBLEMS[request.param]()
    H, E = _mp_h_infinity(p)
    return p, H, E


def test_orthant_integral_equals_the_arccos_formula_to_30_digits():
    """The fact the closed form leans on: E[σ'(u)σ'(v)] = (π − arccos ρ)/(2π)."""
    with mpmath.workdps(DPS):
        for rho in ("-0.999", "-0.5", "0", "0.123456789", "0.7", "0.99999"):
            r = mpmath.mpf(rho)
            closed = (mpmath.pi - mpmath.acos(r)) / (2 * mpmath.pi)
            assert abs(_orthant(r) - closed) <= mpmath.mpf(10) ** -30


def test_h_infinity_matches_definition_1_in_mpmath(mp_case):
    p, Hmp, _ = mp_case
    H = pk.h_infinity(p)
    assert H.shape == (p.N, p.N)
    ref = _to_float(Hmp)
    x = p.host()[0]
    # off-diagonal point pairs: forward error of arccos is ~eps/sin θ_ij
    g = np.clip(np.abs(x @ x.T), 0, 1)
    own = np.array([i for i, _ in _columns(p)])
    sin = np.sqrt(1 - g**2)[np.ix_(own, own)]
    same = _same_point_mask(p)
    err = np.abs(H - ref)
    assert np.all(err[~same] <= ROUND * (1 + 1 / sin[~same]))
    # blocks of one point: E = 1/2 exactly, but arccos(x_iᵀx_i) with ‖x_i‖² = 1 − O(eps)
    # would cost up to √(4 eps)/(2π); pair_angles avoids it (tested below)
    assert np.all(err[same] <= tolerance(np.float64, power=0.5))


def test_h_infinity_is_accurate_to_round_off_on_same_point_blocks(mp_case):
    p, Hmp, _ = mp_case
    same = _same_point_mask(p)
    err = np.abs(pk.h_infinity(p) - _to_float(Hmp))
    assert np.all(err[same] <= ROUND)


def test_expected_pattern_kernel_matches_definition_3_in_mpmath(mp_case):
    p, _, E = mp_case
    K = pk.expected_pattern_kernel(p)
    x = p.host()[0]
    g = np.clip(np.abs(x @ x.T), 0, 1)
    for i in range(p.n):
        for j in range(p.n):
            if i == j:
                bound = tolerance(np.float64, power=0.5)
            else:
                bound = ROUND / math.sqrt(1 - g[i, j] ** 2)
            assert abs(K[i, j] - float(E[i, j])) <= bound


def test_lambda_star_matches_mpmath_eigenvalue(mp_case):
    p, Hmp, _ = mp_case
    with mpmath.workdps(DPS):
        ev = mpmath.eigsy(Hmp, eigvals_only=True)
        lam = float(min(ev[i] for i in range(len(ev))))
    # Weyl: |Δλ| ≤ ‖ΔH‖₂ ≤ N·max|ΔH|, the entry error being bounded as in the tests above
    bound = p.N * (tolerance(np.float64, power=0.5) + ROUND * 1e3)
    assert abs(pk.lambda_star(p) - lam) <= bound
    assert pk.lambda_min(pk.h_infinity(p)) == pytest.approx(pk.lambda_star(p), abs=ROUND * p.N)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_k_zero_reduces_to_the_relu_ntk(seed):
    p = pk.random_problem(6, 4, 0, separation=0.2, seed=seed)
    x = p.host()[0]
    ntk = np.empty((p.n, p.n))
    for i in range(p.n):
        for j in range(p.n):
            # the rows are unit by Assumption 1: use x_iᵀx_i = 1 exactly on the diagonal,
            # where acos of the rounded 1 − O(eps) would cost half the digits
            c = 1.0 if i == j else min(1.0, max(-1.0, float(x[i] @ x[j])))
            ntk[i, j] = c * (math.pi - math.acos(c)) / (2 * math.pi)
    H = pk.h_infinity(p)
    assert H.shape == (p.n, p.n)
    # off the diagonal acos has forward error ~eps/sin θ_ij; δ1 >= 0.2 keeps sin θ >= 0.1
    assert np.allclose(H, ntk, rtol=0, atol=10 * ROUND)
    assert np.allclose(pk.h_infinity(p, order="hat"), ntk, rtol=0, atol=10 * ROUND)


# ---------------------------------------------------------------------------------------
# orderings and basic structure
# ---------------------------------------------------------------------------------------
def test_hat_ordering_is_point_by_point_and_a_permutation_of_the_paper_ordering():
    p = pk.random_problem(4, 5, 2, separation=0.2, seed=3)
    x, _, V, _ = p.host()
    K = pk.expected_pattern_kernel(p)
    Hhat = pk.h_infinity(p, order="hat")
    k = p.k
    for i in range(p.n):
        Xi = np.column_stack([x[i], V[i]])
        for j in range(p.n):
            Xj = np.column_stack([x[j], V[j]])
            block = Hhat[i * (k + 1):(i + 1) * (k + 1), j * (k + 1):(j + 1) * (k + 1)]
            assert np.allclose(block, K[i, j] * (Xi.T @ Xj), rtol=0, atol=ROUND)
    # the paper's ordering: row i ↔ hat row i(k+1); row n + ik + l ↔ hat row i(k+1) + 1 + l
    H = pk.h_infinity(p)
    to_hat = [i * (k + 1) for i in range(p.n)] + [
        i * (k + 1) + 1 + l for i in range(p.n) for l in range(k)
    ]
    assert np.array_equal(H, Hhat[np.ix_(to_hat, to_hat)])
    assert pk.lambda_min(H) == pytest.approx(pk.lambda_min(Hhat), abs=ROUND * p.N)


def test_unknown_order_is_rejected():
    p = pk.random_problem(2, 3, 1, seed=0)
    with pytest.raises(pk.ProblemError, match=r"order = 'blocks'; it must be one of 'paper', 'hat'"):
        pk.h_infinity(p, order="blocks")


@pytest.mark.parametrize(("n", "d", "k"), [(5, 4, 2), (6, 6, 3), (4, 3, 0)])
def test_h_infinity_is_symmetric_positive_definite_under_assumption_1(n, d, k):
    p = pk.random_problem(n, d, k, separation=0.3, seed=n)
    H = pk.h_infinity(p)
    assert np.array_equal(H, H.T)
    assert pk.lambda_star(p) > 0


# ---------------------------------------------------------------------------------------
# Monte Carlo: Definition 1 literally, and the engine's estimator, within Hoeffding bounds
# ---------------------------------------------------------------------------------------
def _hoeffding(samples, entries, fail=1e-9, width=1.0):
    """Half-width t with P(any |mean − E| > t) ≤ fail, for ``entries`` means over ``samples``
    independent terms each confined to an interval of length ``width`` (Hoeffding + union)."""
    return width * math.sqrt(math.log(2 * entries / fail) / (2 * samples))


def test_literal_monte_carlo_of_definition_1_agrees_with_closed_form():
    p = pk.random_problem(4, 5, 2, separation=0.3, seed=4)
    cols = _columns(p)
    own = np.array([i for i, _ in cols])
    base = np.column_stack([c for _, c in cols])  # (d, N)
    x = p.host()[0]
    rng = np.random.default_rng(2024)
    s = 20_000
    w = rng.standard_normal((s, p.d))
    act = (w @ x.T > 0).astype(float)[:, own]  # σ'(wᵀx_own(p)) per sample and column
    Om = base[None, :, :] * act[:, None, :]  # Ω(w) for every sample, (s, d, N)
    est = np.einsum("sdp,sdq->pq", Om, Om) / s
    # each entry of Ω(w)ᵀΩ(w) lies between 0 and col_pᵀcol_q, a range of width ≤ 1
    assert np.all(np.abs(est - pk.h_infinity(p)) <= _hoeffding(s, p.N**2))


def test_engine_monte_carlo_estimator_within_hoeffding_bound():
    p = pk.random_problem(5, 4, 1, separation=0.2, seed=5)
    s = 30_000
    H_hat, K_hat = pk.h_infinity_monte_carlo(p, s, seed=7)
    assert H_hat.shape == (p.N, p.N) and K_hat.shape == (p.n, p.n)
    assert np.all((K_hat >= 0) & (K_hat <= 1))
    t = _hoeffding(s, p.n**2)
    x = p.host()[0]
    closed = (math.pi - np.arccos(np.clip(x @ x.T, -1, 1))) / (2 * math.pi)
    assert np.all(np.abs(K_hat - closed) <= t)
    assert np.all(np.abs(H_hat - pk.h_infinity(p)) <= t * (1 + ROUND))
    # the estimator is deterministic given its seed, and different seeds differ
    again, _ = pk.h_infinity_monte_carlo(p, s, seed=7)
    other, _ = pk.h_infinity_monte_carlo(p, s, seed=8)
    assert np.array_equal(H_hat, again) and not np.array_equal(H_hat, other)


def test_engine_monte_carlo_batch_size_is_only_a_memory_knob():
    p = pk.random_problem(3, 4, 1, seed=6)
    whole, _ = pk.h_infinity_monte_carlo(p, 1000, seed=1, batch=1000)
    pieces, _ = pk.h_infinity_monte_carlo(p, 1000, seed=1, batch=300)
    assert np.allclose(whole, pieces, rtol=0, atol=ROUND)
    with pytest.raises(ValueError, match="samples = 0"):
        pk.h_infinity_monte_carlo(p, 0)


def test_empirical_kernel_at_initialisation_concentrates_on_h_infinity():
    """E[H(W(0))] = H∞ (proof of Lemma 2); each entry is a mean of m bounded terms."""
    p = pk.random_problem(4, 5, 2, separation=0.3, seed=7)
    m = 40_000
    W, a = pk.init_network(m, p.d, seed=11)
    H0 = pk.empirical_kernel(p, W)
    assert np.all(np.abs(H0 - pk.h_infinity(p)) <= _hoeffding(m, p.N**2))
    assert np.allclose(pk.empirical_kernel(p, W, a), H0, rtol=0, atol=ROUND)
