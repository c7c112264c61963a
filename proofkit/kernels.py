"""The kernels of Sections 3 and B: H(W), H∞ (closed form), E[M] of Definition 3, λ*.

Both kernels have the block form of Appendix B.  With ``X̂_i = [x_i, V_i]`` (d × (k+1))
and a scalar kernel ``K`` (n × n) on the points,

    Ĥ_ij = K_ij · X̂_iᵀ X̂_j          (the "hat" ordering: point by point),

where ``K = Pᵀ diag(a²) P`` for the empirical kernel H(W) (P the activation pattern)
and ``K = E[M] = (π − arccos x_iᵀx_j)/(2π)`` for H∞, because
``E_w[σ'(wᵀx_i) σ'(wᵀx_j)] = P(wᵀx_i > 0, wᵀx_j > 0)`` is the orthant probability of a
bivariate normal with correlation ``x_iᵀx_j``.  The paper's ordering (n value rows, then n
blocks of k derivative rows, Ω(w) of Section 2) is a permutation of the hat ordering.
Cost: O(n²m) for ``K`` plus O(N²d) for the Gram matrix, never the (N × md) Jacobian.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import arguments
from .backend import namespace
from .errors import RoundingWarning
from .problem import SobolevProblem

__all__ = [
    "empirical_kernel",
    "expected_pattern_kernel",
    "h_infinity",
    "h_infinity_monte_carlo",
    "hat_to_paper_permutation",
    "lambda_min",
    "lambda_star",
    "naive_empirical_kernel",
    "pair_angles",
    "point_frames",
    "rounding_level",
]


def hat_to_paper_permutation(n: int, k: int) -> np.ndarray:
    """Index array ``perm`` with ``H_paper = Ĥ[perm][:, perm]``.

    >>> hat_to_paper_permutation(2, 1).tolist()
    [0, 2, 1, 3]
    """
    values = [i * (k + 1) for i in range(n)]
    derivs = [i * (k + 1) + 1 + l for i in range(n) for l in range(k)]
    return np.array(values + derivs, dtype=np.int64)


def point_frames(problem: SobolevProblem) -> np.ndarray:
    """``X̂_i = [x_i, V_i]`` of Appendix B stacked on the host, shape (n, d, k+1).

    >>> from proofkit.problem import random_problem
    >>> point_frames(random_problem(3, 4, 2, seed=0)).shape
    (3, 4, 3)
    """
    x, _, V, _ = problem.host()
    return np.concatenate([x[:, :, None], V], axis=2)


def _frames(problem: SobolevProblem):
    """X̂ stacked as rows: (n(k+1), d), row ``i(k+1) + c`` is column c of [x_i, V_i]."""
    xp = namespace(problem.x, problem.V)
    n, d, k = problem.n, problem.d, problem.k
    Xh = xp.concat([problem.x[:, None, :], xp.permute_dims(problem.V, (0, 2, 1))], axis=1)
    return xp, xp.reshape(Xh, (n * (k + 1), d))


def _assemble(problem: SobolevProblem, K, *, order: str):
    xp, F = _frames(problem)
    n, k = problem.n, problem.k
    G = F @ F.T  # (N, N), blocks X̂_iᵀX̂_j
    Kx = xp.reshape(
        xp.broadcast_to(K[:, None, :, None], (n, k + 1, n, k + 1)), (n * (k + 1), n * (k + 1))
    )
    return in_order(G * Kx, n, k, order)


def in_order(M, n: int, k: int, order: str):
    """An (N × N) matrix in the hat ordering, returned in ``order`` ("hat" or "paper")."""
    if order == "hat":
        return M
    if order != "paper":
        raise ValueError(f"order must be 'paper' or 'hat', got {order!r}")
    xp = namespace(M)
    perm = xp.asarray(hat_to_paper_permutation(n, k))
    return xp.take(xp.take(M, perm, axis=0), perm, axis=1)


def pair_angles(x, *, chunk: int = 256):
    """Angles θ_ij = ∠(x_i, x_j) = 2·atan2(‖x_i − x_j‖, ‖x_i + x_j‖), shape (n, n).

    Accurate to a few ulps for nearly parallel and nearly antipodal pairs, where
    ``acos(x_iᵀx_j)`` loses half the digits; the diagonal is exactly 0.  Memory is
    O(chunk · n · d).
    """
    xp = namespace(x)
    n = x.shape[0]
    rows = []
    for start in range(0, n, chunk):
        xi = x[start:min(start + chunk, n), None, :]
        dm = xp.sqrt(xp.sum((xi - x[None, :, :]) ** 2, axis=2))
        dp = xp.sqrt(xp.sum((xi + x[None, :, :]) ** 2, axis=2))
        rows.append(2.0 * xp.atan2(dm, dp))
    return xp.concat(rows, axis=0)


def expected_pattern_kernel(problem: SobolevProblem):
    """E[M] of Definition 3: ``(π − θ_ij) / (2π)`` with θ_ij = arccos(x_iᵀx_j), shape (n, n).

    θ is computed by :func:`pair_angles`, so the diagonal is exactly ½.
    """
    arguments.problem(problem)
    return (math.pi - pair_angles(problem.x)) / (2 * math.pi)


def h_infinity(problem: SobolevProblem, *, order: str = "paper"):
    """H∞ of Definition 1 in closed form, shape (N, N), N = n(k+1).

    For k = 0 it is the ReLU NTK ``x_iᵀx_j (π − arccos x_iᵀx_j) / (2π)``.

    >>> import numpy as np
    >>> from proofkit.problem import SobolevProblem
    >>> p = SobolevProblem(np.eye(2), np.zeros(2), np.zeros((2, 2, 0)), np.zeros((2, 0)))
    >>> h_infinity(p).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    arguments.one_of("order", order, ("paper", "hat"))
    return _assemble(problem, expected_pattern_kernel(problem), order=order)


def empirical_kernel(problem: SobolevProblem, W, a=None, *, order: str = "paper"):
    """H(W) = Σ_r H_r of Section 3 (14), shape (N, N).

    ``a`` defaults to ``a_r² = 1/m`` (initialisation (9)); pass ``a`` to use ``a_r²``.
    """
    W, a = arguments.network(problem, W, a)
    arguments.one_of("order", order, ("paper", "hat"))
    xp = namespace(W, problem.x)
    m = W.shape[0]
    P = xp.astype(W @ problem.x.T > 0, W.dtype)  # (m, n)
    if a is None:
        K = (P.T @ P) / m
    else:
        a2 = a * a
        if bool(xp.all(a2 == a2[0])):  # |a_r| all equal, as under (9): no (m × n) scaling pass
            K = (P.T @ P) * a2[0]
        else:
            K = P.T @ (a2[:, None] * P)
    return _assemble(problem, K, order=order)


def naive_empirical_kernel(problem: SobolevProblem, W, a=None):
    """H(W) as Σ_r Ω_rᵀ Ω_r with the explicit (d × N) Ω_r, in the paper's ordering.

    O(N²md): for tests and benchmarks only.
    """
    W, a = arguments.network(problem, W, a)
    x, _, V, _ = problem.host()
    W = np.asarray(W, dtype=float)
    m = W.shape[0]
    a2 = np.full(m, 1.0 / m) if a is None else np.asarray(a, dtype=float) ** 2
    cols = [x.T] + [V[i] for i in range(problem.n)]
    base = np.concatenate(cols, axis=1)  # (d, N): [x_1 … x_n, V_1 … V_n]
    H = np.zeros((problem.N, problem.N))
    owner = np.concatenate([np.arange(problem.n), np.repeat(np.arange(problem.n), problem.k)])
    for r in range(m):
        act = (x @ W[r] > 0).astype(float)[owner]
        Om = base * act[None, :]
        H += a2[r] * (Om.T @ Om)
    return H


def h_infinity_monte_carlo(problem: SobolevProblem, samples: int, *, seed=0,
                           order: str = "paper", batch: int = 20_000):
    """Monte Carlo estimate of H∞ from ``samples`` draws w ~ N(0, I_d).

    Returns ``(H_hat, K_hat)`` where ``K_hat`` (n, n) is the sample mean of M(w) (entries in
    [0, 1], so Hoeffding's bound applies entrywise).
    """
    arguments.problem(problem)
    samples = arguments.integer("samples", samples, minimum=1)
    batch = arguments.integer("batch", batch, minimum=1)
    arguments.one_of("order", order, ("paper", "hat"))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(
        arguments.seed(seed))
    x = problem.host()[0]
    K = np.zeros((problem.n, problem.n))
    left = samples
    while left:
        b = min(batch, left)
        P = (rng.standard_normal((b, problem.d)) @ x.T > 0).astype(float)
        K += P.T @ P
        left -= b
    K /= samples
    xp = namespace(problem.x)
    return _assemble(problem, xp.asarray(K), order=order), K


def _square(H):
    H = arguments.real_array("H", H, ndim=2, shape="a square (N, N) matrix")
    if H.shape[0] != H.shape[1] or H.shape[0] < 1:
        raise arguments.ArgumentError(f"H has shape {tuple(H.shape)}; it must be a square "
                                      "(N, N) matrix with N >= 1")
    arguments.finite("H", H)
    return H


def lambda_min(H) -> float:
    """Smallest eigenvalue of a symmetric matrix (float64, via eigh)."""
    H = _square(H)
    xp = namespace(H)
    return float(xp.linalg.eigvalsh(H)[0])


def rounding_level(H, eigenvalues=None) -> float:
    """``N · eps · ‖H‖₂``: below it an eigenvalue computed in H's float dtype has no digits.

    Rounding the entries of H alone moves every eigenvalue by up to ``N · eps · max|H_ij|``
    (Weyl), and a backward-stable ``eigh`` adds ``O(N · eps · ‖H‖₂)``.
    """
    xp = namespace(H)
    ev = xp.linalg.eigvalsh(H) if eigenvalues is None else eigenvalues
    eps = float(np.finfo(np.dtype(str(H.dtype).split(".")[-1])).eps)
    return H.shape[0] * eps * float(xp.max(xp.abs(ev)))


def lambda_star(problem: SobolevProblem) -> float:
    """λ* = λ_min(H∞) of Definition 1.

    Warns with :class:`~proofkit.errors.RoundingWarning` when λ* is below the float64
    rounding level ``N · eps · ‖H∞‖₂`` (its value then carries no correct digit, and its
    sign may be wrong); :func:`proofkit.precision.certified_lambda_star` then gives a proved
    enclosure and :func:`proofkit.precision.h_infinity_mp` more digits.
    """
    H = h_infinity(problem, order="hat")
    xp = namespace(H)
    ev = xp.linalg.eigvalsh(H)
    lam = float(ev[0])
    level = rounding_level(H, ev)
    if lam < level:
        warnings.warn(
            f"lambda_star = {lam:.3e} is below the float64 rounding level N·eps·‖H∞‖ = "
            f"{level:.3e} (N = {H.shape[0]}): its digits are not meaningful; use "
            "proofkit.precision.certified_lambda_star for a proved enclosure",
            RoundingWarning, stacklevel=2)
    return lam
