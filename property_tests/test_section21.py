"""Property tests for Section 2.1 (bias lifting)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings

from lemmas.section21 import delta1_lift_sympy
from proofkit.backend import tolerance
from proofkit.claims import Context, Verdict, get_claim
from proofkit.network import biased_loss_gradient, biased_residuals, loss_gradient, residuals
from proofkit.problem import SobolevProblem, default_alpha, lift_bias

C = get_claim("section21")


@settings(database=None)
@given(C.instances())
def test_lifted_data_meet_the_delta2_bound(inst):
    # δ2(lifted) = α·δ2 ≤ α, attained (up to rounding) when a direction lies in span(x_i)
    q = lift_bias(inst["problem"])
    tol = tolerance(factor=8)
    assert q.delta2 <= default_alpha(q.k) + tol and 1 - q.k * q.delta2 >= 0.5 - q.k * tol


@settings(database=None)
@given(C.instances())
def test_routes_agree_residuals_and_gradients(inst):
    p, q = inst["problem"], lift_bias(inst["problem"])
    W, b, a = (np.asarray(inst[k]) for k in ("W", "b", "a"))
    Wl = np.column_stack([W, b])
    eb, Sb = biased_residuals(p, W, b, a)
    el, Sl = residuals(q, Wl, a)
    gW, gb = biased_loss_gradient(p, W, b, a)
    gl = loss_gradient(q, Wl, a)
    tol = tolerance(factor=1e3) * (1 + float(np.abs(gl).max()) + float(np.abs(Sl).max()))
    assert np.abs(eb - el).max() <= tol and np.abs(Sb - Sl).max() <= tol
    assert np.abs(gW - gl[:, :-1]).max() <= tol and np.abs(gb - gl[:, -1]).max() <= tol


@settings(database=None, max_examples=5)
@given(C.instances())
def test_step_verdicts_are_stable(inst):
    ctx = Context(inst, dps=20)
    got = {s.id: s.derive(ctx).verdict for s in C.steps}
    assert got["section21.bias-dim"] in (Verdict.TYPO, Verdict.VERIFIED)
    assert all(v == Verdict.VERIFIED for k, v in got.items() if k != "section21.bias-dim"), got


@settings(database=None)
@given(C.instances())
def test_lifted_separation_is_alpha_delta1_hat(inst):
    p, q = inst["problem"], lift_bias(inst["problem"])
    al = default_alpha(p.k)
    assert al * p.delta1_hat <= 2 * math.sqrt(1 - al * al)
    assert abs(q.delta1 - al * p.delta1_hat) <= tolerance(power=0.5)
    assert all(delta1_lift_sympy())


@settings(database=None)
@given(C.instances(drop="separation"))
def test_without_separation_lifted_delta1_vanishes_only_for_equal_points(inst):
    # (13) dropped: equal points stay equal after lifting (δ1 = 0), antipodal ones do not
    p, q = inst["problem"], lift_bias(inst["problem"])
    assert abs(q.delta1 - default_alpha(p.k) * p.delta1_hat) <= tolerance(power=0.5)


def test_antipodal_points_are_separated_after_lifting():
    x = np.array([[1.0, 0, 0], [-1.0, 0, 0]])
    V = np.stack([np.eye(3)[:, [1]], np.eye(3)[:, [2]]])
    p = SobolevProblem(x, np.zeros(2), V, np.zeros((2, 1)))
    assert p.delta1 == 0 and lift_bias(p).delta1 > 0.9  # (7) fails before, holds after
