"""High-precision evaluation and *certified* eigenvalue bounds (Definition 1, Appendix B).

Two kinds of numbers live here:

- mpmath values at a chosen ``dps`` (scoped with ``mpmath.workdps``): the kernel E[M] of
  Definition 3, H∞ of Definition 1 and λmin by ``mpmath.eigsy``.  They are accurate, not proved.
- *certified* enclosures ``lower ≤ λmin ≤ upper`` of a symmetric matrix, proved by ball
  arithmetic (python-flint's ``arb``).  :func:`certified_lambda_star` builds H∞ itself in
  ``arb`` from the float64 data (angles, π and the Gram blocks are all balls), so the
  enclosure covers the rounding of the kernel as well as that of the eigen-solver.

Angles, in mpmath and in arb, are 2·atan2 of the differences (:mod:`proofkit.angles`), as in
the float64 route, never ``acos`` of a cosine: nearly parallel or antipodal points keep all
their digits.

Certificate (method ``"ostrowski"``, the default).  Let ``Q`` be the float64 eigenvectors of
``mid(H)`` (any matrix works: ``Q`` only has to be nonsingular).  In ball arithmetic compute
``G = QᵀHQ`` and ``F = QᵀQ − I``.  Gershgorin's theorem gives a proved lower bound
``g ≤ λmin(G)`` and ``‖F‖₂ ≤ ‖F‖_∞ =: φ``.  Ostrowski's theorem,
``λ_k(QᵀHQ) = θ_k λ_k(H)`` with ``θ_k ∈ [λmin(QᵀQ), λmax(QᵀQ)] ⊂ [1 − φ, 1 + φ]``, then gives
``λmin(H) ≥ g/(1 + φ)`` when ``g ≥ 0`` and ``λmin(H) ≥ g/(1 − φ)`` when ``g < 0`` (needs φ < 1).
Everything heavy is an ``arb_mat`` product in C: N = 200 takes well under a second.

Upper end and tight lower end.  With ``v`` the float64 eigenvector of λmin, the Rayleigh
quotient ``ρ = vᵀHv/vᵀv`` (in arb) proves ``λmin ≤ ρ``.  When the first Gershgorin disc of
``QᵀHQ`` is disjoint from the others, they prove ``λ₂(H) ≥ β`` (Ostrowski as above), and
Kato–Temple, ``λmin ≥ ρ − ‖Hv − ρv‖²/(‖v‖²(β − ρ))`` for β > ρ, gives a lower end whose
error is quadratic in the eigenvector's: the enclosure is then tight even when λmin is far
below ``N·eps·‖H‖``.  The larger of the two lower ends is reported.

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

from . import arguments
from .enclosure import _down, _mid_numpy, _up

__all__ = [
    "CertifiedBound",
    "arb_h_infinity",
    "certified_lambda_min_lower",
    "certified_lambda_star",
    "certified_lambda_star_enclosure",
    "expected_pattern_kernel_mp",
    "h_infinity_mp",
    "lambda_min_mp",
]


@dataclass(frozen=True)
class CertifiedBound:
    """A proved enclosure ``lower ≤ λmin ≤ upper`` of a smallest eigenvalue.

    ``certified`` is True only when ``lower ≤ λmin`` was *proved* by ball arithmetic; then
    ``lower`` is a float rounded towards −∞.  ``upper`` is a float rounded towards +∞ with
    ``λmin ≤ upper`` proved (a Rayleigh quotient in arb), or ``inf`` when none was proved.
    ``method`` names the certificate and ``detail`` says what was proved (or why the proof
    failed); ``seconds`` is the wall time.
    """

    lower: float
    certified: bool
    method: str
    detail: str
    seconds: float = 0.0
    upper: float = math.inf

    @property
    def enclosure(self) -> tuple[float, float]:
        """``(lower, upper)``: both ends proved when ``certified`` (``upper`` may be inf)."""
        return self.lower, self.upper

    @property
    def width(self) -> float:
        """``upper − lower`` (inf when either end is missing)."""
        return self.upper - self.lower

    @property
    def positive(self) -> bool:
        """True when the matrix is *proved* positive definite."""
        return self.certified and self.lower > 0

    def to_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "certified": self.certified,
                "method": self.method, "detail": self.detail, "seconds": self.seconds}


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
    """E[M] of Definition 3 at ``dps`` digits: ``(π − θ_ij)/(2π)``.

    θ_ij is the angle between the stored float64 points (exact inputs), taken by atan2 of
    the differences (:func:`proofkit.angles.orthant_kernel_mp`), so the value is the
    expectation for the data as stored, with ~dps correct digits at every gap (nearly
    parallel or antipodal), even if the norms deviate from 1 in the last bits.

    >>> from proofkit.problem import random_problem
    >>> K = expected_pattern_kernel_mp(random_problem(2, 3, 0, seed=0), dps=20)
    >>> mpmath.nstr(K[0, 0], 5)
    '0.5'
    """
    from .angles import orthant_kernel_mp

    arguments.problem(problem)
    dps = arguments.integer("dps", dps, minimum=1, maximum=arguments.MAX_DPS)
    return orthant_kernel_mp(problem.host()[0], dps)


def h_infinity_mp(problem, dps: int = 30, *, order: str = "hat") -> mpmath.matrix:
    """H∞ of Definition 1 at ``dps`` digits, (N, N); ``order`` as in ``kernels.h_infinity``."""
    from .kernels import hat_to_paper_permutation

    arguments.problem(problem)
    dps = arguments.integer("dps", dps, minimum=1, maximum=arguments.MAX_DPS)
    arguments.one_of("order", order, ("paper", "hat"))
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
    dps = arguments.integer("dps", dps, minimum=1, maximum=arguments.MAX_DPS)
    if not isinstance(H, mpmath.matrix):
        from .kernels import _square

        H = _square(H)
    with mpmath.workdps(dps):
        M = H if isinstance(H, mpmath.matrix) else mpmath.matrix(np.asarray(H).tolist())
        return min(mpmath.eigsy(M, eigvals_only=True))


# ---------------------------------------------------------------------------------------
# ball arithmetic
# ---------------------------------------------------------------------------------------
def _to_arb_mat(H):
    import flint

    if isinstance(H, flint.arb_mat):
        return H
    from .kernels import _square

    return flint.arb_mat(np.asarray(_square(H), dtype=float).tolist())  # real, finite, square


def arb_h_infinity(problem, *, prec: int = 128):
    """H∞ (hat ordering) as an ``arb_mat`` built from the float64 data in ball arithmetic.

    Entry (i(k+1)+c, j(k+1)+c') is ``K_ij · (X̂_iᵀX̂_j)_{cc'}`` with ``K_ij = (π − θ_ij)/(2π)``,
    θ_ij the angle between the stored points, as arb balls
    (:func:`proofkit.angles.arb_orthant_kernel`, atan2 of the differences), ``K_ii = 1/2``.
    """
    import flint

    from .angles import arb_orthant_kernel

    arguments.problem(problem)
    prec = arguments.integer("prec", prec, minimum=53, maximum=65_536)
    n, k = problem.n, problem.k
    F = _frames_host(problem)
    rows = [F[i][:, c] for i in range(n) for c in range(k + 1)]
    with flint.ctx.workprec(prec):
        Fa = flint.arb_mat(np.array(rows).tolist())
        G = Fa * Fa.transpose()
        K = arb_orthant_kernel(problem.host()[0], prec=prec)
        N = n * (k + 1)
        s = k + 1
        return flint.arb_mat([[K[p // s][q // s] * G[p, q] for q in range(N)] for p in range(N)])


def _ostrowski(A, prec: int) -> tuple[float, float, bool, str]:
    """``(lower, upper, certified, detail)``: Gershgorin–Ostrowski, Kato–Temple, Rayleigh."""
    import flint

    from .enclosure import gershgorin, kato_temple_lower, rayleigh

    N = A.nrows()
    with flint.ctx.workprec(prec):
        Hm = _mid_numpy(A)
        _, Q = np.linalg.eigh((Hm + Hm.T) / 2)
        Qa = flint.arb_mat(Q.tolist())
        Qt = Qa.transpose()
        G = Qt * A * Qa
        F = Qt * Qa - flint.arb_mat(N, N, [1 if i == j else 0 for i in range(N) for j in range(N)])
        lows, highs = gershgorin(G)
        g = min(lows, key=_down)
        phi = max((_up(sum((abs(v) for v in row), flint.arb(0))) for row in F.tolist()),
                  default=0.0)
        rho, eps2 = rayleigh(A, Q[:, 0])
        upper = _up(rho)
        if not phi < 1:
            return -math.inf, upper, False, (
                f"QᵀQ − I has ∞-norm {phi:.3g} ≥ 1: Q too far from orthogonal")
        gl = _down(g)
        if gl >= 0:
            lam = g / (1 + flint.arb(phi))
        else:
            lam = g / (1 - flint.arb(phi))
        lower = _down(lam)
        kt, why = kato_temple_lower(rho, eps2, lows, highs, phi)
        return max(lower, kt), upper, True, (
            f"Gershgorin on QᵀHQ (Q = float64 eigenvectors) gives λmin(QᵀHQ) ≥ {gl:.17g}; "
            f"‖QᵀQ − I‖ ≤ {phi:.3g}; Ostrowski: λmin(H) ≥ {gl:.6g}/(1 {'+' if gl >= 0 else '−'} "
            f"{phi:.3g}) = {lower:.17g}; {why}{f' = {kt:.17g}' if kt > -math.inf else ''}; "
            f"Rayleigh quotient: λmin(H) ≤ {upper:.17g} (ball arithmetic at {prec} bits)")


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

    from .enclosure import rayleigh

    if method not in ("ostrowski", "ldlt"):
        raise arguments.ArgumentError(f"method={method!r}; it must be 'ostrowski' or 'ldlt'")
    prec = arguments.integer("prec", prec, minimum=53, maximum=65_536)
    max_halvings = arguments.integer("max_halvings", max_halvings, minimum=0)
    t0 = time.perf_counter()
    with flint.ctx.workprec(prec):
        A = _to_arb_mat(H)
    if A.nrows() == 0:
        raise arguments.ArgumentError("H is empty; λmin of a 0 × 0 matrix is undefined")
    if method == "ostrowski":
        last = ""
        for p in (prec, 2 * prec):
            lower, upper, ok, detail = _ostrowski(A, p)
            if ok:
                return CertifiedBound(lower, True, "ostrowski", detail, time.perf_counter() - t0,
                                      upper)
            last = detail
        return CertifiedBound(-math.inf, False, "ostrowski", "certificate failed: " + last,
                              time.perf_counter() - t0, upper)
    Hm = _mid_numpy(A)
    ev, Q = np.linalg.eigh((Hm + Hm.T) / 2)
    with flint.ctx.workprec(prec):
        upper = _up(rayleigh(A, Q[:, 0])[0])
    if lam_float is None:
        lam_float = float(ev[0])
    scale = max(1.0, abs(lam_float))
    gap = 64 * np.finfo(float).eps * A.nrows() * scale
    reasons = []
    for _ in range(max_halvings + 1):
        mu = lam_float - gap
        with flint.ctx.workprec(prec):
            ok, why = _ldlt_positive(A, mu)
        if ok:
            return CertifiedBound(math.nextafter(mu, -math.inf), True, "ldlt",
                                  f"H − μI ≻ 0 proved for μ = {mu:.17g}: {why}; Rayleigh "
                                  f"quotient: λmin(H) ≤ {upper:.17g}",
                                  time.perf_counter() - t0, upper)
        reasons.append(f"μ = {mu:.6g}: {why}")
        gap *= 10
    return CertifiedBound(-math.inf, False, "ldlt", "certificate failed: " + "; ".join(reasons[-2:]),
                          time.perf_counter() - t0, upper)


def certified_lambda_star(problem, *, prec: int = 128, method: str = "ostrowski"
                          ) -> CertifiedBound:
    """Proved enclosure ``lower ≤ λ* = λmin(H∞) ≤ upper``, H∞ built in ball arithmetic from the data.

    ``lower`` is the proved lower bound it always was; ``upper`` (a Rayleigh quotient in arb)
    completes the two-sided enclosure.  The hat ordering is used (a permutation of the
    paper's ordering: same eigenvalues).
    """
    t0 = time.perf_counter()
    A = arb_h_infinity(problem, prec=prec)
    b = certified_lambda_min_lower(A, prec=prec, method=method)
    return CertifiedBound(b.lower, b.certified, b.method,
                          "H∞ entries in arb (angles by 2·atan2 of differences, π, Gram blocks as "
                          "balls); " + b.detail, time.perf_counter() - t0, b.upper)


def certified_lambda_star_enclosure(problem, *, prec: int = 128) -> tuple[float, float]:
    """``(lo, hi)`` with ``lo ≤ λ* ≤ hi`` proved by ball arithmetic (``lo = -inf`` when no
    lower bound was proved: never a guess).

    >>> from proofkit.problem import random_problem
    >>> lo, hi = certified_lambda_star_enclosure(random_problem(3, 4, 1, separation=0.3, seed=0))
    >>> 0 < lo <= hi and (hi - lo) < 1e-12 * hi
    True
    """
    b = certified_lambda_star(problem, prec=prec)
    return (b.lower if b.certified else -math.inf), b.upper
