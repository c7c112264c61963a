"""Numerical routes of the claim ``theorem1_limit``: quadrature, Monte Carlo, instances, search.

* :func:`quadrature_g`: g_ij by mpmath quadrature (route (b), independent of the closed form);
* :func:`monte_carlo_drift`: E[δ(wᵀx_i)(x_iᵀu(w))V_iᵀw] by exact conditional sampling of w_⊥;
* :func:`instances`: the Hypothesis strategy of the claim (close pairs, frames tilted towards
  the other points, targets (y, h) giving the residual direction);
* :func:`targeted_search`: drives the margin down with ``hypothesis.target``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from proofkit.limit import limit_margin
from proofkit.problem import SobolevProblem

__all__ = ["instances", "monte_carlo_drift", "quadrature_g", "targeted_search"]


def quadrature_g(problem, i: int, j: int, dps: int = 30):
    """g_ij by mpmath quadrature: E[1{w_⊥ᵀx_j > 0} V_iᵀw_⊥]/√(2π) in the plane of a = P x_j.

    With a = (I − x_ix_iᵀ)x_j, b_l = (I − x_ix_iᵀ)v_l, g ~ N(0, I): bᵀg = β₁u + β₂v with
    u = âᵀg; the indicator is 1{u > 0}; the plane integral factorises into four 1D Gaussian
    integrals, each done by ``mpmath.quad``.
    """
    x, _, V, _ = problem.host()
    with mpmath.workdps(dps):
        xi = mpmath.matrix([mpmath.mpf(float(t)) for t in x[i]])
        xj = mpmath.matrix([mpmath.mpf(float(t)) for t in x[j]])
        a = xj - xi * (xi.T * xj)[0]
        na = mpmath.norm(a)
        ah = a / na

        def phi(t):
            return mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi)

        out = []
        for l in range(problem.k):
            v = mpmath.matrix([mpmath.mpf(float(t)) for t in V[i][:, l]])
            b = v - xi * (xi.T * v)[0]
            b1 = (b.T * ah)[0]
            b2 = mpmath.norm(b - ah * b1)
            # the plane integral factorises: ∫₀^∞∫(β₁u + β₂v)φ(u)φ(v) = β₁ I₁ I₂ + β₂ I₀ I₃
            i0 = mpmath.quad(phi, [0, mpmath.inf])
            i1 = mpmath.quad(lambda t: t * phi(t), [0, mpmath.inf])
            i2 = mpmath.quad(phi, [-mpmath.inf, 0, mpmath.inf])
            i3 = mpmath.quad(lambda t: t * phi(t), [-mpmath.inf, 0, mpmath.inf])
            val = b1 * i1 * i2 + b2 * i0 * i3
            out.append(val / mpmath.sqrt(2 * mpmath.pi))
        return out


def monte_carlo_drift(problem, r, samples: int, seed: int = 0):
    """E[δ(wᵀx_i)(x_iᵀu(w)) V_iᵀw] for each i by exact conditional sampling of w_⊥, j ≠ i.

    Returns ``(mean (n, k), standard_error (n, k))``; the closed form is ``(D r)_S``.
    """
    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    r = np.asarray(r, dtype=float)
    e, S = r[:n], r[n:].reshape(n, k)
    U = e[:, None] * x + np.einsum("jdk,jk->jd", V, S)  # X̂_j r_j (n, d)
    rng = np.random.default_rng(seed)
    mean, se = np.zeros((n, k)), np.zeros((n, k))
    for i in range(n):
        g = rng.standard_normal((samples, problem.d))
        w = g - np.outer(g @ x[i], x[i])  # w_⊥: wᵀx_i = 0
        act = (w @ x.T > 0).astype(float)
        act[:, i] = 0.0  # the self term averages to 0 (step limit.self_term)
        speed = act @ (U @ x[i])  # x_iᵀu(w)
        vals = speed[:, None] * (w @ V[i]) / math.sqrt(2 * math.pi)
        mean[i], se[i] = vals.mean(0), vals.std(0) / math.sqrt(samples)
    return mean, se


def _frame(rng_vals, x, i, j, tilt, keep, k):
    d = x.shape[1]
    A = np.asarray(rng_vals, dtype=float).reshape(d, k)
    towards = x[j] - (x[j] @ x[i]) * x[i]
    A[:, 0] += tilt * towards / max(np.linalg.norm(towards), 1e-12)
    A -= (1.0 - keep) * np.outer(x[i], x[i] @ A)
    Q, R = np.linalg.qr(A)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


@st.composite
def instances(draw, drop=None):
    fl = st.floats(-1.0, 1.0, allow_nan=False, width=64)
    n = draw(st.integers(2, 4))
    k = draw(st.integers(1, 2))
    d = draw(st.integers(k + 1, 5))
    x = np.array(draw(st.lists(fl, min_size=n * d, max_size=n * d))).reshape(n, d)
    x += np.eye(n, d) * 2.0  # shrinks to well separated axis points
    if draw(st.booleans()):  # a close pair: the hard place
        eps = draw(st.floats(1e-3, 0.5))
        u = np.array(draw(st.lists(fl, min_size=d, max_size=d))) + np.eye(1, d, 1)[0]
        assume(np.linalg.norm(x[0]) > 1e-6 and np.linalg.norm(u) > 1e-6)
        x[1] = x[0] / np.linalg.norm(x[0]) + eps * u / np.linalg.norm(u)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    assume(bool(np.all(norms > 1e-6)))
    x /= norms
    V = np.empty((n, d, k))
    for i in range(n):
        j = draw(st.integers(0, n - 1).filter(lambda q, i=i: q != i))
        tilt = draw(st.floats(0.0, 6.0))
        keep = draw(st.floats(0.0, 0.5)) if drop == "assumption1" else draw(st.floats(0.0, 0.3))
        vals = draw(st.lists(fl, min_size=d * k, max_size=d * k))
        V[i] = _frame(np.array(vals) + np.eye(d, k, 1).ravel(), x, i, j, tilt, keep, k)
    y = np.array(draw(st.lists(fl, min_size=n, max_size=n)))
    h = np.array(draw(st.lists(fl, min_size=n * k, max_size=n * k))).reshape(n, k)
    p = SobolevProblem(x, y, V, h)
    assume(p.delta1 >= 1e-6 and bool(np.any(y) or np.any(h)))
    return {"problem": p}


def targeted_search(max_examples: int = 200, seed: int = 0):
    """Drive the float64 margin down over the claim's instances (premises held) with
    ``hypothesis.target``, without stopping at the first failure (``proofkit search`` stops
    there and shrinks towards a simple, barely failing instance).

    Returns ``(instance, margin, evaluations)`` for the smallest margin seen.
    """
    import hypothesis
    from hypothesis import Phase

    from proofkit.trial import run_seeded

    best: list = [math.inf, None]
    count = [0]

    def body(inst):
        p = inst["problem"]
        assume(p.satisfies_assumption1())
        mu = limit_margin(p)["margin"]
        count[0] += 1
        hypothesis.target(-mu, label="negative margin")
        if mu < best[0]:
            best[:] = [mu, inst]

    # seed-only draws: the same instances under pytest, the CLI and any --jobs
    run_seeded(instances(None), body, seed, max_examples=max_examples, database=None,
               phases=(Phase.generate, Phase.target))
    return best[1], best[0], count[0]
