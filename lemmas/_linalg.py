"""Eigenvalues that do not raise on degenerate (singular, repeated-row) symmetric matrices.

LAPACK's default symmetric driver occasionally reports ``LinAlgError: Eigenvalues did not
converge`` on exactly singular kernels (duplicated or antipodal points make rows of E[M]
and H∞ coincide).  A singular matrix has λmin = 0: that is a valid value, so the checks
fall back on other drivers instead of failing.  Not registered as a claim (leading ``_``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["certificate", "eigvalsh", "lambda_min"]


def eigvalsh(M) -> np.ndarray:
    """Ascending eigenvalues of the symmetric part of ``M`` (float64).

    Tries ``numpy.linalg.eigvalsh``, then ``scipy.linalg.eigvalsh`` with the ``evd``, ``ev``
    and ``evr`` drivers, then mpmath (``eigsy`` at 30 digits).  Non-finite entries raise
    ``ValueError`` naming them (no driver can give eigenvalues of such a matrix).

    >>> eigvalsh(np.ones((2, 2))).round(12).tolist()
    [0.0, 2.0]
    """
    A = np.asarray(M, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"matrix has shape {A.shape}; it must be square")
    if not np.all(np.isfinite(A)):
        bad = tuple(int(v) for v in np.argwhere(~np.isfinite(A))[0])
        raise ValueError(f"matrix entry {bad} is {A[bad]}; eigenvalues need finite entries")
    A = (A + A.T) / 2
    try:
        return np.linalg.eigvalsh(A)
    except np.linalg.LinAlgError:
        pass
    import scipy.linalg

    for driver in ("evd", "ev", "evr"):
        try:
            return np.sort(scipy.linalg.eigvalsh(A, driver=driver))
        except (np.linalg.LinAlgError, ValueError):
            continue
    import mpmath

    with mpmath.workdps(30):
        ev = mpmath.eigsy(mpmath.matrix(A.tolist()), eigvals_only=True)
        return np.sort(np.array([float(v) for v in ev]))


def lambda_min(M) -> float:
    """Smallest eigenvalue of the symmetric part of ``M`` (see :func:`eigvalsh`)."""
    return float(eigvalsh(M)[0])


def certificate(prove, *args, **kwargs):
    """``prove(*args, **kwargs)`` (a ``proofkit.precision`` certificate), or an honest
    ``certified=False`` record when it raises on a degenerate matrix (a LAPACK
    non-convergence, a cosine ball outside [−1, 1] for duplicated points): the check's
    verdict never rests on the certificate, so its failure is reported, not raised."""
    from proofkit.precision import CertifiedBound

    try:
        return prove(*args, **kwargs)
    except (np.linalg.LinAlgError, ValueError, ArithmeticError) as exc:
        return CertifiedBound(-np.inf, False, "none",
                              f"certificate failed: {type(exc).__name__}: {exc}", 0.0)
