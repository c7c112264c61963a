"""High-precision evaluation and *certified* eigenvalue bounds (Definition 1, Appendix B).

Two kinds of numbers live here:

- mpmath values at a chosen ``dps`` (scoped with ``mpmath.workdps``): the kernel E[M] of
  Definition 3, H∞ of Definition 1 and λmin by ``mpmath.eigsy``.  They are accurate, not proved.
- *certified* lower bounds on λmin of a symmetric matrix, proved by ball arithmetic
  (python-flint's ``arb``).  :func:`certified_lambda_star` builds H∞ itself in ``arb`` from the
  float64 data (inner products, ``acos``, π and the Gram blocks are all balls), so the bound
  covers the rounding of the kernel as well as that of the eigen-solver.

Certificate (method ``"ostrowski"``, the default).  Let ``Q`` be the float64 eigenvectors of
``mid(H)`` (any matrix works: ``Q`` only has to be nonsingular).  In ball arithmetic compute
``G = QᵀHQ`` and ``F = QᵀQ − I``.  Gershgorin's theorem gives a proved lower bound
``g ≤ λmin(G)`` and ``‖F‖₂ ≤ ‖F‖_∞ =: φ``.  Ostrowski's theorem,
``λ_k(QᵀHQ) = θ_k λ_k(H)`` with ``θ_k ∈ [λmin(QᵀQ), λmax(QᵀQ)] ⊂ [1 − φ, 1 + φ]``, then gives
``λmin(H) ≥ g/(1 + φ)`` when ``g ≥ 0`` and ``λmin(H) ≥ g/(1 − φ)`` when ``g < 0`` (needs φ < 1).
Everything heavy is an ``arb_mat`` product in C: N = 200 takes well under a second.

Method ``"ldlt"`` is the textbook alternative, kept as an independent route: an ``LDLᵀ``
factorisation of ``H − μI`` in ball arithmetic whose pivots are all certainly positive proves
``λmin(H) > μ``; ``μ`` starts just below the float64 λmin and is moved down (the gap multiplied
by 10 each time) when a pivot ball straddles 0.  It is O(N³) Python-level ball operations, so
use it for small N.

mpmath's interval Cholesky (``mpmath.iv``) is not used: it is known to return vacuous
intervals without saying so.  Here a failed certificate is always reported as such
(``certified=False``, ``lower = -inf``) with the reason in ``detail``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import mpmath
import numpy as np

__all__ = [
    "CertifiedBound",
    "arb_h_infinity",
    "certified_lambda_min_lower",
    "certified_lambda_star",
    "expected_pattern_kernel_mp",
    "h_infinity_mp",
    "lambda_min_mp",
]


@dataclass(frozen=True)
class CertifiedBound:
    """A lower bound on a smallest eigenvalue.

    ``certified`` is True only when ``lower ≤ λmin`` was *proved* by ball arithmetic; then
    ``lower`` is a float rounded towards −∞.  ``method`` names the certificate and ``detail``
    says what was proved (or why the proof failed); ``seconds`` is the wall time.
    """

    lower: float
    certified: bool
    method: str
    detail: str
    seconds: float = 0.0

    @property
    def positive(self) -> bool:
        """True when the matrix is *proved* positive definite."""
        return self.certified and self.lower > 0

    def to_dict(self) -> dict:
        return {"lower": self.lower, "certified": self.certified, "method": self.method,
                "detail": self.detail, "seconds": self.seconds}


# ---------------------------------------------------------------------------------------
# mpmath evaluation (accurate, not proved)
# ---------------------------------------------------------------------------------------
def _frames_host(problem) -> np.ndarray:
    x, _, V, _ = problem.host()
    return np.concatenate([x[:, :, None], V], axis=2)  # (n, d, k+1): X̂_i = [x_i, V_i]


def mp_array(a) -> np.ndarray:
    """An object array of ``mpmath.mpf`` from float data (call inside ``mpmath.workdps``)."""
    a = np.asarray(a, dtype=float)
    return np.frompyfunc(mpmath.mpf, 1, 1)(a) if a.size else a.astype(object)


def expected_pattern_kernel_mp(problem, dps: int = 30) -> mpmath.matrix:
    """E[M] of Definition 3 at ``dps`` digits: ``(π − arccos ρ_ij)/(2π)``, ρ_ij the cosine.

    The cosine is computed from the stored float64 points (exact inputs), so the value is the
    expectation for the data as stored, even if their norms deviate from 1 in the last bits.

    >>> from proofkit.problem import random_problem
    >>> K = expected_pattern_kernel_mp(random_problem(2, 3, 0, seed=0), dps=20)
    >>> mpmath.nstr(K[0, 0], 5)
    '0.5'
    """
    x = problem.host()[0]
    n = problem.n
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        norms = [mpmath.sqrt(mpmath.fsum(v * v for v in row)) for row in X]
        K = mpmath.matrix(n, n)
        for i in range(n):
            K[i, i] = mpmath.mpf(1) / 2
            for j in range(i):
                rho = mpmath.fsum(a * b for a, b in zip(X[i], X[j], strict=True))
                rho = max(mpmath.mpf(-1), min(mpmath.mpf(1), rho / (norms[i] * norms[j])))
                K[i, j] = K[j, i] = (mpmath.pi - mpmath.acos(rho)) / (2 * mpmath.pi)
        return K


def h_infinity_mp(problem, dps: int = 30, *, order: str = "hat") -> mpmath.matrix:
    """H∞ of Definition 1 at ``dps`` digits, (N, N); ``order`` as in ``kernels.h_infinity``."""
    from .kernels import hat_to_paper_permutation

    n, k = problem.n, problem.k
    F = _frames_host(problem)
    N = n * (k + 1)
    with mpmath.workdps(dps):
        K = expected_pattern_kernel_mp(problem, dps)
        cols = [[mpmath.mpf(float(v)) for v in F[i][:, c]] for i in range(n) for c in range(k + 1)]
        H = mpmath.matrix(N, N)
        for p in range(N):
            for q in range(p + 1):
                v = K[p // (k + 1), q // (k + 1)] * mpmath.fsum(
                    a * b for a, b in zip(cols[p], cols[q], strict=True))
                H[p, q] = H[q, p] = v
        if order == "hat":
            return H
        if order != "paper":
            raise ValueError(f"order must be 'paper' or 'hat', got {order!r}")
        perm = hat_to_paper_permutation(n, k)
        P = mpmath.matrix(N, N)
        for a in range(N):
            for b in range(N):
                P[a, b] = H[int(perm[a]), int(perm[b])]
        return P


def lambda_min_mp(H, dps: int = 30):
    """Smallest eigenvalue of a symmetric matrix (numpy or mpmath) by ``mpmath.eigsy``."""
    with mpmath.workdps(dps):
        M = H if isinstance(H, mpmath.matrix) else mpmath.matrix(np.asarray(H).tolist())
        return min(mpmath.eigsy(M, eigvals_only=True))


# ---------------------------------------------------------------------------------------
# ball arithmetic
# ---------------------------------------------------------------------------------------
def _down(a) -> float:
    """A float ≤ every point of the arb ball ``a``."""
    lo = float(a.lower().mid())
    return math.nextafter(lo, -math.inf)


def _up(a) -> float:
    hi = float(a.upper().mid())
    return math.nextafter(hi, math.inf)


def _to_arb_mat(H):
    import flint

    if isinstance(H, flint.arb_mat):
        return H
    A = np.asarray(H, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"H has shape {A.shape}; it must be a square (N, N) matrix")
    if not np.all(np.isfinite(A)):
        raise ValueError("H has non-finite entries; a certificate needs finite ones")
    return flint.arb_mat(A.tolist())


def _mid_numpy(M) -> np.ndarray:
    return np.array([[float(v.mid()) for v in row] for row in M.tolist()])


def _acos_cos(rho):
    """acos over a cosine ball intersected with [−1, 1] (acos is decreasing: use the endpoints).

    Endpoints are exact ``arb`` values, so ±1 (parallel or antipodal points) give exactly 0 or π
    instead of the NaN a ball straddling ±1 would give.
    """
    import flint

    one = flint.arb(1)
    lo, hi = rho.lower(), rho.upper()
    lo = -one if lo < -one else lo
    hi = one if hi > one else hi
    if hi < lo:  # cannot happen for a ball that contains a true cosine
        raise ValueError("cosine ball lies outside [-1, 1]")
    return hi.acos().union(lo.acos())


def arb_h_infinity(problem, *, prec: int = 128):
    """H∞ (hat ordering) as an ``arb_mat`` built from the float64 data in ball arithmetic.

    Entry (i(k+1)+c, j(k+1)+c') is ``K_ij · (X̂_iᵀX̂_j)_{cc'}`` with
    ``K_ij = (π − acos ρ_ij)/(2π)``, ``ρ_ij = x_iᵀx_j/(‖x_i‖‖x_j‖)``, ``K_ii = 1/2``.
    """
    import flint

    n, k = problem.n, problem.k
    F = _frames_host(problem)
    rows = [F[i][:, c] for i in range(n) for c in range(k + 1)]
    with flint.ctx.workprec(prec):
        Fa = flint.arb_mat(np.array(rows).tolist())
        G = Fa * Fa.transpose()
        x = flint.arb_mat(problem.host()[0].tolist())
        gx = x * x.transpose()
        pi = flint.arb.pi()
        norms = [gx[i, i].sqrt() for i in range(n)]
        K = [[None] * n for _ in range(n)]
        half = flint.arb(1) / 2
        for i in range(n):
            K[i][i] = half
            for j in range(i):
                theta = _acos_cos(gx[i, j] / (norms[i] * norms[j]))
                K[i][j] = K[j][i] = (pi - theta) / (2 * pi)
        N = n * (k + 1)
        s = k + 1
        return flint.arb_mat([[K[p // s][q // s] * G[p, q] for q in range(N)] for p in range(N)])


def _gershgorin_lower(G) -> tuple:
    """Proved lower bound (arb) of λmin(G) and the ∞-norm bound of G − diag(G)."""
    import flint

    rows = G.tolist()
    lowest = None
    for i, row in enumerate(rows):
        off = flint.arb(0)
        for j, v in enumerate(row):
            if j != i:
                off += abs(v)
        b = row[i] - off
        lowest = b if lowest is None or _down(b) < _down(lowest) else lowest
    return lowest


def _ostrowski(A, prec: int) -> tuple[float, bool, str]:
    import flint

    N = A.nrows()
    with flint.ctx.workprec(prec):
        Hm = _mid_numpy(A)
        _, Q = np.linalg.eigh((Hm + Hm.T) / 2)
        Qa = flint.arb_mat(Q.tolist())
        Qt = Qa.transpose()
        G = Qt * A * Qa
        F = Qt * Qa - flint.arb_mat(N, N, [1 if i == j else 0 for i in range(N) for j in range(N)])
        g = _gershgorin_lower(G)
        phi = max((_up(sum((abs(v) for v in row), flint.arb(0))) for row in F.tolist()),
                  default=0.0)
        if not phi < 1:
            return -math.inf, False, f"QᵀQ − I has ∞-norm {phi:.3g} ≥ 1: Q too far from orthogonal"
        gl = _down(g)
        if gl >= 0:
            lam = g / (1 + flint.arb(phi))
        else:
            lam = g / (1 - flint.arb(phi))
        return _down(lam), True, (
            f"Gershgorin on QᵀHQ (Q = float64 eigenvectors) gives λmin(QᵀHQ) ≥ {gl:.17g}; "
            f"‖QᵀQ − I‖ ≤ {phi:.3g}; Ostrowski: λmin(H) ≥ {gl:.6g}/(1 {'+' if gl >= 0 else '−'} "
            f"{phi:.3g}) (ball arithmetic at {prec} bits)")


def _ldlt_positive(A, mu: float) -> tuple[bool, str]:
    """Prove H − μI ≻ 0 by LDLᵀ with certainly positive pivots (arb balls)."""
    import flint

    N = A.nrows()
    M = [row[:] for row in A.tolist()]
    m = flint.arb(mu)
    for i in range(N):
        M[i][i] = M[i][i] - m
    D: list = []
    L = [[None] * N for _ in range(N)]
    for j in range(N):
        s = M[j][j]
        for p in range(j):
            s -= L[j][p] * L[j][p] * D[p]
        if not s > 0:
            return False, f"pivot {j} = {s.str(5)} is not certainly positive"
        D.append(s)
        for i in range(j + 1, N):
            t = M[i][j]
            for p in range(j):
                t -= L[i][p] * L[j][p] * D[p]
            L[i][j] = t / s
    return True, f"all {N} LDLᵀ pivots of H − μI certainly positive (min pivot ≥ " \
                 f"{min(_down(d) for d in D):.3g})"


def certified_lambda_min_lower(H, *, prec: int = 128, method: str = "ostrowski",
                               lam_float: float | None = None, max_halvings: int = 8
                               ) -> CertifiedBound:
    """A proved lower bound on λmin of the symmetric matrix ``H``.

    Parameters
    ----------
    H : array (N, N) or flint.arb_mat
        Float entries are taken as exact; an ``arb_mat`` carries its own error balls (e.g. from
        :func:`arb_h_infinity`).  Symmetry is assumed of the matrix the balls enclose.
    prec : int
        Working precision in bits (retried at ``2·prec`` when the first proof fails).
    method : {"ostrowski", "ldlt"}
        See the module docstring.  ``"ldlt"`` is O(N³) in Python: small N only.
    lam_float : float, optional
        Float estimate of λmin (``"ldlt"`` starts μ just below it); computed when omitted.
    max_halvings : int
        How many times ``"ldlt"`` moves μ down (gap × 10) before giving up.

    Returns
    -------
    CertifiedBound
        ``certified=False`` and ``lower=-inf`` when no proof was found; the ``detail`` says why.

    >>> b = certified_lambda_min_lower(np.diag([2.0, 3.0]))
    >>> b.certified, 1.999 < b.lower <= 2.0
    (True, True)
    """
    import flint

    if method not in ("ostrowski", "ldlt"):
        raise ValueError(f"method={method!r}; it must be 'ostrowski' or 'ldlt'")
    t0 = time.perf_counter()
    with flint.ctx.workprec(prec):
        A = _to_arb_mat(H)
    if A.nrows() == 0:
        raise ValueError("H is empty; λmin of a 0 × 0 matrix is undefined")
    if method == "ostrowski":
        last = ""
        for p in (prec, 2 * prec):
            lower, ok, detail = _ostrowski(A, p)
            if ok:
                return CertifiedBound(lower, True, "ostrowski", detail, time.perf_counter() - t0)
            last = detail
        return CertifiedBound(-math.inf, False, "ostrowski", "certificate failed: " + last,
                              time.perf_counter() - t0)
    if lam_float is None:
        Hm = _mid_numpy(A)
        lam_float = float(np.linalg.eigvalsh((Hm + Hm.T) / 2)[0])
    scale = max(1.0, abs(lam_float))
    gap = 64 * np.finfo(float).eps * A.nrows() * scale
    reasons = []
    for _ in range(max_halvings + 1):
        mu = lam_float - gap
        with flint.ctx.workprec(prec):
            ok, why = _ldlt_positive(A, mu)
        if ok:
            return CertifiedBound(math.nextafter(mu, -math.inf), True, "ldlt",
                                  f"H − μI ≻ 0 proved for μ = {mu:.17g}: {why}",
                                  time.perf_counter() - t0)
        reasons.append(f"μ = {mu:.6g}: {why}")
        gap *= 10
    return CertifiedBound(-math.inf, False, "ldlt", "certificate failed: " + "; ".join(reasons[-2:]),
                          time.perf_counter() - t0)


def certified_lambda_star(problem, *, prec: int = 128, method: str = "ostrowski"
                          ) -> CertifiedBound:
    """Proved lower bound on λ* = λmin(H∞) with H∞ built in ball arithmetic from the data.

    The hat ordering is used (a permutation of the paper's ordering: same eigenvalues).
    """
    t0 = time.perf_counter()
    A = arb_h_infinity(problem, prec=prec)
    b = certified_lambda_min_lower(A, prec=prec, method=method)
    return CertifiedBound(b.lower, b.certified, b.method,
                          "H∞ entries in arb (acos, π, Gram blocks as balls); " + b.detail,
                          time.perf_counter() - t0)
