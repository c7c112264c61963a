"""Lemma 6 (Appendix B): λmin(X̂_iᵀX̂_i) ≥ 1 − kδ2 > 0 under (8).

With ``c = V_iᵀx_i`` the Gram matrix is ``[[1, cᵀ], [c, I_k]]``.  Its characteristic
polynomial factors as ``(λ − 1)^{k−1} ((λ − 1)² − ‖c‖²)``, so the smallest eigenvalue is
exactly ``1 − ‖c‖₂``.  Gershgorin (the paper's route) gives ``1 − ‖c‖₁ ≥ 1 − kδ2``; the
exact value gives ``1 − ‖c‖₂ ≥ 1 − √k δ2``.  The paper's bound is true and loose: the
premise δ2 < 1/k of (8) could be relaxed to δ2 < 1/√k.
"""

from __future__ import annotations

import math
from dataclasses import replace

import mpmath
import numpy as np
import sympy as sp

from lemmas._common import problem_example, problem_instances
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.kernels import point_frames


def _gram_blocks(problem) -> np.ndarray:
    Xh = point_frames(problem)  # (n, d, k+1)
    return np.einsum("idk,idl->ikl", Xh, Xh)


def _lam_min_mp(G: np.ndarray, dps: int):
    with mpmath.workdps(dps):
        return min(mpmath.eigsy(mpmath.matrix(g.tolist()))[0][0] for g in G) if len(G) else 1


def _symbolic_factorisation(k: int):
    lam = sp.Symbol("lambda")
    c = sp.symbols(f"c1:{k + 1}", real=True)
    G = sp.Matrix(k + 1, k + 1, lambda i, j: 1 if i == j else 0)
    for j in range(k):
        G[0, j + 1] = G[j + 1, 0] = c[j]
    charpoly = (G - lam * sp.eye(k + 1)).det()
    norm2 = sum(ci**2 for ci in c)
    claimed = (1 - lam) ** (k - 1) * ((1 - lam) ** 2 - norm2)
    return sp.expand(charpoly - claimed) == 0, charpoly


def _derive_exact(ctx: Context) -> Outcome:
    problem = ctx.instance["problem"]
    k = problem.k
    ok = all(_symbolic_factorisation(kk)[0] for kk in range(1, 4))
    if not ok:
        return Outcome(Verdict.INCONCLUSIVE, "", "SymPy did not confirm the factorisation for k ≤ 3")
    # numeric: exact eigenvalue 1 - ‖c‖ against mpmath eigenvalues at ctx.dps
    G = _gram_blocks(problem)
    with mpmath.workdps(ctx.dps):
        worst = mpmath.mpf(0)
        for g, c in zip(G, problem.vx, strict=True):
            lam = mpmath.eigsy(mpmath.matrix(g.tolist()))[0][0]
            exact = 1 - mpmath.sqrt(mpmath.fsum(mpmath.mpf(float(v)) ** 2 for v in c))
            worst = max(worst, abs(lam - exact))
    d2 = problem.delta2
    tight = 1 - math.sqrt(k) * d2
    paper = 1 - k * d2
    verdict = Verdict.LOOSE if tight > paper + 1e-15 else Verdict.VERIFIED
    return Outcome(
        verdict,
        "λmin(X̂_iᵀX̂_i) = 1 − ‖V_iᵀx_i‖₂ ≥ 1 − √k·δ2",
        "charpoly(X̂_iᵀX̂_i) = (λ−1)^{k−1}((λ−1)² − ‖c‖²) (SymPy, k = 1..3); so λmin = 1 − ‖c‖₂ "
        f"and ‖c‖₂ ≤ √k‖c‖_∞. On this instance (k = {k}, δ2 = {d2:.6g}): 1 − √kδ2 = {tight:.6g} "
        f"vs the paper's 1 − kδ2 = {paper:.6g}; max |mp eigenvalue − (1 − ‖c‖)| = "
        f"{mpmath.nstr(worst, 3)}. Equal for k = 1, strictly looser for k ≥ 2.",
        {"tight_bound": tight, "paper_bound": paper, "max_eig_error": float(worst)},
    )


def _derive_gershgorin(ctx: Context) -> Outcome:
    problem = ctx.instance["problem"]
    G = _gram_blocks(problem)
    k = problem.k
    radii = np.abs(problem.vx).sum(axis=1) if k else np.zeros(problem.n)
    lam = np.array([np.linalg.eigvalsh(g)[0] for g in G])
    gap = float(np.max(np.abs(lam - 1) - radii))
    holds = bool(gap <= 1e-12) and bool(np.all(radii <= k * problem.delta2 + 1e-15))
    return Outcome(
        Verdict.VERIFIED if holds else Verdict.ERROR,
        "|λmin − 1| ≤ ‖c‖₁ ≤ kδ2 (Gershgorin, row of x_i)",
        f"max_i(|λmin_i − 1| − ‖V_iᵀx_i‖₁) = {gap:.3e} ≤ 0; ‖c‖₁ ≤ kδ2 by (8).",
        {"max_gap": gap},
    )


def _check(instance, dps: int) -> Check:
    problem = instance["problem"]
    G = _gram_blocks(problem)
    lhs = float(min(np.linalg.eigvalsh(g)[0] for g in G))
    rhs = 1.0 - problem.k * problem.delta2
    _, _, V, _ = problem.host()
    with mpmath.workdps(dps):
        lhs_mp = _lam_min_mp(G, dps)
        rhs_mp = 1 - problem.k * mpmath.mpf(problem.delta2)
        # The lemma assumes exactly orthonormal frames; float data is orthonormal only to
        # rounding, which moves eigenvalues by at most (k+1)·max|V_iᵀV_i − I| (Gershgorin).
        defect = max((abs(mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(b))
                                      for a, b in zip(V[i][:, p], V[i][:, q], strict=True))
                          - (p == q))
                      for i in range(problem.n) for p in range(problem.k) for q in range(problem.k)),
                     default=mpmath.mpf(0))
        tie = float((problem.k + 1) * defect) + 4 * float(np.finfo(float).eps)
        chk = compare(lhs, rhs, relation=">=", lhs_mp=lhs_mp, rhs_mp=rhs_mp, dps=dps, tie=tie,
                      detail="min_i λmin(X̂_iᵀX̂_i) against 1 − kδ2")
        if rhs_mp <= 0:
            # the statement's second half, 1 − kδ2 > 0: without it the bound says nothing
            return replace(chk, holds=False, slack=min(chk.slack, float(rhs_mp)),
                           detail=chk.detail + f"; but 1 − kδ2 = {float(rhs_mp):.6g} is not positive, "
                           "so the lemma's conclusion λmin ≥ 1 − kδ2 > 0 fails")
        return chk


@claim
def lemma6() -> Claim:
    lam, k, d2 = sp.symbols("lambda_min k delta_2", real=True)
    return Claim(
        id="lemma6",
        title="Gram matrices of the frames [x_i, V_i] are well conditioned",
        location="App. B, Lemma 6",
        kind="lemma",
        premises=(
            Premise("delta2", "(8): max_j |v_{i,j}ᵀx_i| ≤ δ2 < 1/k",
                    lambda inst: inst["problem"].k == 0
                    or inst["problem"].delta2 < 1.0 / inst["problem"].k),
        ),
        depends_on=(),
        statement=lambda: sp.And(sp.Ge(lam, 1 - k * d2), sp.Gt(1 - k * d2, 0)),
        bind=lambda inst: {
            "lambda_min": float(min(np.linalg.eigvalsh(g)[0] for g in _gram_blocks(inst["problem"]))),
            "k": inst["problem"].k, "delta_2": inst["problem"].delta2,
        },
        steps=(
            Step("lemma6.gershgorin", "App. B, proof of Lemma 6",
                 r"|\lambda_{\min}(X_i^T X_i) - 1| \le \sum_j |x_i^T v_{i,j}| \le k\delta_2",
                 _derive_gershgorin, ("delta2",)),
            Step("lemma6.exact", "App. B, Lemma 6 (statement)",
                 r"\lambda_{\min}(X_i^T X_i) \ge 1 - k\delta_2 > 0",
                 _derive_exact, ("delta2",)),
        ),
        check=_check,
        instances=problem_instances(n=(1, 3), d=(3, 6), k=(1, 3), separation=0.0),
        example=problem_example(),
    )
