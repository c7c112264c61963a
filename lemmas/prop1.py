"""Proposition 1 (Section 2, proof in Appendix B): λ* ≥ (1 − kδ2) δ1/(100n²).

Chain of the proof: Ĥ∞ (a permutation similarity of H∞) equals
E[(XᵀX) □ (M ⊗ I)] = (XᵀX) □ (E[M] ⊗ I); Proposition 2 with A = E[M] ⊗ I (scalar blocks
commute with everything) and B = XᵀX gives λ* ≥ λmin(E[M] ⊗ I) · min_i λmin(X̂_iᵀX̂_i);
Proposition 3 turns the first factor into λmin(E[M]); Lemmas 5 and 6 bound the two factors.

Findings.  Every link holds on the instances (the identity to float64 rounding against
``proofkit.h_infinity`` and to mpmath precision against an independent entrywise evaluation).
The bound is true but loose: the same chain with the exact Lemma 6 eigenvalue gives
λ* ≥ λmin(E[M]) (1 − max_i ‖V_iᵀx_i‖₂) ≥ (1 − √k δ2) δ1/(100n²), which is larger for k ≥ 2 and
needs only δ2 < 1/√k; on random instances the certified λ* exceeds the paper's bound by two
to three orders of magnitude (``ratio`` in the check).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from lemmas._common import problem_example, problem_instances
from lemmas._linalg import certificate, lambda_min
from lemmas.lemma5 import delta1_mp
from lemmas.prop2 import block_hadamard
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.kernels import (
    expected_pattern_kernel,
    h_infinity,
    h_infinity_monte_carlo,
    hat_to_paper_permutation,
    point_frames,
)
from proofkit.precision import (
    certified_lambda_star,
    expected_pattern_kernel_mp,
    h_infinity_mp,
    lambda_min_mp,
)


def block_identity(problem, K: np.ndarray) -> np.ndarray:
    """(XᵀX) □ (K ⊗ I_{k+1}) in the hat ordering, with explicit block products."""
    F = point_frames(problem)
    k = problem.k
    X = np.concatenate(list(F), axis=1)  # d × n(k+1): blocks X̂_i
    return block_hadamard(X.T @ X, np.kron(K, np.eye(k + 1)), k + 1)


def _gram_min(problem) -> float:
    F = point_frames(problem)
    return min(float(np.linalg.eigvalsh(f.T @ f)[0]) for f in F)


def _derive_similar(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    Hp = np.asarray(h_infinity(p, order="paper"))
    Hh = np.asarray(h_infinity(p, order="hat"))
    perm = hat_to_paper_permutation(p.n, p.k)
    is_perm = sorted(perm.tolist()) == list(range(p.N))
    same = bool(np.array_equal(Hp, Hh[perm][:, perm]))
    gap = float(np.max(np.abs(np.linalg.eigvalsh(Hp) - np.linalg.eigvalsh(Hh))))
    return Outcome(
        Verdict.VERIFIED if is_perm and same else Verdict.ERROR,
        r"H^\infty = P\hat H^\infty P^T,\ P \text{ a permutation}",
        f"Ω̂(w) is Ω(w) with columns permuted; H∞ equals Ĥ∞[perm][:, perm] entry for entry "
        f"({same}); max eigenvalue difference {gap:.1e}.",
        {"eigen_gap": gap},
    )


def block_identity_sympy() -> bool:
    """SymPy: Ω̂(w)ᵀΩ̂(w) = (XᵀX) □ (M(w) ⊗ I) for symbolic patterns s_i and frames (n=2, k=1)."""
    d, k, n = 3, 1, 2
    s = sp.symbols("s0:2")
    Xs = [sp.Matrix(d, k + 1, lambda r, c, i=i: sp.Symbol(f"x{i}_{r}{c}")) for i in range(n)]
    Om = sp.Matrix.hstack(*[s[i] * Xs[i] for i in range(n)])
    X = sp.Matrix.hstack(*Xs)
    M = sp.Matrix(n, n, lambda i, j: s[i] * s[j])
    B, A = X.T * X, sp.kronecker_product(M, sp.eye(k + 1))
    p = k + 1
    C = sp.zeros(n * p, n * p)
    for a in range(n):
        for b in range(n):
            C[a * p:(a + 1) * p, b * p:(b + 1) * p] = (
                B[a * p:(a + 1) * p, b * p:(b + 1) * p] * A[a * p:(a + 1) * p, b * p:(b + 1) * p])
    return (Om.T * Om - C).expand() == sp.zeros(n * p, n * p)


def _derive_identity(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    sym_ok = block_identity_sympy()
    K = np.asarray(expected_pattern_kernel(p))
    ours = block_identity(p, K)
    eng = np.asarray(h_infinity(p, order="hat"))
    f_gap = float(np.abs(ours - eng).max())
    with mpmath.workdps(ctx.dps):
        Hm = h_infinity_mp(p, ctx.dps, order="hat")
        Km = expected_pattern_kernel_mp(p, ctx.dps)
        F = point_frames(p)
        kk = p.k + 1
        mp_gap = mpmath.mpf(0)
        for a in range(p.N):
            for b in range(p.N):
                g = mpmath.fsum(mpmath.mpf(float(u)) * mpmath.mpf(float(v))
                                for u, v in zip(F[a // kk][:, a % kk], F[b // kk][:, b % kk],
                                                strict=True))
                mp_gap = max(mp_gap, abs(Km[a // kk, b // kk] * g - Hm[a, b]))
    tol = 64 * np.finfo(float).eps * max(1, p.d)
    # independent route: Monte Carlo mean of M(w), Hoeffding band at confidence 1 − 1e-6
    samples = max(2000, int(20000 * ctx.budget))
    _, K_mc = h_infinity_monte_carlo(p, samples, seed=ctx.seed)
    band = math.sqrt(math.log(2 * p.n * p.n / 1e-6) / (2 * samples))
    mc_gap = float(np.abs(K_mc - K).max())
    ok = sym_ok and f_gap <= tol and mc_gap <= band
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\hat H^\infty = \mathbb{E}[(X^TX)\square(\mathcal{M}(w)\otimes I)] = "
        r"(X^TX)\square(\mathbb{E}[\mathcal{M}]\otimes I)",
        f"SymPy: Ω̂ᵀΩ̂ = (XᵀX) □ (M ⊗ I) for symbolic patterns s_i ∈ {{0, 1}} and frames "
        f"({'holds' if sym_ok else 'FAILS'}); linear in M, so E passes inside. Instance: "
        f"max |(XᵀX) □ (E[M] ⊗ I) − proofkit.h_infinity(hat)| = {f_gap:.2e} (float64, tol "
        f"{tol:.1e}); entrywise mpmath recomputation vs precision.h_infinity_mp: "
        f"{mpmath.nstr(mp_gap, 3)}; Monte Carlo E[M] ({samples} draws of w) within "
        f"{mc_gap:.3g} of the closed form (Hoeffding band {band:.3g}).",
        {"float_gap": f_gap, "mp_gap": float(mp_gap), "mc_gap": mc_gap, "mc_band": band},
    )


def _chain_numbers(p, dps: int):
    with mpmath.workdps(dps):
        lam_star = lambda_min_mp(h_infinity_mp(p, dps), dps)
        lam_M = lambda_min_mp(expected_pattern_kernel_mp(p, dps), dps)
        F = point_frames(p)
        grams = [lambda_min_mp(f.T @ f, dps) for f in F]  # f.T @ f rounded: see detail
        g_min = min(grams)
        d1 = delta1_mp(p.host()[0], dps)
        n, k = p.n, p.k
        d2 = mpmath.mpf(p.delta2)
        paper = (1 - k * d2) * d1 / (100 * n * n)
        return lam_star, lam_M, g_min, d1, paper


def _derive_prop2(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    lam_star, lam_M, g_min, _, _ = _chain_numbers(p, ctx.dps)
    prod = lam_M * g_min
    tol = mpmath.mpf(10) ** (-12)
    ok = lam_star >= prod - tol
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\lambda_* \ge \lambda_{\min}(\mathbb{E}[\mathcal{M}]\otimes I)\cdot\min_i"
        r"\lambda_{\min}(X_i^TX_i) = \lambda_{\min}(\mathbb{E}[\mathcal{M}])\min_i"
        r"\lambda_{\min}(X_i^TX_i)",
        "Proposition 2 (A = E[M] ⊗ I: scalar blocks commute with every block of B = XᵀX; both "
        "PSD) and Proposition 3 (λmin(E[M] ⊗ I) = λmin(E[M])). Instance (mpmath): λ* = "
        f"{mpmath.nstr(lam_star, 10)} ≥ {mpmath.nstr(lam_M, 10)} × {mpmath.nstr(g_min, 10)} = "
        f"{mpmath.nstr(prod, 10)} (Gram blocks formed in float64, 1e-16 accurate).",
        {"lambda_star": float(lam_star), "lambda_M": float(lam_M), "gram_min": float(g_min)},
    )


def tighter_vs_paper() -> sp.Expr:
    """SymPy: (1 − √k δ2) − (1 − k δ2) = δ2 (k − √k), ≥ 0 for k ≥ 1, > 0 for k ≥ 2, δ2 > 0."""
    k, d2 = sp.symbols("k delta_2", positive=True)
    return sp.factor(sp.simplify((1 - sp.sqrt(k) * d2) - (1 - k * d2)))


def _derive_statement(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    lam_star, lam_M, _, d1, paper = _chain_numbers(p, ctx.dps)
    cert = certified_lambda_star(p)
    n, k, d2 = p.n, p.k, p.delta2
    tight = (1 - math.sqrt(k) * d2) * float(d1) / (100 * n * n)
    exact_chain = float(lam_M) * (1 - float(np.max(p.vx_norms)) if k else 1.0)
    diff = tighter_vs_paper()
    kk, dd = sp.symbols("k delta_2", positive=True)
    strictly = bool(diff.subs({kk: k, dd: d2}) > 0) if k else False
    holds = cert.certified and cert.lower >= float(paper)
    if not holds and lam_star < paper:
        verdict = Verdict.ERROR
    elif not holds:
        verdict = Verdict.INCONCLUSIVE
    else:
        verdict = Verdict.LOOSE if strictly else Verdict.VERIFIED
    return Outcome(
        verdict,
        r"\lambda_* \ge \lambda_{\min}(\mathbb{E}[\mathcal{M}])(1 - \max_i\|V_i^Tx_i\|_2) "
        r"\ge \frac{(1 - \sqrt{k}\,\delta_2)\,\delta_1}{100 n^2}",
        f"SymPy: (1 − √kδ2) − (1 − kδ2) = {diff} (> 0 for k ≥ 2, δ2 > 0). Instance: certified "
        f"λ* ≥ {cert.lower:.10g} ({cert.method}, {'proved' if cert.certified else 'NOT proved'}); "
        f"paper bound (1 − kδ2)δ1/(100n²) = {float(paper):.6g} (ratio {float(lam_star / paper):.4g}); "
        f"tighter (1 − √kδ2)δ1/(100n²) = {tight:.6g}; exact-chain λmin(E[M])(1 − max‖V_iᵀx_i‖) "
        f"= {exact_chain:.6g}.",
        {"certified_lower": cert.lower, "certified": cert.certified, "paper_bound": float(paper),
         "tighter_bound": tight, "exact_chain_bound": exact_chain,
         "ratio": float(lam_star / paper), "seconds": cert.seconds},
    )


def _check(instance, dps: int) -> Check:
    p = instance["problem"]
    n, k = p.n, p.k
    lhs = lambda_min(h_infinity(p, order="hat"))  # singular H∞ (repeated points): λ* = 0
    rhs = (1 - k * p.delta2) * p.delta1 / (100 * n * n)
    lam_star, _, _, _, paper = _chain_numbers(p, dps)
    cert = certificate(certified_lambda_star, p)
    return compare(lhs, rhs, relation=">=", lhs_mp=lam_star, rhs_mp=paper, dps=dps,
                   detail="λ* against (1 − kδ2)δ1/(100n²)",
                   extra={"certified_lower": cert.lower, "certified": cert.certified,
                          "certified_holds": cert.certified and cert.lower >= float(paper),
                          "certificate_seconds": cert.seconds})


def _bind(inst) -> dict:
    """The mpmath values the check decides on, so both routes compare the same numbers."""
    p = inst["problem"]
    lam_star, _, _, d1, _ = _chain_numbers(p, 30)
    return {"lambda_star": lam_star, "delta_1": d1, "delta_2": p.delta2, "n": p.n, "k": p.k}


@claim
def prop1() -> Claim:
    lam, d1, d2, n, k = sp.symbols("lambda_star delta_1 delta_2 n k", nonnegative=True)
    return Claim(
        id="prop1",
        title="H∞ is positive definite: λ* ≥ (1 − kδ2)δ1/(100n²)",
        location="Sec. 2, Proposition 1 (proof: App. B)",
        kind="proposition",
        premises=(
            Premise("separation", "(7) with δ1 > 0 and n ≥ 2",
                    lambda inst: inst["problem"].n >= 2 and inst["problem"].delta1 > 0),
            Premise("delta2", "(8) with δ2 < 1/k",
                    lambda inst: inst["problem"].k == 0
                    or inst["problem"].delta2 < 1.0 / inst["problem"].k),
        ),
        depends_on=("lemma5", "lemma6", "prop2", "prop3"),
        statement=lambda: sp.Ge(lam, (1 - k * d2) * d1 / (100 * n**2)),
        bind=_bind,
        steps=(
            Step("prop1.similar", "App. B, definition of Ĥ∞",
                 r"\hat H^\infty \text{ is similar to } H^\infty", _derive_similar, ()),
            Step("prop1.identity", "App. B, last display",
                 r"\widehat{H}^{\infty} = \mathbb{E}_{w}[(\mathbf{X}^T\mathbf{X})\square"
                 r"(\mathcal{M}(w)\otimes I)]", _derive_identity, ()),
            Step("prop1.prop2", "App. B, final sentence (Props. 2 and 3)",
                 r"\text{Proposition 2, Proposition 3} \Rightarrow \lambda_* \ge "
                 r"\lambda_{\min}(\mathbb{E}[\mathcal{M}])\min_i\lambda_{\min}(X_i^TX_i)",
                 _derive_prop2, ("separation", "delta2")),
            Step("prop1.statement", "Sec. 2, Proposition 1",
                 r"\lambda_* \geq \frac{(1 - k\delta_2)\delta_1}{100n^2}",
                 _derive_statement, ("separation", "delta2")),
        ),
        check=_check,
        instances=problem_instances(n=(2, 4), d=(3, 5), k=(1, 2), separation=0.05),
        example=problem_example(min_n=2, separation=0.1),
    )
