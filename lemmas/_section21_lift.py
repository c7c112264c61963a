"""The biased network (10) and its lifting (12) as the Sec. 2.1 claims use them: instances,
examples and the two mpmath routes of the loss (11) (``section21``, ``theorem2``)."""

from __future__ import annotations

from functools import partial

import mpmath
import numpy as np
from hypothesis import strategies as st

from proofkit.claims import Premise
from proofkit.network import (
    biased_loss,
    init_biased_network,
    sobolev_loss,
)
from proofkit.problem import lift_bias, random_problem
from proofkit.strategies import sobolev_problems


def _lifted_weights(inst) -> np.ndarray:
    return np.column_stack([np.asarray(inst["W"]), np.asarray(inst["b"])])


def _sides(inst, dps: int):
    p, q = inst["problem"], lift_bias(inst["problem"])
    W, b, a = np.asarray(inst["W"]), np.asarray(inst["b"]), np.asarray(inst["a"])
    lhs = float(biased_loss(p, W, b, a))
    Wl = _lifted_weights(inst)
    rhs = float(sobolev_loss(q, Wl, a))
    x, y, V, h = p.host()
    with mpmath.workdps(dps):
        am = 1 / (2 * mpmath.mpf(p.k))
        bm = mpmath.sqrt(1 - am * am)
        Wm = [[mpmath.mpf(float(v)) for v in row] for row in W]
        bmv = [mpmath.mpf(float(v)) for v in b]
        amv = [mpmath.mpf(float(v)) for v in a]

        def loss_biased():
            tot = mpmath.mpf(0)
            for i in range(p.n):
                xi = [mpmath.mpf(float(v)) for v in x[i]]
                z = [am * mpmath.fsum(wr * xv for wr, xv in zip(Wm[r], xi, strict=True))
                     + bm * bmv[r] for r in range(len(Wm))]
                g = mpmath.fsum(amv[r] * max(z[r], 0) for r in range(len(Wm)))
                tot += (g - mpmath.mpf(float(y[i]))) ** 2
                grad = [am * mpmath.fsum(amv[r] * Wm[r][c] for r in range(len(Wm)) if z[r] > 0)
                        for c in range(p.d)]
                for j in range(p.k):
                    vg = mpmath.fsum(mpmath.mpf(float(V[i][c][j])) * grad[c] for c in range(p.d))
                    tot += ((vg - mpmath.mpf(float(h[i][j]))) / am) ** 2
            return tot / 2

        lhs_mp = loss_biased()
    with mpmath.workdps(dps):
        ql = q.host()

        def loss_lifted():
            tot = mpmath.mpf(0)
            for i in range(q.n):
                xi = [mpmath.mpf(float(v)) for v in ql[0][i]]
                z = [mpmath.fsum(mpmath.mpf(float(w)) * xv for w, xv in zip(Wl[r], xi, strict=True))
                     for r in range(Wl.shape[0])]
                f = mpmath.fsum(mpmath.mpf(float(a[r])) * max(z[r], 0) for r in range(len(z)))
                tot += (f - mpmath.mpf(float(ql[1][i]))) ** 2
                grad = [mpmath.fsum(mpmath.mpf(float(a[r])) * mpmath.mpf(float(Wl[r][c]))
                                    for r in range(len(z)) if z[r] > 0) for c in range(q.d)]
                for j in range(q.k):
                    vg = mpmath.fsum(mpmath.mpf(float(ql[2][i][c][j])) * grad[c]
                                     for c in range(q.d))
                    tot += (vg - mpmath.mpf(float(ql[3][i][j]))) ** 2
            return tot / 2

        rhs_mp = loss_lifted()
    return lhs, rhs, lhs_mp, rhs_mp


def biased_instance(problem, m: int, seed: int, **extra):
    """An instance of the biased network (10): the data and initialisation of Theorem 2."""
    net = init_biased_network(m, problem.d, seed=seed)
    return {"problem": problem, "W": net.W, "b": net.b, "a": net.a, "m": m, "seed": seed} | extra


def k_positive(why: str):
    """The Sec. 2.1 claims' premise k ≥ 1, which cannot be dropped (``why`` says why, per claim)."""
    return Premise("k_positive", "k ≥ 1 (α = 1/(2k))", lambda inst: inst["problem"].k >= 1,
                   droppable=False, why=why)


def biased_instances(*, drop: str | None = None, **extra):
    """Hypothesis instances under Assumption 2 for the Sec. 2.1 claims (section21, theorem2).

    ``k_positive`` cannot be dropped (:func:`k_positive`); ``separation`` can.
    """
    probs = sobolev_problems(n=(2, 4), d=(3, 5), k=(1, 2), separation=0.05, assumption=2,
                             drop=drop)
    return st.builds(partial(biased_instance, **extra), probs, st.integers(5, 40),
                     st.integers(0, 2**31 - 1))


def biased_example(*, n: int, d: int, k: int, m: int = 200, seed: int = 0, **extra):
    p = random_problem(max(n, 2), d, max(k, 1), separation=0.1, assumption=2, seed=seed)
    return biased_instance(p, m, seed, **extra)
