"""The verdict vocabulary: gaps carry repairs, conditions propagate, counterexamples say what
they refute, and the shipped schema and docs know every verdict."""

from __future__ import annotations

import itertools
from pathlib import Path

import jsonschema
import pytest

from proofkit.claims import (
    FAILING,
    Outcome,
    Step,
    StepResult,
    Verdict,
    apply_conditions,
    get_claim,
    worst,
)
from proofkit.counterexample import refutes
from proofkit.report.common import VERDICT_ORDER
from proofkit.report.json_report import schema


def test_a_gap_must_state_its_repair():
    with pytest.raises(ValueError, match="repair"):
        Outcome(Verdict.GAP, "", "no repair given")
    assert Outcome(Verdict.GAP, "", "d", repair="use R̄").repair == "use R̄"


def test_order_of_severity_matches_the_documented_order():
    assert tuple(v.value for v in Verdict) == VERDICT_ORDER
    for lo, hi in itertools.pairwise(VERDICT_ORDER):
        assert worst([Verdict(lo), Verdict(hi)]) is Verdict(hi)
    doc = (Path(__file__).parents[1] / "docs" / "verdicts.md").read_text()
    for v in Verdict:
        assert f"| `{v.value}` |" in doc, v


def _res(sid, verdict, repair=""):
    return StepResult(sid, "", verdict, "", "", "detail.", {}, repair)


def _spec(sid, conditions=()):
    return Step(sid, "", "", lambda ctx: None, (), conditions)


@pytest.mark.parametrize("cond", list(Verdict))
def test_a_step_takes_the_verdict_of_a_failing_condition(cond):
    steps = [_res("a", cond, "fix a" if cond is Verdict.GAP else ""), _res("b", Verdict.VERIFIED)]
    out = apply_conditions(steps, [_spec("a"), _spec("b", ("a",))])
    b = out[1]
    if cond in FAILING:
        assert b.verdict is cond and b.inherited_from == "a" and "Relies on a" in b.detail
        assert b.repair == steps[0].repair
    else:  # loose, evidence, inconclusive, verified conditions do not fail in context
        assert b.verdict is Verdict.VERIFIED and b.inherited_from is None
    assert out[0] == steps[0]


def test_unknown_condition_is_rejected():
    import dataclasses

    c = get_claim("section32")
    bad = (*c.steps[:-1], dataclasses.replace(c.steps[-1], conditions=("nope",)))
    with pytest.raises(ValueError, match="nope"):
        dataclasses.replace(c, steps=bad)


def test_what_a_counterexample_refutes():
    lemma4, theorem3 = get_claim("lemma4"), get_claim("theorem3")
    assert not lemma4.probabilistic and "Lemma 2 event" in refutes(lemma4)
    assert "not the 1 − δ statement" in refutes(lemma4)
    assert theorem3.probabilistic and "Clopper–Pearson lower bound exceeds δ" in refutes(theorem3)
    assert "deterministic" in refutes(get_claim("prop3"))


def test_schema_requires_a_repair_for_a_gap():
    step_schema = {"$defs": schema()["$defs"], "$ref": "#/$defs/step"}
    base = {"id": "s", "location": "", "paper": "", "derived": "", "detail": ""}
    v = jsonschema.Draft202012Validator(step_schema)
    for verdict in VERDICT_ORDER:
        assert v.is_valid(base | {"verdict": verdict, "repair": "r"})
    assert not v.is_valid(base | {"verdict": "gap"})
    assert not v.is_valid(base | {"verdict": "gap", "repair": ""})
    assert not v.is_valid(base | {"verdict": "misprint"})
