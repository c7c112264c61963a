"""Angles θ_ij = ∠(x_i, x_j) at high precision (mpmath) and in ball arithmetic (arb).

The float64 route :func:`proofkit.kernels.pair_angles` takes θ = 2·atan2(‖x_i − x_j‖,
‖x_i + x_j‖).  The routes here use the same form, at every precision, with one correction
for stored points whose norms differ from 1 in the last bits.  With A = ‖x_i‖, B = ‖x_j‖,

    θ = 2·atan2(‖B x_i − A x_j‖, ‖B x_i + A x_j‖),
    B x_i ∓ A x_j = B (x_i ∓ x_j) ∓ x_j (A − B),   A − B = (x_i − x_j)·(x_i + x_j) / (A + B),

so both vectors are formed from the differences x_i ∓ x_j of the stored floats (exact at
these precisions) and no quantity of size 1 is subtracted from another.  θ then has relative
accuracy ~10^−dps at every gap, nearly parallel or nearly antipodal, where
acos(x_iᵀx_j/(AB)) keeps only ~dps − 2·log10(1/gap) digits (none at dps = 30, gap = 1e−15).
For unit vectors (A = B = 1) it is exactly 2·atan2(‖x_i − x_j‖, ‖x_i + x_j‖), and it is the
angle between the directions of the stored points, which is what E[M] of Definition 3 needs.
"""

from __future__ import annotations

import mpmath
import numpy as np

__all__ = ["arb_pair_angles", "pair_angles_mp"]


def pair_angles_mp(x, dps: int = 30) -> mpmath.matrix:
    """θ_ij at ``dps`` digits from float data ``x`` (n, d), an (n, n) ``mpmath.matrix``.

    >>> import numpy as np
    >>> th = pair_angles_mp(np.array([[1.0, 0.0], [1.0, 1e-15]]), dps=30)
    >>> mpmath.nstr(th[0, 1], 20)
    '1.0e-15'
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        norms = [mpmath.sqrt(mpmath.fsum(v * v for v in row)) for row in X]
        th = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(i):
                th[i, j] = th[j, i] = _angle(X[i], X[j], norms[i], norms[j], mpmath.fsum,
                                             mpmath.sqrt, mpmath.atan2)
        return th


def _angle(a, b, A, B, total, sqrt, atan2):
    dm = [u - v for u, v in zip(a, b, strict=True)]
    dp = [u + v for u, v in zip(a, b, strict=True)]
    c = total(u * v for u, v in zip(dm, dp, strict=True)) / (A + B)  # A − B, no cancellation
    um = [B * u - c * v for u, v in zip(dm, b, strict=True)]  # B a − A b
    up = [B * u + c * v for u, v in zip(dp, b, strict=True)]  # B a + A b
    return 2 * atan2(sqrt(total(u * u for u in um)), sqrt(total(u * u for u in up)))


def arb_pair_angles(x, *, prec: int = 128) -> list[list]:
    """θ_ij as ``arb`` balls that provably contain the angle between the stored points.

    Same formula as :func:`pair_angles_mp`; a sum of squares whose ball reaches below 0 is
    clipped to its non-negative part before the square root (the true value is ≥ 0).
    """
    import flint

    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    zero = flint.arb(0)

    def total(terms):
        return sum(terms, zero)

    def sqrt(v):
        if v >= 0:
            return v.sqrt()
        return zero.union(v.upper().sqrt())

    with flint.ctx.workprec(prec):
        X = [[flint.arb(float(v)) for v in row] for row in x]
        norms = [sqrt(total(v * v for v in row)) for row in X]
        th = [[zero] * n for _ in range(n)]
        for i in range(n):
            for j in range(i):
                th[i][j] = th[j][i] = _angle(X[i], X[j], norms[i], norms[j], total, sqrt,
                                             flint.arb.atan2)
        return th
