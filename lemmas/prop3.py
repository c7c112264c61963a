"""Proposition 3 (Appendix B, from [11]): the eigenvalues of A ⊗ B are the products λ_i μ_j.

Finding: verified.  SymPy checks the Schur-form proof on symbolic factors (mixed-product rule; the Kronecker
product of upper-triangular factors is upper triangular with diagonal λ_i μ_j); numerically,
the sorted eigenvalues of
A ⊗ B match the sorted products for random symmetric A, B at mpmath precision.  The use made
in Proposition 1 is the special case λmin(E[M] ⊗ I_{k+1}) = λmin(E[M]).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare


@functools.lru_cache(maxsize=1)
def kron_triangular_sympy() -> bool:
    """SymPy proof skeleton (Schur form), on symbolic 2 × 2 and 3 × 3 factors.

    (i) mixed product: (A ⊗ B)(C ⊗ D) = (AC) ⊗ (BD), so with Schur forms A = U T_A U*,
    B = V T_B V*, A ⊗ B = (U ⊗ V)(T_A ⊗ T_B)(U ⊗ V)* is unitarily similar to T_A ⊗ T_B;
    (ii) T_A ⊗ T_B is upper triangular with diagonal entries (T_A)_ii (T_B)_jj = λ_i μ_j.
    """
    A, B, C, D = (sp.Matrix(2, 2, sp.symbols(f"{c}0:4")) for c in "abcd")
    kp = sp.kronecker_product
    mixed = (kp(A, B) * kp(C, D) - kp(A * C, B * D)).expand() == sp.zeros(4, 4)
    TA = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"s{i}{j}") if j >= i else 0)
    TB = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"u{i}{j}") if j >= i else 0)
    T = kp(TA, TB)
    upper = all(T[i, j] == 0 for i in range(6) for j in range(i))
    diag = [T[i, i] for i in range(6)]
    want = [TA[i, i] * TB[j, j] for i in range(3) for j in range(2)]
    return bool(mixed and upper and diag == want)


def _spectra(inst, dps: int):
    A, B = np.asarray(inst["A"]), np.asarray(inst["B"])
    K = np.kron(A, B)
    with mpmath.workdps(dps):
        Am, Bm = mpmath.matrix(A.tolist()), mpmath.matrix(B.tolist())
        n, m = A.shape[0], B.shape[0]
        Km = mpmath.matrix(n * m, n * m)
        for i in range(n * m):
            for j in range(n * m):
                Km[i, j] = Am[i // m, j // m] * Bm[i % m, j % m]  # exact products, no float rounding
        eK = sorted(mpmath.eigsy(Km, eigvals_only=True))
        la = mpmath.eigsy(Am, eigvals_only=True)
        mu = mpmath.eigsy(Bm, eigvals_only=True)
        prods = sorted(a * b for a in la for b in mu)
        gap = max(abs(x - y) for x, y in zip(eK, prods, strict=True))
    f_gap = float(np.max(np.abs(np.sort(np.linalg.eigvalsh(K)) - np.sort(
        np.outer(np.linalg.eigvalsh(A), np.linalg.eigvalsh(B)).ravel()))))
    return gap, f_gap, eK, prods


def _derive_symbolic(ctx: Context) -> Outcome:
    ok = kron_triangular_sympy()
    gap, f_gap, _, _ = _spectra(ctx.instance, ctx.dps)
    num_ok = gap <= mpmath.mpf(10) ** (-(ctx.dps // 2))
    return Outcome(
        Verdict.VERIFIED if ok and num_ok else Verdict.ERROR,
        r"A\otimes B \sim T_A \otimes T_B,\ \mathrm{diag}(T_A\otimes T_B) = (\lambda_i\mu_j)_{i,j}",
        f"SymPy: mixed product and triangular Kronecker structure {'hold' if ok else 'FAIL'} "
        "(symbolic Schur factors), so spec(A ⊗ B) = {λ_i μ_j} with multiplicity. Instance "
        f"({np.asarray(ctx.instance['A']).shape[0]} × {np.asarray(ctx.instance['A']).shape[0]} ⊗ "
        f"{np.asarray(ctx.instance['B']).shape[0]} × {np.asarray(ctx.instance['B']).shape[0]}): "
        f"max |eig(A ⊗ B) − sorted products| = {mpmath.nstr(gap, 3)} (mpmath, {ctx.dps} digits), "
        f"{f_gap:.2e} in float64.",
        {"max_gap_mp": float(gap), "max_gap_float": f_gap},
    )


def _derive_identity_case(ctx: Context) -> Outcome:
    A = np.asarray(ctx.instance["A"])
    p = int(ctx.instance.get("p", 3))
    l_kron = float(np.linalg.eigvalsh(np.kron(A, np.eye(p)))[0])
    l_A = float(np.linalg.eigvalsh(A)[0])
    ok = abs(l_kron - l_A) <= 1e-12 * max(1.0, abs(l_A)) * A.shape[0]
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\lambda_{\min}(A \otimes I_p) = \lambda_{\min}(A)",
        f"Special case μ_j = 1 used in Proposition 1: λmin(A ⊗ I_{p}) = {l_kron:.15g}, "
        f"λmin(A) = {l_A:.15g}.",
        {"lambda_kron": l_kron, "lambda_A": l_A},
    )


def _check(inst, dps: int) -> Check:
    gap, f_gap, _, _ = _spectra(inst, dps)
    return compare(f_gap, 0.0, relation="==", lhs_mp=gap, rhs_mp=0, dps=dps,
                   detail="max |sorted eig(A ⊗ B) − sorted {λ_i μ_j}| against 0")


def _instance(n, m, seed, p):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n, n)), rng.standard_normal((m, m))
    return {"A": (X + X.T) / 2, "B": (Y + Y.T) / 2, "p": p}


def _symmetric(inst) -> bool:
    A, B = np.asarray(inst["A"]), np.asarray(inst["B"])
    return bool(A.ndim == 2 and B.ndim == 2 and np.array_equal(A, A.T)
                and np.array_equal(B, B.T))


def _instances(*, drop: str | None = None):
    return st.builds(_instance, st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1),
                     st.integers(1, 3))


def _example(*, n: int, d: int, k: int, m: int = 0, seed: int = 0):
    return _instance(n, k + 1, seed, k + 1)


@claim
def prop3() -> Claim:
    gap = sp.Symbol("max_gap", nonnegative=True)
    return Claim(
        id="prop3",
        title="Eigenvalues of a Kronecker product are the pairwise products ([11])",
        location="App. B, Proposition 3",
        kind="proposition",
        premises=(Premise("symmetric", "A and B real symmetric (as E[M] and I in Proposition 1); "
                          "the Nelder–Mead refinement must not leave this class",
                          _symmetric, droppable=False,
                          why="Proposition 3 holds for every square A, B (complex spectra), but "
                          "this claim states the symmetric case Proposition 1 uses and its check "
                          "orders real spectra from symmetric eigensolvers (numpy eigvalsh, "
                          "mpmath eigsy), which read only one triangle of a non-symmetric "
                          "matrix"),),
        depends_on=(),
        statement=lambda: sp.Eq(gap, 0),
        bind=lambda inst: {"max_gap": 0 if float(_spectra(inst, 30)[0]) < 1e-15 else 1},
        steps=(
            Step("prop3.kronecker", "App. B, Proposition 3",
                 r"\mathrm{spec}(A\otimes B) = \{\lambda_i\mu_j\}",
                 _derive_symbolic, ()),
            Step("prop3.identity", "App. B, use in Proposition 1",
                 r"\lambda_{\min}(\mathbb{E}[\mathcal{M}]\otimes I) = \lambda_{\min}(\mathbb{E}"
                 r"[\mathcal{M}])", _derive_identity_case, ()),
        ),
        check=_check,
        instances=_instances,
        example=_example,
    )
