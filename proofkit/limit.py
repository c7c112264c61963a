"""The infinite-width limit of Sobolev training: the crossing drift D and the generator G = H∞ + D.

Equation (14) of the paper keeps only the smooth part of dr/dt.  With k ≥ 1 the derivative
residual S_i also jumps each time a pre-activation z_ri = w_rᵀx_i changes sign: F̄_i =
V_iᵀ∇f(x_i) = Σ_r a_r σ'(z_ri) V_iᵀw_r gains ``direction · a_r V_iᵀw_r``.  About √m neurons cross
per unit time, each jump is O(1/√m), and their sum is an O(1) drift that survives m → ∞.
Conditioning the Gaussian initialisation (9) on the surface wᵀx_i = 0 (write w = z x_i + w_⊥)
gives, for j ≠ i (derivation: the claim ``theorem1_limit``, :mod:`lemmas.theorem1_limit`),

    D_ij = g_ij ⊗ [ρ_ij, x_iᵀV_j]         (a k × (k+1) block acting on r_j = (e_j, S_j)),
    g_ij = E[δ(wᵀx_i) 1{wᵀx_j > 0} V_iᵀw] = (V_iᵀx_j − ρ_ij V_iᵀx_i) / (2π √(1 − ρ_ij²)),

ρ_ij = x_iᵀx_j, and D_ii = 0: the self term averages to zero over the sign of a_r once the
neurons that slide on wᵀx_i = 0 are weighted by Filippov's θ.  The value rows carry no drift
(f is continuous).  The limit generator is ``G = H∞ + D`` (not symmetric) and the limit flow
starts as dr/dt = −G r at t = 0+.

√(1 − ρ²) is computed as ‖x_i − x_j‖‖x_i + x_j‖/2 (exact for unit vectors), which keeps full
relative precision for nearly parallel and nearly antipodal pairs.  Parallel or antipodal
pairs (δ1 = 0, excluded by Assumption 1) have no finite drift: a ``ProblemError`` names them.
"""

from __future__ import annotations

import math

import numpy as np

from . import arguments
from .backend import namespace, to_numpy
from .kernels import h_infinity, in_order
from .problem import ProblemError, SobolevProblem

__all__ = ["crossing_drift", "drift_vectors", "limit_generator", "limit_margin"]


def _check_pairs(s, n: int) -> None:
    s = np.asarray(to_numpy(s), dtype=float)
    off = ~np.eye(n, dtype=bool)
    bad = np.argwhere(off & (s <= 0.0))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise ProblemError(f"x[{i}] and x[{j}] are parallel or antipodal (√(1 − ρ²) = 0): the "
                           "crossing drift is undefined there; Assumption 1 (7) needs δ1 > 0")


def drift_vectors(problem: SobolevProblem):
    """``g`` of shape (n, n, k) with ``g[i, j] = g_ij`` (``g[i, i] = 0``) and the row
    coefficients ``c`` of shape (n, n, k+1) with ``c[i, j] = [ρ_ij, x_iᵀV_j]``."""
    xp = namespace(problem.x, problem.V)
    x, V = problem.x, problem.V
    n = problem.n
    rho = x @ x.T
    dm = xp.sqrt(xp.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=2))
    dp = xp.sqrt(xp.sum((x[:, None, :] + x[None, :, :]) ** 2, axis=2))
    s = dm * dp / 2.0  # √(1 − ρ²) for unit x
    _check_pairs(s, n)
    eye = xp.eye(n, dtype=x.dtype)
    s = s + eye  # placeholder on the diagonal, masked below
    VX = xp.sum(V[:, None, :, :] * x[None, :, :, None], axis=2)  # (n, n, k): V_iᵀx_j
    Vxi = xp.sum(V * x[:, :, None], axis=1)  # (n, k): V_iᵀx_i
    num = VX - rho[:, :, None] * Vxi[:, None, :]
    g = num / (2.0 * math.pi * s[:, :, None]) * (1.0 - eye)[:, :, None]
    XV = xp.sum(x[:, None, :, None] * V[None, :, :, :], axis=2)  # (n, n, k): x_iᵀV_j
    c = xp.concat([rho[:, :, None], XV], axis=2)
    return g, c


def crossing_drift(problem: SobolevProblem, *, order: str = "paper"):
    """The crossing drift D (N × N), same orderings as :func:`proofkit.kernels.h_infinity`.

    Zero in the value rows and on the diagonal blocks; row block S_i, column block r_j is
    ``g_ij ⊗ [ρ_ij, x_iᵀV_j]``.  For k = 0 it is the zero matrix.

    >>> from proofkit.problem import random_problem
    >>> D = crossing_drift(random_problem(3, 4, 2, seed=0))
    >>> D.shape, float(abs(D[:3]).max())
    ((9, 9), 0.0)
    """
    arguments.problem(problem)
    arguments.one_of("order", order, ("paper", "hat"))
    xp = namespace(problem.x, problem.V)
    n, k = problem.n, problem.k
    N = n * (k + 1)
    if k == 0:
        D = xp.zeros((N, N), dtype=problem.x.dtype)
    else:
        g, c = drift_vectors(problem)
        blocks = g[:, :, :, None] * c[:, :, None, :]  # (i, j, l, c')
        blocks = xp.permute_dims(blocks, (0, 2, 1, 3))  # (i, l, j, c')
        zero = xp.zeros((n, 1, n, k + 1), dtype=problem.x.dtype)
        D = xp.reshape(xp.concat([zero, blocks], axis=1), (N, N))
    return in_order(D, n, k, order)


def limit_generator(problem: SobolevProblem, *, order: str = "paper"):
    """G = H∞ + D: the generator of the infinite-width flow at t = 0+ (dr/dt = −G r)."""
    return h_infinity(problem, order=order) + crossing_drift(problem, order=order)


def limit_margin(problem: SobolevProblem, r=None) -> dict:
    """Theorem 1's margin in the limit, float64.

    ``margin = λmin((G + Gᵀ)/2) − λ*/2``: ‖r(t)‖² ≤ e^{−λ*t}‖r(0)‖² for every r(0) needs
    rᵀGr ≥ (λ*/2)‖r‖², since d‖r‖²/dt = −2rᵀGr at t = 0+.  With ``r`` (paper ordering) the
    directional value ``rᵀGr/‖r‖² − λ*/2`` is returned too.  ``worst_direction`` is the unit
    eigenvector of the symmetric part for its smallest eigenvalue.
    """
    G = np.asarray(limit_generator(problem), dtype=float)
    H = np.asarray(h_infinity(problem), dtype=float)
    lam_star = float(np.linalg.eigvalsh(H)[0])
    w, Q = np.linalg.eigh((G + G.T) / 2)
    out = {"lambda_star": lam_star, "lambda_min_sym": float(w[0]),
           "margin": float(w[0]) - lam_star / 2, "worst_direction": Q[:, 0],
           "spectral_abscissa": float(np.min(np.linalg.eigvals(G).real))}
    if r is not None:
        r = np.asarray(r, dtype=float)
        out["directional"] = float(r @ G @ r / (r @ r)) - lam_star / 2
    return out
