"""Property tests for eq14 (Sec. 3, residual dynamics (14))."""

import numpy as np
from hypothesis import assume, given, settings

from lemmas import eq14 as mod
from proofkit.backend import tolerance
from proofkit.claims import Context, Verdict, get_claim
from proofkit.kernels import empirical_kernel, naive_empirical_kernel
from proofkit.network import init_network
from proofkit.problem import random_problem
from proofkit.testing import scaled_examples

CLAIM = get_claim("eq14")


@settings(database=None)
@given(CLAIM.instances())
def test_fd_gram_matches_naive_kernel(inst):
    # an independent route: H from the central-difference Jacobian vs the explicit Ω_r sum
    p, W, a = inst["problem"], inst["W"], inst["a"]
    assume(mod.min_margin(p, W) > 1e-6)  # central differences lose eps/h digits near a tie
    J = mod.fd_jacobian(p, W, a)
    H = naive_empirical_kernel(p, W, a)
    assert np.allclose(J @ J.T, H, atol=tolerance(factor=1e3, power=0.5))
    assert np.allclose(np.asarray(empirical_kernel(p, W, a)), H, atol=1e-12)


@settings(database=None, max_examples=scaled_examples(8))
@given(CLAIM.instances())
def test_step_verdicts_stable(inst):
    ctx = Context(inst)
    steps = {s.id: s for s in CLAIM.steps}
    assert steps["eq14.dynamics"].derive(ctx).verdict is Verdict.VERIFIED
    assert steps["eq14.df_dt"].derive(ctx).verdict is Verdict.VERIFIED
    out = steps["eq14.continuity"].derive(ctx)
    if out.verdict is Verdict.ERROR:
        # the measured jump of S_i is |a_r| ‖V_iᵀw_r‖ at the crossing, and f is continuous
        ev = out.evidence
        assert inst["problem"].k >= 1
        assert np.isclose(ev["jump_S"], ev["jump_S_formula"], rtol=1e-6)
        assert ev["jump_e"] < 1e-6 * max(1.0, ev["jump_S"]) + 1e-9


def test_k0_has_no_jump_and_k2_example_jumps():
    p0 = random_problem(4, 5, 0, seed=0)
    W, a = init_network(200, 5, seed=1)
    jp = mod.pattern_jump(p0, W, a)
    assert jp is None or jp["jump_S"] == 0.0
    ex = CLAIM.example(n=4, d=5, k=2, m=200, seed=0)
    out = next(s for s in CLAIM.steps if s.id == "eq14.continuity").derive(Context(ex))
    assert out.verdict is Verdict.ERROR and out.evidence["jump_S"] > 1e-3


@settings(database=None, max_examples=scaled_examples(10))
@given(CLAIM.instances(drop="no_tie"))
def test_dropping_no_tie_makes_the_rate_undefined(inst):
    # premise necessary for the derivative to exist: at an exact tie the step declines
    ctx = Context(inst)
    step = next(s for s in CLAIM.steps if s.id == "eq14.dynamics")
    verdict = step.derive(ctx).verdict
    if mod.min_margin(inst["problem"], inst["W"]) <= mod.TIE:
        assert verdict is Verdict.INCONCLUSIVE
    else:
        assert verdict is Verdict.VERIFIED
