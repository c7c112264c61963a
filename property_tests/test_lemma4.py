"""Property tests for Lemma 4."""

import math

import numpy as np
from hypothesis import given, settings

from lemmas import lemma4 as mod
from proofkit.claims import Context, Verdict, get_claim
from proofkit.testing import scaled_examples

CLAIM = get_claim("lemma4")


def _step(sid):
    return next(s for s in CLAIM.steps if s.id == sid)


@settings(database=None, max_examples=scaled_examples(8))
@given(CLAIM.instances())
def test_radius_part(inst):
    # the event premise holds by construction; the width premise is not required here
    chk = CLAIM.check(inst, 30)
    assert chk.extra["max_move_over_R"] <= 1.0
    assert chk.extra["max_move"] <= chk.extra["R_tight"]  # the √(2k)-smaller radius suffices


@settings(database=None)
@given(CLAIM.instances(drop="event"))
def test_velocity_chain_with_derived_constant(inst):
    # ‖ẇ_r(0)‖ ≤ line 3 ≤ √2·max(1,√k)·√(n/m)(‖e0‖ + ‖S0‖), for every k including 0
    p, W, a = inst["problem"], inst["W"], inst["a"]
    g, line3, spec, e, S = mod.velocity_sides(p, W, a)
    c = math.sqrt(2) * max(1.0, math.sqrt(p.k)) * math.sqrt(p.n / W.shape[0])
    r0 = np.linalg.norm(e) + np.linalg.norm(S)
    assert np.all(g <= line3 + 1e-12) and np.all(g <= spec + 1e-12)
    assert np.max(line3) <= c * r0 + 1e-12
    assert np.max(spec) <= math.sqrt(2 * p.n / W.shape[0]) * r0 + 1e-12


def test_step_verdicts_by_k():
    for k, want in ((0, Verdict.ERROR), (1, Verdict.LOOSE), (2, Verdict.LOOSE)):
        ex = CLAIM.example(n=3, d=4, k=k, m=100, seed=0)
        assert _step("lemma4.velocity_line4").derive(Context(ex)).verdict is want
    ex = CLAIM.example(n=3, d=4, k=2, m=100, seed=0)
    for sid in ("lemma4.weyl", "lemma4.integral"):
        assert _step(sid).derive(Context(ex)).verdict is Verdict.VERIFIED


def test_gronwall_counterexample_on_the_lemma2_event():
    # n = 4, d = 5, k = 2, m = 200, seed 0: λmin(H(0)) ≥ 3λ*/4, yet upward jumps of
    # ‖e‖² + ‖S‖² at activation changes push it above e^(−λ*t)‖r(0)‖² before τ0.
    ex = CLAIM.example(n=4, d=5, k=2, m=200, seed=0)
    assert CLAIM.premises[1].holds(ex)  # the event
    out = _step("lemma4.gronwall").derive(Context(ex))
    assert out.verdict is Verdict.ERROR
    assert out.evidence["max_ratio_before_tau0"] > 1.0
    assert len(out.evidence["positive_jumps"]) >= 1


@settings(database=None, max_examples=scaled_examples(4))
@given(CLAIM.instances(drop="k_ge_1"))
def test_dropping_k_ge_1_makes_R_zero(inst):
    chk = CLAIM.check(inst, 30)
    assert chk.extra["R"] == 0.0 and not chk.holds


@settings(database=None, max_examples=scaled_examples(3))
@given(CLAIM.instances())
def test_instances_satisfy_the_width_premise(inst):
    # m is computed from λ* of the drawn problem: every premise holds on every draw
    assert CLAIM.premises_hold(inst)
    assert inst["m"] == inst["W"].shape[0] >= mod.required_width(inst["problem"], inst["delta"])


@settings(database=None, max_examples=scaled_examples(3))
@given(CLAIM.instances(drop="width"))
def test_dropping_width_draws_narrower_networks(inst):
    assert not CLAIM.premises[0].holds(inst) and CLAIM.premises_hold(inst, drop="width")
