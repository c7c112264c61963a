"""Property tests for Proposition 2 (block Hadamard Schur bound with commuting blocks)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from lemmas.prop2 import block_hadamard, blocks_commute, non_commuting_counterexample
from proofkit.claims import Context, Verdict, get_claim

C = get_claim("prop2")


@settings(database=None)
@given(C.instances())
def test_product_is_symmetric_and_order_free(inst):
    A, B, p = np.asarray(inst["A"]), np.asarray(inst["B"]), inst["p"]
    AB, BA = block_hadamard(A, B, p), block_hadamard(B, A, p)
    scale = max(1.0, float(np.abs(AB).max()))
    assert np.abs(AB - BA).max() <= 1e-10 * scale and np.abs(AB - AB.T).max() <= 1e-10 * scale


@settings(database=None, max_examples=5)
@given(C.instances())
def test_bound_step_verified_on_instances(inst):
    out = next(s for s in C.steps if s.id == "prop2.bound").derive(Context(inst, dps=20))
    assert out.verdict == Verdict.VERIFIED


def test_commuting_premise_is_necessary():
    cex = non_commuting_counterexample(0)
    assert cex is not None
    A, B = cex["A"], cex["B"]
    assert not blocks_commute(A, B, 2)
    ev = np.linalg.eigvals(block_hadamard(A, B, 2))
    assert ev.real.min() < 0 < cex["bound"]  # the bound fails, and not by rounding


@settings(database=None)
@given(C.instances(drop="commuting"))
def test_without_commuting_the_product_is_not_even_symmetric(inst):
    A, B, p = np.asarray(inst["A"]), np.asarray(inst["B"]), inst["p"]
    if not blocks_commute(A, B, p):
        AB = block_hadamard(A, B, p)
        assert np.abs(AB - block_hadamard(B, A, p)).max() > 0


@settings(database=None)
@given(C.instances())
def test_statement_agrees_with_check_off_ties(inst):
    chk = C.check(inst, 30)
    if not chk.extra.get("tie"):
        assert C.statement_holds(inst) == chk.holds


def test_dropping_psd_gives_a_counterexample():
    # commuting blocks kept, A shifted to be indefinite: the bound fails (premise necessary)
    from hypothesis import find

    inst = find(C.instances(drop="psd"), lambda i: not C.check(i, 30).holds,
                settings=settings(database=None, max_examples=50))
    assert C.premises_hold(inst, drop="psd") and not C.premises[0].holds(inst)
