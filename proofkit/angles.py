"""Angles θ_ij = ∠(x_i, x_j) at high precision (mpmath) and in ball arithmetic (arb).

The float64 route :func:`proofkit.kernels.pair_angles` takes θ = 2·atan2(‖x_i − x_j‖,
‖x_i + x_j‖).  The routes here use the same form, at every precision, with one correction
for stored points whose norms differ from 1 in the last bits.  With A = ‖x_i‖, B = ‖x_j‖,

    θ = 2·atan2(‖B x_i − A x_j‖, ‖B x_i + A x_j‖),
    B x_i ∓ A x_j = B (x_i ∓ x_j) ∓ x_j (A − B),   A − B = (x_i − x_j)·(x_i + x_j) / (A + B),

so both vectors are formed from the differences x_i ∓ x_j of the stored floats (exact at
these precisions) and no quantity of size 1 is subtracted from another.  For unit vectors
(A = B = 1) it is exactly 2·atan2(‖x_i − x_j‖, ‖x_i + x_j‖); in general it is the angle
between the directions of the stored points, which is what E[M] of Definition 3 needs.

The kernel entry is taken from the complementary angle, ``(π − θ)/(2π) =
atan2(‖B x_i + A x_j‖, ‖B x_i − A x_j‖)/π``, so it keeps its relative accuracy (~10^−dps)
for nearly antipodal points too, where ``π − θ`` would cancel.  acos(x_iᵀx_j/(AB)) keeps
only ~dps − 2·log10(1/gap) digits (none at dps = 30, gap = 1e−15).
"""

from __future__ import annotations

import mpmath
import numpy as np

__all__ = ["arb_orthant_kernel", "orthant_kernel_mp", "pair_angles_mp"]


def _mp_pairs(x, dps: int, value) -> mpmath.matrix:
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        norms = [mpmath.sqrt(mpmath.fsum(v * v for v in row)) for row in X]
        out = mpmath.matrix(n, n)
        for i in range(n):
            out[i, i] = value(mpmath.mpf(0), mpmath.mpf(1))
            for j in range(i):
                out[i, j] = out[j, i] = value(*_minus_plus(X[i], X[j], norms[i], norms[j],
                                                           mpmath.fsum, mpmath.sqrt))
        return out


def pair_angles_mp(x, dps: int = 30) -> mpmath.matrix:
    """θ_ij at ``dps`` digits from float data ``x`` (n, d), an (n, n) ``mpmath.matrix``.

    >>> import numpy as np
    >>> th = pair_angles_mp(np.array([[1.0, 0.0], [1.0, 1e-15]]), dps=30)
    >>> mpmath.nstr(th[0, 1], 20)
    '1.0e-15'
    """
    return _mp_pairs(x, dps, lambda m, p: 2 * mpmath.atan2(m, p))


def orthant_kernel_mp(x, dps: int = 30) -> mpmath.matrix:
    """E[M]_ij = P(wᵀx_i > 0, wᵀx_j > 0) = (π − θ_ij)/(2π) at ``dps`` digits, (n, n).

    >>> import numpy as np
    >>> K = orthant_kernel_mp(np.array([[1.0, 0.0], [-1.0, 1e-15]]), dps=30)
    >>> mpmath.nstr(K[0, 1] * 2 * mpmath.pi, 20), mpmath.nstr(K[1, 1], 5)
    ('1.0e-15', '0.5')
    """
    return _mp_pairs(x, dps, lambda m, p: mpmath.atan2(p, m) / mpmath.pi)


def _minus_plus(a, b, A, B, total, sqrt):
    """``(‖B a − A b‖, ‖B a + A b‖)`` from the differences a ∓ b (see the module docstring)."""
    dm = [u - v for u, v in zip(a, b, strict=True)]
    dp = [u + v for u, v in zip(a, b, strict=True)]
    c = total(u * v for u, v in zip(dm, dp, strict=True)) / (A + B)  # A − B, no cancellation
    um = [B * u - c * v for u, v in zip(dm, b, strict=True)]  # B a − A b
    up = [B * u + c * v for u, v in zip(dp, b, strict=True)]  # B a + A b
    return sqrt(total(u * u for u in um)), sqrt(total(u * u for u in up))


def arb_orthant_kernel(x, *, prec: int = 128) -> list[list]:
    """E[M]_ij as ``arb`` balls that provably contain ``(π − θ_ij)/(2π)`` for the stored points.

    Same formula as :func:`orthant_kernel_mp`; a sum of squares whose ball reaches below 0
    is clipped to its non-negative part before the square root (the true value is ≥ 0).
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
        pi = flint.arb.pi()
        K = [[flint.arb(1) / 2 if i == j else None for j in range(n)] for i in range(n)]
        for i in range(n):
            for j in range(i):
                m, p = _minus_plus(X[i], X[j], norms[i], norms[j], total, sqrt)
                K[i][j] = K[j][i] = flint.arb.atan2(p, m) / pi
        return K
