"""SymPy derivations behind the crossing drift (claim ``theorem1_limit``, :mod:`lemmas.theorem1_limit`).

Each function returns SymPy objects that the claim's steps compare with the formula used in
:mod:`proofkit.limit`; nothing here is numeric.
"""

from __future__ import annotations

import functools

import sympy as sp

__all__ = ["conditioned_mean", "density_at_zero", "gronwall_bound", "half_gaussian_mean",
           "self_term_average", "sliding_rate", "unit_identities"]

_z = sp.Symbol("z", real=True)
_u, _v = sp.symbols("u v", real=True)


def _phi(t):
    return sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)


@functools.cache
def density_at_zero():
    """E[δ(z)] for z = wᵀx_i ~ N(0, 1) (‖x_i‖ = 1): ∫ δ(z) φ(z) dz."""
    return sp.simplify(sp.integrate(sp.DiracDelta(_z) * _phi(_z), (_z, -sp.oo, sp.oo)))


@functools.cache
def half_gaussian_mean():
    """E[1{ζ > 0} ζ] for ζ ~ N(0, 1)."""
    return sp.simplify(sp.integrate(_z * _phi(_z), (_z, 0, sp.oo)))


@functools.cache
def conditioned_mean():
    """E[1{aᵀg > 0} bᵀg] for g ~ N(0, I), in the plane of a and b.

    Rotate so that a = (α, 0) with α = ‖a‖ > 0 and b = (β₁, β₂) (β₁ = bᵀa/‖a‖): the
    integral over the plane is done by SymPy; the components of g orthogonal to that plane
    do not enter.  Returns ``(value, expected)`` with ``expected = bᵀa/(‖a‖√(2π))``.
    """
    al = sp.Symbol("alpha", positive=True)
    b1, b2 = sp.symbols("beta1 beta2", real=True)
    # 1{α u > 0} = 1{u > 0}
    val = sp.integrate(sp.integrate((b1 * _u + b2 * _v) * _phi(_u) * _phi(_v),
                                    (_v, -sp.oo, sp.oo)), (_u, 0, sp.oo))
    expected = (b1 * al) / (al * sp.sqrt(2 * sp.pi))
    return sp.simplify(val), sp.simplify(expected)


@functools.cache
def unit_identities():
    """For unit x_i, x_j with ρ = x_iᵀx_j and the projection P = I − x_ix_iᵀ:
    ‖P x_j‖² = 1 − ρ², (Pv)ᵀ(Px_j) = vᵀx_j − ρ vᵀx_i, and (1 − ρ²) = ‖x_i − x_j‖²‖x_i + x_j‖²/4.

    Polynomial identities in R³ with generic x_i, x_j, v, reduced modulo the ideal
    (‖x_i‖² − 1, ‖x_j‖² − 1) (a Gröbner basis: coprime leading terms).  Returns the three
    remainders (each 0 when the identity holds on unit vectors).
    """
    xi = sp.Matrix(sp.symbols("a1 a2 a3", real=True))
    xj = sp.Matrix(sp.symbols("b1 b2 b3", real=True))
    v = sp.Matrix(sp.symbols("v1 v2 v3", real=True))
    rels = [(xi.T * xi)[0] - 1, (xj.T * xj)[0] - 1]
    gens = list(xi) + list(xj) + list(v)
    rho = (xi.T * xj)[0]
    P = sp.eye(3) - xi * xi.T
    dm = ((xi - xj).T * (xi - xj))[0]
    dp = ((xi + xj).T * (xi + xj))[0]
    diffs = ((xj.T * P.T * P * xj)[0] - (1 - rho**2),
             ((P * v).T * (P * xj))[0] - ((v.T * xj)[0] - rho * (v.T * xi)[0]),
             dm * dp / 4 - (1 - rho**2))
    return tuple(sp.reduced(sp.expand(d), rels, *gens, order="lex")[1] for d in diffs)


@functools.cache
def sliding_rate():
    """Rate of change of Σσ' in a sliding class: neurons arrive from below at ż₋ > 0 (σ': 0 → θ)
    and from above at −ż₊ > 0 (σ': 1 → θ), θ = ż₋/(ż₋ − ż₊) (Filippov).  Returns
    ``(rate, θ)``; the rate simplifies to ż₋ + ż₊."""
    zm, zp = sp.symbols("zdot_minus zdot_plus", real=True)
    theta = zm / (zm - zp)
    rate = sp.simplify(zm * theta + (-zp) * (theta - 1))
    return rate, theta


@functools.cache
def self_term_average():
    """The flux of σ'(z_ri) through wᵀx_i = 0 averaged over the sign s of a_r.

    With ż₋ = sA and ż₊ = s(A + B) (A: the other points' part of x_iᵀu, B = x_iᵀX̂_i r_i the
    self part), the count rate is max(ż₋, 0) + min(ż₊, 0): upward crossers (ż₋ > 0 < ż₊) count
    ż₋, downward ones ż₊, sliding ones ż₋ + ż₊ (:func:`sliding_rate`), repelled ones 0.  The jump
    carries a_r ∝ s, so the drift is (1/2)Σ_s s·rate(s).  SymPy evaluates it on each of the four
    sign regions of (A, A + B) and returns ``{region: average − (A + B/2)}`` (all 0 ⇒ the average
    is A + B/2, linear in r, with the self part B/2 multiplying E[V_iᵀw_⊥] = 0).
    """
    p, q = sp.symbols("p q", positive=True)
    out = {}
    for name, A, AB in (("A>0,A+B>0", p, q), ("A>0,A+B<0", p, -q),
                        ("A<0,A+B>0", -p, q), ("A<0,A+B<0", -p, -q)):
        B = AB - A

        def rate(s, A=A, B=B):
            return sp.Max(s * A, 0) + sp.Min(s * (A + B), 0)

        avg = sp.Rational(1, 2) * (rate(1) - rate(-1))
        out[name] = sp.simplify(avg - (A + B / 2))
    return out


@functools.cache
def gronwall_bound():
    """d‖r‖²/dt = −2rᵀGr ≤ −2μ‖r‖² ⇒ ‖r(t)‖² ≤ e^{−2μt}‖r(0)‖²: SymPy solves the comparison ODE."""
    t, mu, E0 = sp.symbols("t mu E0", positive=True)
    E = sp.Function("E")
    sol = sp.dsolve(sp.Eq(E(t).diff(t), -2 * mu * E(t)), E(t), ics={E(0): E0})
    return sol.rhs
