"""Property tests for Theorem 3 (matrix Chernoff as used)."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from proofkit.claims import Context, Verdict, get_claim
from proofkit.testing import scaled_examples

CLAIM = get_claim("theorem3")


@given(st.floats(0.001, 1.0), st.floats(0.01, 50.0))
def test_tropp_form_is_below_the_stated_form(eps, mu_over_L):
    # independent route: evaluate both tails directly
    tropp = (math.exp(-(1 - eps)) / eps**eps) ** mu_over_L
    stated = math.exp(-((1 - eps) ** 2) * mu_over_L / 2)
    assert tropp <= stated * (1 + 1e-12)


def test_form_step_verified():
    ex = CLAIM.example(n=3, d=4, k=1, m=10, seed=0)
    for s in CLAIM.steps:
        assert s.derive(Context(ex)).verdict is Verdict.VERIFIED


@settings(database=None, max_examples=scaled_examples(3))
@given(CLAIM.instances(drop="L_bound"))
def test_dropping_the_L_bound_breaks_it(inst):
    assert not CLAIM.premises_hold(inst)
    assert not CLAIM.check(inst, 30).holds
