"""Property tests for the well-posedness claim (exact flow stopped at its first sliding event)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from proofkit.claims import get_claim

C = get_claim("wellposed")


@settings(database=None, max_examples=6)
@given(C.instances())
def test_check_is_the_first_sliding_time(inst):
    assert C.premises_hold(inst)
    chk = C.check(inst, 20)
    assert 0.0 <= chk.lhs <= chk.rhs
    assert chk.holds == (chk.extra["status"] == "completed")
    assert C.check(inst, 20).lhs == chk.lhs  # deterministic


@settings(database=None, max_examples=3)
@given(C.instances(drop="no_tie"))
def test_dropping_no_tie_starts_on_a_surface(inst):
    x = inst["problem"].host()[0]
    assert np.any(np.asarray(inst["W"]) @ x.T == 0)
    chk = C.check(inst, 20)  # a start on a surface is classified, never an exception
    assert chk.extra["status"] in ("sliding", "completed", "nonunique")


def test_a_run_out_of_events_is_undecided_not_a_counterexample(monkeypatch):
    import pytest

    import lemmas.wellposed as wp
    from proofkit.trial import try_instance

    inst = C.example(n=3, d=4, k=1, m=50, seed=1)
    monkeypatch.setattr(wp, "CHECK_EVENTS", 1)
    first = wp._first(inst)
    assert first["status"] == "max_events" and first["t_reached"] < wp.horizon(inst["problem"])
    with pytest.raises(wp.Undecided, match="max_events"):
        C.check(inst, 20)
    trial = try_instance(C, inst)  # recorded as a check error, never as a failed check
    assert trial.check is None and not trial.rejected and "Undecided" in trial.error

