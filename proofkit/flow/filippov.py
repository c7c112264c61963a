"""Filippov's sliding field of (5) on several surfaces w_rᵀx_i = 0 at once, and its weights θ.

**The field.**  With the pattern bits P_rj ∈ {0, 1}, the right-hand side of (5) is, row by row,

    F_r(P) = a_r Σ_j P_rj (e_j x_j + V_j S_j(P)),   S_j(P) = h_j − Σ_s a_s P_sj V_jᵀw_s,

and e_j does not depend on a bit whose pre-activation is 0.  On the active set A (pairs (r, i)
with w_rᵀx_i = 0 that slide) each bit is replaced by a weight θ_ri ∈ [0, 1] and the field by the
*multilinear* convex combination of the 2^|A| corner fields, weights Π θ^{b}(1 − θ)^{1−b}.
F(P) is multilinear in distinct bits except for P_rj², so the combination is the formula above
with Θ in place of P, S_j(Θ) the θ-weighted S, and the square replaced by the bit itself:

    F_r(Θ) = a_r Σ_j Θ_rj (G_j − (1 − Θ_rj) V_j c_rj),   G_j = e_j x_j + V_j S_j(Θ),  c_rj = a_r V_jᵀw_r.

It lies in Filippov's set (a convex combination of the neighbouring fields) and for one
surface it is Filippov's (1 − θ)F_0 + θF_1 exactly.  For several surfaces Filippov's set is
larger (any weights on the 2^|A| corners) and the multilinear choice (Utkin's equivalent
control on the product of the θ's) is the selection used here, stated in docs/flow.md.

**The weights.**  The normal velocities g_p(θ) = x_iᵀF_r(Θ), p = (r, i) ∈ A, must satisfy the
box complementarity problem: θ_p ∈ (0, 1) ⇒ g_p = 0; θ_p = 0 ⇒ g_p ≤ 0 (the pair leaves to the
off side); θ_p = 1 ⇒ g_p ≥ 0 (it leaves to the on side).  g is affine in each θ_p with small
(O(a_r a_s) = O(1/m)) products between neurons sliding on the same point, so its Jacobian J
(computed exactly below) is a block-diagonal part per neuron plus a coupling of rank ≤ nk
through S.  :func:`solve_theta` runs Newton on the interior equations g_A = 0 (warm started);
:func:`settle` adds the bounds (active-set loop: a pair whose θ leaves [0, 1] exits to that
side) and :func:`uniqueness` certifies the solution: −J a P-matrix (symmetric part positive
definite, or every principal minor positive for |A| ≤ 10) makes the linearised box LCP
uniquely solvable.  Otherwise the LCP is solved by enumeration (|A| ≤ 8): more than one
solution is ``"nonunique"`` — the flow stops there (it does not pick one); more than 8 pairs
without a certificate are counted in ``info["uncertified"]``.
"""

from __future__ import annotations

import itertools

import numpy as np

from .record import residuals_with_pattern

__all__ = ["Sliding", "classify", "settle", "solve_theta", "uniqueness"]


class Sliding:
    """Geometry of one active set A at fixed W: everything g(θ), J(θ) and F(Θ) need.

    ``geom`` (from :meth:`geometry`) holds what depends on A only and may be reused across W.
    """

    def __init__(self, problem, W, a, P, A, geom=None):
        x, _, V, _ = problem.host()
        self.x, self.V, self.a, self.W = x, V, a, W
        self.A = list(A)
        geom = geom if geom is not None else self.geometry(problem, self.A)
        self.r, self.i, self.same, self.xVii, self.onehot = geom
        Pf = np.asarray(P, dtype=float).copy()
        Pf[self.r, self.i] = 0.0
        self.Pf = Pf
        self.e, self.S_fixed = residuals_with_pattern(problem, W, a, Pf)
        # c_p = a_r V_iᵀ w_r (k,), the change of S_i caused by bit p
        self.c = a[self.r, None] * np.einsum("pdk,pd->pk", V[self.i], W[self.r])
        # xVc[p, q] = x_{i_p}ᵀ V_{i_q} c_q
        self.xVc = np.einsum("pqk,qk->pq", self.xVii, self.c)
        self.sxVc = self.same * self.xVc
        self.aA = a[self.r]
        self.PfA = Pf[self.r]

    @staticmethod
    def geometry(problem, A):
        x, V = problem.host()[0], problem.host()[2]
        r = np.array([p[0] for p in A], dtype=np.int64)
        i = np.array([p[1] for p in A], dtype=np.int64)
        xV = np.einsum("id,jdk->ijk", x, V)  # x_iᵀ V_j
        onehot = np.zeros((r.size, x.shape[0]))
        onehot[np.arange(r.size), i] = 1.0
        return r, i, r[:, None] == r[None, :], xV[i][:, i], onehot

    def S(self, theta):
        """θ-weighted S: S_j(Θ) = S_j(P, A bits 0) − Σ_{(s,j) ∈ A} θ_sj c_sj."""
        return self.S_fixed - self.onehot.T @ (theta[:, None] * self.c)

    def Theta(self, theta):
        T = self.Pf.copy()
        T[self.r, self.i] = theta
        return T

    def _parts(self, theta):
        S = self.S(theta)
        G = self.e[:, None] * self.x + np.einsum("jdk,jk->jd", self.V, S)
        XG = self.x @ G.T  # [i, j] = x_iᵀG_j
        TA = self.PfA + (self.same * theta[None, :]) @ self.onehot  # rows Θ_{r_p, ·}
        return G, XG, TA

    def g(self, theta, parts=None):
        """Normal velocities x_iᵀF_r(Θ) of the pairs in A."""
        _, XG, TA = parts or self._parts(theta)
        first = np.einsum("pj,pj->p", TA, XG[self.i])
        return self.aA * (first - self.sxVc @ (theta * (1.0 - theta)))

    def jac(self, theta, parts=None):
        """∂g/∂θ (exact: g is a polynomial of degree 2 in θ)."""
        _, XG, TA = parts or self._parts(theta)
        own = XG[self.i][:, self.i] - (1.0 - 2.0 * theta)[None, :] * self.xVc
        cross = -(TA @ self.onehot.T) * self.xVc
        return self.aA[:, None] * (self.same * own + cross)

    def field(self, theta):
        """F(Θ) (m, d): the Filippov field with weights θ on A."""
        G, _, _ = self._parts(theta)
        F = self.a[:, None] * (self.Theta(theta) @ G)
        corr = (theta * (1.0 - theta))[:, None] * np.einsum("pdk,pk->pd", self.V[self.i], self.c)
        np.add.at(F, self.r, -self.aA[:, None] * corr)
        return F

    def one_sided(self, theta, p):
        """(g_p with θ_p = 0, g_p with θ_p = 1), the other weights held."""
        t0, t1 = theta.copy(), theta.copy()
        t0[p], t1[p] = 0.0, 1.0
        return float(self.g(t0)[p]), float(self.g(t1)[p])


def solve_theta(sl: Sliding, theta0, *, rtol: float = 1e-13, iters: int = 30):
    """Newton on g_A(θ) = 0 from ``theta0`` until |g| ≤ rtol·max|∂g_p/∂θ_p|; (θ, converged)."""
    theta = np.array(theta0, dtype=float)
    if theta.size == 0:
        return theta, True
    parts = sl._parts(theta)
    gv = sl.g(theta, parts)
    J = sl.jac(theta, parts)
    scale = max(float(np.max(np.abs(np.diag(J)))), 1e-300)
    for it in range(iters):
        if np.max(np.abs(gv)) <= rtol * scale:
            return theta, True
        if it:
            J = sl.jac(theta, parts)
        try:
            step = np.linalg.solve(J, gv)
        except np.linalg.LinAlgError:
            return theta, False
        theta = theta - step
        if not np.all(np.isfinite(theta)):
            return theta, False
        parts = sl._parts(theta)
        gv = sl.g(theta, parts)
    return theta, bool(np.max(np.abs(gv)) <= 1e-10 * scale)


def classify(v_off: float, v_on: float) -> str:
    """Kind of a surface from its one-sided normal velocities (off side, on side).

    >>> classify(1.0, 2.0), classify(1.0, -1.0), classify(-1.0, 1.0), classify(-1.0, -2.0)
    ('up', 'sliding', 'repelling', 'down')
    """
    if v_off > 0 and v_on < 0:
        return "sliding"
    if v_off < 0 and v_on > 0:
        return "repelling"
    if v_off >= 0 and v_on >= 0 and (v_off > 0 or v_on > 0):
        return "up"
    if v_off <= 0 and v_on <= 0 and (v_off < 0 or v_on < 0):
        return "down"
    return "rest"


def settle(problem, W, a, P, A, theta0):
    """Solve the box problem for θ on A: pairs whose θ leaves [0, 1] exit to that side.

    Returns ``(A, theta, exits, ok)``: the remaining active pairs, their θ, the list of
    ``(pair, side)`` that left (side True: on) in the order they left, and whether Newton
    converged.  One pair leaves per round (the largest violation), then θ is re-solved.
    """
    A, theta = list(A), np.array(theta0, dtype=float)
    exits = []
    for _ in range(len(A) + 1):
        if not A:
            return A, theta, exits, True
        sl = Sliding(problem, W, a, P, A)
        theta, ok = solve_theta(sl, np.clip(theta, 0.01, 0.99))
        if not ok:
            return A, theta, exits, False
        viol = np.maximum(theta - 1.0, -theta)
        q = int(np.argmax(viol))
        if viol[q] <= 1e-12:  # on a bound to rounding: stays (the segment locates a real exit)
            theta = np.clip(theta, 0.0, 1.0)
            return A, theta, exits, True
        exits.append((A[q], bool(theta[q] > 1.0)))
        del A[q]
        theta = np.delete(theta, q)
    return A, theta, exits, False


def _principal_minors_positive(M) -> bool:
    p = M.shape[0]
    for size in range(1, p + 1):
        for idx in itertools.combinations(range(p), size):
            if np.linalg.det(M[np.ix_(idx, idx)]) <= 0:
                return False
    return True


def lcp_solutions(sl: Sliding, theta):
    """All solutions of the box LCP linearised at ``theta`` (|A| ≤ 8): enumerate, for each pair,
    θ = 0, θ = 1 or g = 0, solve the linear system and keep the consistent ones."""
    p = len(sl.A)
    g0 = sl.g(theta)
    J = sl.jac(theta)
    base = g0 - J @ theta  # g(φ) ≈ base + J φ
    sols = []
    for pattern in itertools.product((0, 1, 2), repeat=p):  # 0: θ=0, 1: θ=1, 2: interior
        phi = np.array([0.0 if s == 0 else 1.0 for s in pattern])
        free = [q for q in range(p) if pattern[q] == 2]
        if free:
            fixed = [q for q in range(p) if pattern[q] != 2]
            rhs = -(base[free] + J[np.ix_(free, fixed)] @ phi[fixed])
            try:
                phi[free] = np.linalg.solve(J[np.ix_(free, free)], rhs)
            except np.linalg.LinAlgError:
                continue
            if np.any(phi[free] <= 0) or np.any(phi[free] >= 1):
                continue
        gv = base + J @ phi
        ok = all((pattern[q] == 0 and gv[q] <= 0) or (pattern[q] == 1 and gv[q] >= 0)
                 or pattern[q] == 2 for q in range(p))
        if ok:
            sols.append(phi)
    return sols


def uniqueness(sl: Sliding, theta) -> str:
    """``"certified"`` (−J a P-matrix), ``"nonunique"`` (several LCP solutions found) or
    ``"uncertified"`` (neither could be shown)."""
    p = len(sl.A)
    if p == 0:
        return "certified"
    M = -sl.jac(theta)
    if np.linalg.eigvalsh(0.5 * (M + M.T))[0] > 0:
        return "certified"
    if p <= 10 and _principal_minors_positive(M):
        return "certified"
    if p <= 8:
        return "nonunique" if len(lcp_solutions(sl, theta)) > 1 else "certified"
    return "uncertified"
