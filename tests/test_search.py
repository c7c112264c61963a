"""Counterexample search, the counterexample file, bit-for-bit replay and its error paths."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from proofkit import cli
from proofkit.claims import _REGISTRY as REGISTRY
from proofkit.claims import Claim, Outcome, Premise, Step, Verdict, all_claims
from proofkit.evidence import compare
from proofkit.instance_io import decode_instance, encode_instance
from proofkit.search import load_counterexample, replay, search
from proofkit.strategies import sobolev_problems


def _k_delta2(problem) -> float:
    # independent route: max_ij |v_ijᵀ x_i| from the raw arrays, times k
    x, _, V, _ = problem.host()
    return problem.k * float(np.max(np.abs(np.einsum("id,idk->ik", x, V))))


def _toy() -> Claim:
    """Lemma 6's "1 − kδ2 > 0": true under δ2 < 1/k, false without it (a necessary premise)."""

    def check(inst, dps):
        p = inst["problem"]
        return compare(p.k * p.delta2, 1.0, relation="<", lhs_mp=p.k * p.delta2, rhs_mp=1,
                       dps=dps)

    def instances(*, drop=None):
        return sobolev_problems(n=(1, 3), d=(4, 5), k=(2, 3), separation=0.0, drop=drop).map(
            lambda p: {"problem": p, "label": "toy"})

    k, d2 = sp.symbols("k delta_2", positive=True)
    return Claim(
        id="toy_positivity", title="toy", location="tests", kind="lemma",
        premises=(Premise("delta2", "δ2 < 1/k",
                          lambda i: i["problem"].delta2 < 1.0 / max(i["problem"].k, 1)),),
        depends_on=(), statement=lambda: sp.StrictGreaterThan(1 - k * d2, 0),
        bind=lambda i: {"k": i["problem"].k, "delta_2": i["problem"].delta2},
        steps=(Step("toy_positivity.s", "tests", "1 - k\\delta_2 > 0",
                    lambda ctx: Outcome(Verdict.INCONCLUSIVE, "", "test claim")),),
        check=check, instances=instances, example=lambda **kw: None)


@pytest.fixture(scope="module")
def toy():
    all_claims()  # load the registry first, then add the toy for this module only
    c = _toy()
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(REGISTRY, c.id, c)
        yield c


@pytest.fixture(scope="module")
def toy_file(toy, tmp_path_factory):
    """One counterexample file of the toy claim, shared by the error-path tests."""
    out = tmp_path_factory.mktemp("cx") / "toy.json"
    assert search(toy, "delta2", max_examples=10, seed=1, out=out, refine_evals=0,
                  database=None).found
    return out


def test_search_finds_refines_and_replays_bit_for_bit(toy, tmp_path, capsys):
    out = tmp_path / "cx" / "toy.json"
    r = search(toy, "delta2", max_examples=40, seed=3, out=out, refine_evals=60)
    assert r.found and not r.marginal and r.file == str(out) and r.found_by == "hypothesis"
    assert r.worst_slack < 0
    assert r.refinement["slack_after"] <= r.refinement["slack_before"]
    data = load_counterexample(out)
    assert data["claim"] == toy.id and data["drop_premise"] == "delta2"
    assert [(p["name"], p["dropped"], p["holds"]) for p in data["premises"]] == [
        ("delta2", True, False)]
    assert data["search"]["seed"] == 3 and data["environment"]["versions"]["python"]
    inst = decode_instance(data["instance"])
    # the stored instance violates the claim by an independent computation, and the stored
    # left side is exactly that number
    assert _k_delta2(inst["problem"]) >= 1.0
    assert data["check"]["lhs"] == inst["problem"].k * inst["problem"].delta2
    assert float.fromhex(data["check_hex"]["slack"]) == data["check"]["slack"] == r.worst_slack
    # the Hypothesis example database lives beside the output
    assert any((tmp_path / "cx" / ".hypothesis-db").iterdir())
    rep = replay(out)
    assert rep.reproduced and rep.mismatches == ()
    assert cli.main(["replay", str(out)]) == 0
    assert "reproduced bit for bit" in capsys.readouterr().out


def test_search_under_all_premises_finds_nothing(toy):
    r = search(toy, None, max_examples=30, seed=0, out=None, refine_evals=30)
    assert not r.found and r.evaluations > 0 and r.held == r.evaluations
    assert r.worst_slack > 0


def test_replay_detects_a_changed_number(toy_file, tmp_path, capsys):
    out = tmp_path / "toy.json"
    data = json.loads(toy_file.read_text())
    data["check"]["lhs"] = math.nextafter(data["check"]["lhs"], math.inf)  # one ulp
    out.write_text(json.dumps(data))
    assert not replay(out).reproduced
    assert cli.main(["replay", str(out)]) == 1
    assert "NOT reproduced" in capsys.readouterr().out


def test_lemma6_counterexample_replays_in_a_fresh_process(tmp_path):
    out = tmp_path / "lemma6.json"
    cmd = [sys.executable, "-m", "proofkit"]
    s = subprocess.run([*cmd, "search", "lemma6", "--drop-premise", "delta2", "--max-examples",
                        "25", "--seed", "0", "--refine-evals", "30", "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert s.returncode == 0, s.stderr
    if not out.exists():  # nothing failed: then the output says so
        assert "no counterexample found" in s.stdout
        return
    r = subprocess.run([*cmd, "replay", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reproduced bit for bit" in r.stdout


def _one_line_exit_2(capsys, argv) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("proofkit: error:")
    assert "Traceback" not in err
    return err


def test_corrupted_or_foreign_files_exit_2(toy_file, tmp_path, capsys):
    good = toy_file
    data = json.loads(good.read_text())
    cases = {
        "truncated.json": good.read_text()[:200],
        "foreign.json": json.dumps({"name": "not ours", "values": [1, 2]}),
        "list.json": "[1, 2, 3]",
        "claim.json": json.dumps(data | {"claim": "no_such_claim"}),
        "premise.json": json.dumps(data | {"drop_premise": "nonsense"}),
        "dps.json": json.dumps(data | {"dps": "thirty"}),
    }
    bad_x = json.loads(good.read_text())
    bad_x["instance"]["values"]["problem"]["data"]["x"] = "abc"
    cases["instance.json"] = json.dumps(bad_x)
    bad_tag = json.loads(good.read_text())
    bad_tag["instance"]["values"]["problem"]["__type__"] = "Pickle"
    cases["tag.json"] = json.dumps(bad_tag)
    expect = {"truncated.json": "not valid JSON", "foreign.json": "'schema'",
              "list.json": "JSON object", "claim.json": "'claim'",
              "premise.json": "'drop_premise'", "dps.json": "'dps'",
              "instance.json": "instance.values.problem", "tag.json": "__type__"}
    for name, text in cases.items():
        p = tmp_path / name
        p.write_text(text)
        err = _one_line_exit_2(capsys, ["replay", str(p)])
        assert expect[name] in err, (name, err)
    _one_line_exit_2(capsys, ["replay", str(tmp_path / "missing.json")])


def test_bad_search_usage_exits_2(capsys):
    _one_line_exit_2(capsys, ["search", "no_such_claim"])
    _one_line_exit_2(capsys, ["search", "lemma6", "--drop-premise", "nonsense"])
    _one_line_exit_2(capsys, ["search", "lemma6", "--max-examples", "0"])


_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=30, database=None)
@given(x=_floats, arr=st.lists(_floats, min_size=0, max_size=6), n=st.integers(-2**70, 2**70),
       flag=st.booleans())
def test_instance_encoding_round_trips_bit_for_bit(x, arr, n, flag):
    a = np.array(arr, dtype=np.float64).reshape(len(arr), 1)
    inst = {"x": x, "a": a, "n": n, "flag": flag, "t": (x, "s", None), "ints": np.arange(3)}
    back = decode_instance(json.loads(json.dumps(encode_instance(inst), allow_nan=False)))
    assert np.array([back["x"]]).tobytes() == np.array([x]).tobytes()
    assert back["a"].dtype == a.dtype and back["a"].shape == a.shape
    assert back["a"].tobytes() == a.tobytes()
    assert back["n"] == n and back["flag"] is flag and back["t"][1:] == ("s", None)
    assert back["ints"].tolist() == [0, 1, 2] and back["ints"].dtype == np.arange(3).dtype


def test_refinement_keeps_the_structure_of_an_instance():
    from proofkit.problem import random_problem
    from proofkit.refine import _parameters, _rebuild

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 3))
    inst = {"A": X + X.T, "a": np.array([1.0, -1.0, 1.0]) / np.sqrt(3), "delta": 0.1,
            "z": np.array([0.0, 2.0, -1.0]), "m": 7, "problem": random_problem(3, 4, 2, seed=1)}
    params = _parameters(inst)
    assert {k for k, *_ in params} == {"A", "delta", "z", "problem"}  # a: one magnitude
    size = sum(a.size for _, _, a, _ in params)
    for scale in (0.5, 5.0, 50.0):
        new = _rebuild(inst, params, scale * rng.standard_normal(size))
        assert np.array_equal(new["A"], new["A"].T) and not np.array_equal(new["A"], inst["A"])
        assert new["delta"] > 0 and new["z"][0] == 0.0 and new["m"] == 7
        assert new["a"] is inst["a"]
        x, _, V, _ = new["problem"].host()
        assert np.allclose(np.linalg.norm(x, axis=1), 1.0)
        assert np.allclose(np.einsum("idk,idl->ikl", V, V), np.eye(2))
