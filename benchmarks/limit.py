"""Row 8: ``limit_generator`` (H∞ + the crossing drift D) at n = 50, k = 3, d = 50 (N = 200).

Before timing, D is compared with the per-pair formula
``D_ij = g_ij ⊗ [ρ_ij, x_iᵀV_j]``, ``g_ij = (V_iᵀx_j − ρ_ij V_iᵀx_i)/(2π√(1 − ρ_ij²))`` evaluated
pair by pair in a Python loop (hat ordering).
"""

from __future__ import annotations

import math

import numpy as np

from ._common import check_close, median_time, rel_err, row

__all__ = ["NAME", "TARGET", "bench_limit_generator"]

NAME = "limit_generator at n = 50, k = 3 (N = 200)"
TARGET = "<= 1"


def _loop_drift(problem) -> np.ndarray:
    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    s = k + 1
    D = np.zeros((n * s, n * s))
    for i in range(n):
        for j in range(n):
            if i != j:
                rho = float(x[i] @ x[j])
                g = (V[i].T @ x[j] - rho * V[i].T @ x[i]) / (2 * math.pi * math.sqrt(1 - rho**2))
                D[i * s + 1:(i + 1) * s, j * s:(j + 1) * s] = np.outer(
                    g, np.concatenate([[rho], x[i] @ V[j]]))
    return D


def bench_limit_generator(n: int = 50, d: int = 50, k: int = 3, *, repeat: int = 5) -> dict:
    """Seconds for one ``limit_generator(problem)`` (best of ``repeat``), target ≤ 1 s."""
    from proofkit.limit import crossing_drift, limit_generator
    from proofkit.problem import random_problem

    problem = random_problem(n, d, k, seed=0)
    check_close("crossing_drift vs the per-pair loop",
                rel_err(np.asarray(crossing_drift(problem, order="hat")), _loop_drift(problem)),
                1e-12)
    t = median_time(lambda: limit_generator(problem), repeat)
    return row(NAME, t, "s", TARGET, detail={"n": n, "d": d, "k": k, "N": problem.N,
                                              "repeat": repeat})
