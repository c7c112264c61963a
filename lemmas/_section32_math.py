"""SymPy derivations and numeric helpers behind :mod:`lemmas.section32` (Section 3.2).

Private to the claim modules (the leading underscore keeps it out of the claim registry).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from proofkit.kernels import empirical_kernel

__all__ = ["big_o_sympy", "failure_events", "gaussian_interval_sympy", "kernel_drift",
           "markov_sympy", "paper_bound", "perturb", "sum_of_squares_gap", "width_sympy"]

_n, _k, _m, _R, _dl, _lam, _g = sp.symbols("n k m R delta lambda_star gamma", positive=True)


def perturb(W0: np.ndarray, x: np.ndarray, R: float) -> np.ndarray:
    """An adversarial W(τ0): each w_r moved by exactly R along ∓x_i for its closest i.

    Moving against the sign of w_rᵀx_i flips every pattern entry with |w_rᵀx_i| < R along
    that direction, the worst case the proof's events E_ir allow.
    """
    Z = W0 @ x.T
    i = np.argmin(np.abs(Z), axis=1)
    s = np.sign(Z[np.arange(len(W0)), i])
    s[s == 0] = 1.0
    return W0 - (R * s)[:, None] * x[i]


def _blocks(problem, W0, Wt):
    """ΔA (n×n), per-block norms of ΔBᵀ and ΔC (n×n), and Q summed over r (n×n)."""
    x, _, V, _ = problem.host()
    m = W0.shape[0]
    P0 = (W0 @ x.T > 0).astype(float)
    Pt = (Wt @ x.T > 0).astype(float)
    Qsum = np.sum(np.abs(Pt[:, :, None] * Pt[:, None, :] - P0[:, :, None] * P0[:, None, :]),
                  axis=0)
    Kd = (Pt.T @ Pt - P0.T @ P0) / m  # Σ_r (σ'σ'(τ0) − σ'σ'(0)) / m
    G = x @ x.T
    xv = np.einsum("id,jdk->ijk", x, V)           # x_iᵀV_j, (n, n, k)
    vv = np.einsum("idk,jdl->ijkl", V, V)         # V_iᵀV_j
    dA = Kd * G
    dB = np.abs(Kd) * np.linalg.norm(xv, axis=2)
    dC = np.abs(Kd) * np.sqrt(np.sum(vv**2, axis=(2, 3)))
    return dA, dB, dC, Qsum, P0, Pt


def kernel_drift(problem, W0, Wt) -> float:
    """‖H(τ0) − H(0)‖_F with a_r² = 1/m."""
    return float(np.linalg.norm(np.asarray(empirical_kernel(problem, Wt))
                                - np.asarray(empirical_kernel(problem, W0))))


def paper_bound(n, k, m, R, delta) -> float:
    return 16 * n * n * k * R / (math.sqrt(2 * math.pi) * delta) + 8 * n * n / m


def sum_of_squares_gap(k: int, d: int, frob: bool) -> sp.Expr:
    """SymPy: with V_j = [e_1..e_k] (rotation invariance), ‖x‖² − ‖V_jᵀx‖² = Σ_{l>k} x_l²;
    with frob, k − ‖V_iᵀV_j‖_F² = Σ_{c}Σ_{l>k} (V_i)_{lc}² for V_i with unit columns."""
    if not frob:
        x = sp.symbols(f"x0:{d}", real=True)
        return sp.expand(sum(v**2 for v in x) - sum(v**2 for v in x[:k]))
    U = sp.Matrix(d, k, lambda r, c: sp.Symbol(f"u{r}{c}", real=True))
    Vj = sp.eye(d)[:, :k]
    fro2 = sum(v**2 for v in (U.T * Vj))
    return sp.expand(sum(v**2 for v in U) - fro2)  # = k − ‖U^T V_j‖² when columns are unit


@functools.lru_cache(maxsize=1)
def gaussian_interval_sympy() -> tuple[sp.Expr, bool]:
    """SymPy: P(|g| ≤ R) = erf(R/√2) and 2R/√(2π) − erf(R/√2) ≥ 0 (zero at 0, derivative ≥ 0)."""
    t = sp.Symbol("t", real=True)
    prob = sp.simplify(sp.integrate(sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi), (t, -_R, _R)))
    f = 2 * _R / sp.sqrt(2 * sp.pi) - prob
    df = sp.simplify(sp.diff(f, _R))
    ok = sp.simplify(f.subs(_R, 0)) == 0 and sp.simplify(
        df - 2 / sp.sqrt(2 * sp.pi) * (1 - sp.exp(-_R**2 / 2))) == 0
    return prob, bool(ok)


@functools.lru_cache(maxsize=1)
def markov_sympy():
    """SymPy: the t with E/t = δ for E = n²(4R/√(2π) + 2δ), for each of A, Bᵀ, C."""
    t = sp.Symbol("t", positive=True)
    out = {}
    for name, c in (("A", 1), ("B", sp.sqrt(_k)), ("C", _k)):
        E = _n**2 * c * (4 * _R / sp.sqrt(2 * sp.pi) + 2 * _dl)
        out[name] = sp.expand(sp.solve(sp.Eq(E / t, _dl), t)[0])
    return out


def big_o_sympy():
    """SymPy: 16n²kR/(√(2π)δ) with R = (4/λ*)√(kn/m)(2√(nk) + γ)/√δ; exponents of δ, m."""
    Rs = 4 / _lam * sp.sqrt(_k * _n / _m) * (2 * sp.sqrt(_n * _k) + _g) / sp.sqrt(_dl)
    expr = 16 * _n**2 * _k * Rs / (sp.sqrt(2 * sp.pi) * _dl)
    e_delta = sp.simplify(_dl * sp.diff(sp.log(expr), _dl))
    e_m = sp.simplify(_m * sp.diff(sp.log(expr), _m))
    # 2√(nk) + γ ≤ 3√(nk)·M for M = max(1, γ) ≥ 1, γ and nk ≥ 1: 3√(nk)M − 2√(nk)M − M ≥ 0
    M = sp.Symbol("M", positive=True)
    s = sp.Symbol("s", positive=True)  # s = √(nk) ≥ 1
    margin = sp.factor(3 * s * M - 2 * s * M - M)
    return expr, e_delta, e_m, margin


def width_sympy():
    """SymPy: solve C n³k²M/(√m λ* δ^{3/2}) < λ*/4 for m; and the 8n²/m < λ*/8 condition."""
    C, M = sp.symbols("C M", positive=True)
    lhs = C * _n**3 * _k**2 * M / (sp.sqrt(_m) * _lam * _dl ** sp.Rational(3, 2))
    sol = sp.solve(sp.Eq(lhs, _lam / 4), _m)[0]
    const = sp.solve(sp.Eq(8 * _n**2 / _m, _lam / 8), _m)[0]
    return sp.simplify(sol), const


def failure_events():
    """The events whose failure probabilities add up in Sections 3.1–3.2.

    The three Markov bounds of display 4 (ΔA, ΔBᵀ, ΔC) bound multiples of one random
    variable, Σ_ij (1/m)Σ_r Q_ijr, so one application of Markov covers all three: one event.
    """
    return [("Lemma 2 (λmin(H(0)) ≥ 3λ*/4; also gives Lemma 4)", _dl),
            ("Lemma 3 (‖e(0)‖ + ‖S(0)‖ bound, used for R)", _dl),
            ("Markov on Σ_ij (1/m)Σ_r Q_ijr (covers ‖ΔA‖_F, ‖ΔBᵀ‖_F and ‖ΔC‖_F)", _dl)]


def failure_budget():
    """SymPy: the union bound over :func:`failure_events` — ``({event: probability}, total,
    ratio)``, ``ratio`` = m(δ/E)/m(δ) for the stated width Ω(n⁶k⁴γ²/(λ*⁴δ³)) and E events."""
    events = dict(failure_events())
    m_stated = _n**6 * _k**4 * _g**2 / (_lam**4 * _dl**3)
    ratio = sp.simplify(m_stated.subs(_dl, _dl / len(events)) / m_stated)
    return events, sp.Add(*events.values()), ratio
