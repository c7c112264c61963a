"""The crossing drift and the limit generator at any precision, and a proved sign of the margin.

* :func:`crossing_drift_mp`, :func:`limit_generator_mp`: mpmath at ``dps`` digits from the
  stored float64 data (the same formulas as :mod:`proofkit.limit`; √(1 − ρ²) from
  ‖x_i − x_j‖‖x_i + x_j‖/2 so near-parallel pairs keep their digits).
* :func:`certified_limit_margin`: the sign of ``λmin((G + Gᵀ)/2) − λ*/2`` proved in python-flint
  ``arb`` ball arithmetic.  A negative margin is proved by a Rayleigh quotient
  ``vᵀG_sym v/vᵀv`` (an upper bound on λmin(G_sym) for any v) below half a proved lower bound
  on λ* (:func:`proofkit.precision.certified_lambda_star`); a positive one by a proved lower
  bound on λmin(G_sym) (:func:`proofkit.precision.certified_lambda_min_lower`) above half a
  Rayleigh upper bound on λ*.  Every entry of H∞ and D is a ball built from the float64 data.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

__all__ = ["arb_limit_generator_sym", "certified_limit_margin", "crossing_drift_mp",
           "limit_generator_mp"]


def _permute(M, n: int, k: int, order: str):
    from .kernels import hat_to_paper_permutation

    if order == "hat":
        return M
    if order != "paper":
        raise ValueError(f"order must be 'paper' or 'hat', got {order!r}")
    perm = hat_to_paper_permutation(n, k)
    N = n * (k + 1)
    P = mpmath.matrix(N, N)
    for a in range(N):
        for b in range(N):
            P[a, b] = M[int(perm[a]), int(perm[b])]
    return P


def crossing_drift_mp(problem, dps: int = 30, *, order: str = "paper") -> mpmath.matrix:
    """D of :func:`proofkit.limit.crossing_drift` at ``dps`` digits, (N, N) mpmath matrix.

    >>> from proofkit.problem import random_problem
    >>> D = crossing_drift_mp(random_problem(2, 3, 1, seed=0), dps=20)
    >>> D.rows, D[0, 1] == 0
    (4, True)
    """
    from .limit import _check_pairs

    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    N = n * (k + 1)
    s = k + 1
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        Vm = [[[mpmath.mpf(float(V[i][a][l])) for a in range(problem.d)] for l in range(k)]
              for i in range(n)]

        def dot(u, w):
            return mpmath.fsum(p * q for p, q in zip(u, w, strict=True))

        D = mpmath.matrix(N, N)
        sq = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                if i == j or k == 0:
                    continue
                dm = mpmath.sqrt(mpmath.fsum((p - q) ** 2 for p, q in zip(X[i], X[j], strict=True)))
                dp = mpmath.sqrt(mpmath.fsum((p + q) ** 2 for p, q in zip(X[i], X[j], strict=True)))
                root = dm * dp / 2
                sq[i, j] = float(root)
                if root == 0:
                    _check_pairs(sq, n)
                rho = dot(X[i], X[j])
                c = [rho] + [dot(X[i], Vm[j][l]) for l in range(k)]
                for l in range(k):
                    g = (dot(Vm[i][l], X[j]) - rho * dot(Vm[i][l], X[i])) / (2 * mpmath.pi * root)
                    for cc in range(s):
                        D[i * s + 1 + l, j * s + cc] = g * c[cc]
        return _permute(D, n, k, order)


def limit_generator_mp(problem, dps: int = 30, *, order: str = "paper") -> mpmath.matrix:
    """G = H∞ + D at ``dps`` digits."""
    from .precision import h_infinity_mp

    with mpmath.workdps(dps):
        return h_infinity_mp(problem, dps, order=order) + crossing_drift_mp(problem, dps,
                                                                             order=order)


def _arb_drift(problem, prec: int):
    """D (hat ordering) as a list of lists of ``arb`` balls."""
    import flint

    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    s = k + 1
    N = n * s
    zero = flint.arb(0)
    D = [[zero] * N for _ in range(N)]
    with flint.ctx.workprec(prec):
        X = [[flint.arb(float(v)) for v in row] for row in x]
        Vm = [[[flint.arb(float(V[i][a][l])) for a in range(problem.d)] for l in range(k)]
              for i in range(n)]
        two_pi = 2 * flint.arb.pi()

        def dot(u, w):
            return sum((p * q for p, q in zip(u, w, strict=True)), flint.arb(0))

        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                dm = sum(((p - q) ** 2 for p, q in zip(X[i], X[j], strict=True)),
                         flint.arb(0)).sqrt()
                dp = sum(((p + q) ** 2 for p, q in zip(X[i], X[j], strict=True)),
                         flint.arb(0)).sqrt()
                root = dm * dp / 2
                if not root > 0:
                    raise ValueError(f"√(1 − ρ²) of x[{i}], x[{j}] is not certainly positive")
                rho = dot(X[i], X[j])
                c = [rho] + [dot(X[i], Vm[j][l]) for l in range(k)]
                for l in range(k):
                    g = (dot(Vm[i][l], X[j]) - rho * dot(Vm[i][l], X[i])) / (two_pi * root)
                    for cc in range(s):
                        D[i * s + 1 + l][j * s + cc] = g * c[cc]
    return D


def arb_limit_generator_sym(problem, *, prec: int = 128):
    """(G + Gᵀ)/2 (hat ordering) as an ``arb_mat`` built from the float64 data."""
    import flint

    from .precision import arb_h_infinity

    H = arb_h_infinity(problem, prec=prec)
    D = _arb_drift(problem, prec)
    N = H.nrows()
    with flint.ctx.workprec(prec):
        return flint.arb_mat([[H[p, q] + (D[p][q] + D[q][p]) / 2 for q in range(N)]
                              for p in range(N)])


def _rayleigh_upper(A, v) -> float:
    """A float ≥ vᵀAv/vᵀv (ball arithmetic; v is taken exactly)."""
    import flint

    from .precision import _up

    va = flint.arb_mat([[float(t)] for t in v])
    num = (va.transpose() * A * va)[0, 0]
    den = (va.transpose() * va)[0, 0]
    return _up(num / den)


def certified_limit_margin(problem, *, prec: int = 128) -> dict:
    """Prove the sign of ``λmin(G_sym) − λ*/2`` (see the module docstring).

    Returns ``{"sign": -1 | 1 | 0, "certified": bool, "detail": str, ...}``; ``sign = 0`` (not
    certified) when neither proof closes (a margin within the balls of 0).
    """
    from .kernels import h_infinity
    from .limit import limit_generator
    from .precision import _mid_numpy, arb_h_infinity, certified_lambda_min_lower, certified_lambda_star

    G = np.asarray(limit_generator(problem, order="hat"), dtype=float)
    w, Q = np.linalg.eigh((G + G.T) / 2)
    Gs = arb_limit_generator_sym(problem, prec=prec)
    lam_low = certified_lambda_star(problem, prec=prec)
    if w[0] < float(np.linalg.eigvalsh(np.asarray(h_infinity(problem, order="hat")))[0]) / 2:
        ub = _rayleigh_upper(Gs, Q[:, 0])
        ok = lam_low.certified and ub < lam_low.lower / 2
        return {"sign": -1 if ok else 0, "certified": bool(ok),
                "lambda_min_sym_upper": ub, "lambda_star_lower": lam_low.lower,
                "detail": f"Rayleigh quotient of the float64 worst direction in arb: λmin(G_sym) "
                          f"≤ {ub:.17g} < λ*/2 with λ* ≥ {lam_low.lower:.17g} "
                          f"({'proved' if ok else 'NOT proved'})"}
    Hinf = arb_h_infinity(problem, prec=prec)
    _, Qh = np.linalg.eigh(_mid_numpy(Hinf))
    lam_up = _rayleigh_upper(Hinf, Qh[:, 0])
    lb = certified_lambda_min_lower(Gs, prec=prec)
    ok = lb.certified and lb.lower > lam_up / 2 and math.isfinite(lam_up)
    return {"sign": 1 if ok else 0, "certified": bool(ok), "lambda_min_sym_lower": lb.lower,
            "lambda_star_upper": lam_up,
            "detail": f"λmin(G_sym) ≥ {lb.lower:.17g} ({lb.method}) > λ*/2 with λ* ≤ "
                      f"{lam_up:.17g} (Rayleigh) ({'proved' if ok else 'NOT proved'})"}
