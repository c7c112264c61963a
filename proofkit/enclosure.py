"""The upper end and the tight lower end of a certified λmin enclosure (ball arithmetic).

Used by :mod:`proofkit.precision`.  For a symmetric ``H`` given as an ``arb_mat`` (every
matrix inside its balls is covered) and a float64 vector ``v``:

- **Rayleigh**: ``λmin(H) ≤ ρ = vᵀHv / vᵀv`` for every v ≠ 0, so the upper end of the ρ
  ball is a proved upper bound.
- **Kato–Temple**: if ``β ≤ λ₂(H)`` is proved and ``β > ρ``, then
  ``λmin(H) ≥ ρ − ε²/(β − ρ)`` with ``ε² = ‖Hv − ρv‖² / ‖v‖²``.  For the float eigenvector
  ε ≈ eps·‖H‖, so the lower end is off by O(eps²‖H‖²/(λ₂ − λ₁)): the enclosure is tight
  even when λmin is far below the float rounding level ``N·eps·‖H‖``.
- **β** comes from Gershgorin on ``G = QᵀHQ``: when disc 0 is disjoint from the union of
  the others, that union holds λ₂(G), …, λ_N(G); Ostrowski (``λ_k(QᵀHQ) = θ_k λ_k(H)``,
  ``θ_k ∈ [1 − φ, 1 + φ]``, ``φ ≥ ‖QᵀQ − I‖``) carries the bound to λ₂(H).
"""

from __future__ import annotations

import math

__all__ = ["gershgorin", "kato_temple_lower", "rayleigh"]


def _down(a) -> float:
    """A float ≤ every point of the arb ball ``a``."""
    return math.nextafter(float(a.lower().mid()), -math.inf)


def _up(a) -> float:
    """A float ≥ every point of the arb ball ``a``."""
    return math.nextafter(float(a.upper().mid()), math.inf)


def _mid_numpy(M):
    import numpy as np

    return np.array([[float(v.mid()) for v in row] for row in M.tolist()])


def gershgorin(G) -> tuple[list, list]:
    """Per row i of the arb matrix G: balls ``G_ii − R_i`` and ``G_ii + R_i`` (R_i = Σ_j≠i |G_ij|)."""
    import flint

    lows, highs = [], []
    for i, row in enumerate(G.tolist()):
        off = flint.arb(0)
        for j, v in enumerate(row):
            if j != i:
                off += abs(v)
        lows.append(row[i] - off)
        highs.append(row[i] + off)
    return lows, highs


def rayleigh(A, v) -> tuple:
    """``(ρ, ε²)`` as arb balls for the arb matrix A and float vector v (N,)."""
    import flint

    va = flint.arb_mat([[float(t)] for t in v])
    Av = A * va
    vv = (va.transpose() * va)[0, 0]
    rho = (va.transpose() * Av)[0, 0] / vv
    r = Av - va * rho
    return rho, (r.transpose() * r)[0, 0] / vv


def kato_temple_lower(rho, eps2, lows, highs, phi: float) -> tuple[float, str]:
    """A proved lower bound on λmin from Kato–Temple, or ``(-inf, why not)``.

    ``lows``/``highs`` are the Gershgorin ends of ``G = QᵀHQ`` (column 0 of Q the
    eigenvector of λmin) and ``φ ≥ ‖QᵀQ − I‖`` (< 1).
    """
    import flint

    if len(lows) < 2:
        return _down(rho), "N = 1: λmin = ρ"
    beta_g = min(lows[1:], key=_down)
    if not _up(highs[0]) < _down(beta_g):
        return -math.inf, "Gershgorin disc 0 of QᵀHQ overlaps the others (clustered λ₁, λ₂)"
    bg = flint.arb(_down(beta_g))
    beta = flint.arb(_down(bg / (1 + flint.arb(phi)) if bg >= 0 else bg / (1 - flint.arb(phi))))
    gap = beta - rho
    if not gap > 0:
        return -math.inf, f"λ₂ ≥ {float(beta.mid()):.3g} is not above ρ"
    lo = rho - eps2 / gap
    return _down(lo), (f"Kato–Temple with λ₂(H) ≥ β = {float(beta.mid()):.6g}: "
                       f"λmin ≥ ρ − ε²/(β − ρ), ε² ≤ {_up(eps2):.3g}")
