"""Property tests for Lemma 1."""

import math

import numpy as np
from hypothesis import given, settings

from lemmas import lemma1 as mod
from proofkit.claims import Context, Verdict, get_claim
from proofkit.kernels import point_frames as frames
from proofkit.network import activation_pattern
from proofkit.testing import scaled_examples

CLAIM = get_claim("lemma1")


@settings(database=None)
@given(CLAIM.instances())
def test_hr_lambda_max_matches_explicit_omega(inst):
    p, W, a = inst["problem"], inst["W"], inst["a"]
    Xh = frames(p)
    best = 0.0
    P = np.asarray(activation_pattern(p, W)) > 0  # the same rounding as the engine at ties
    for r in range(W.shape[0]):
        act = P[r]
        cols = [a[r] * Xh[i] for i in range(p.n) if act[i]]
        if cols:
            Om = np.concatenate(cols, axis=1)
            best = max(best, float(np.linalg.eigvalsh(Om.T @ Om)[-1]))
    assert math.isclose(best, mod.hr_lambda_max(p, W, a), rel_tol=1e-10, abs_tol=1e-14)


@settings(database=None, max_examples=scaled_examples(10))
@given(CLAIM.instances())
def test_step_verdicts(inst):
    ctx = Context(inst)
    out = {s.id: s.derive(ctx) for s in CLAIM.steps}
    k = inst["problem"].k
    assert out["lemma1.df"].verdict is Verdict.VERIFIED
    assert out["lemma1.dFbar"].verdict is (Verdict.LOOSE if k >= 2 else Verdict.VERIFIED)
    hr = out["lemma1.Hr"]
    assert hr.verdict in (Verdict.LOOSE, Verdict.VERIFIED)
    assert hr.evidence["max_lambda_Hr"] <= hr.evidence["derived_bound"] * (1 + 1e-12)
    assert (hr.verdict is Verdict.LOOSE) == (k >= 1)


@settings(database=None, max_examples=scaled_examples(10))
@given(CLAIM.instances(drop="a_scale"))
def test_dropping_a_scale_breaks_the_bound_when_a_neuron_is_active(inst):
    p, W = inst["problem"], inst["W"]
    active = bool(np.any(W @ p.host()[0].T > 0))
    assert not CLAIM.premises_hold(inst)
    assert CLAIM.check(inst, 30).holds == (not active)
