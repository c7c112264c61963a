"""`proofkit list` and `proofkit check` over the whole registry."""

import json

import pytest

from proofkit.claims import Verdict, all_claims
from proofkit.cli import main

REQUIRED = {"lemma1", "lemma2", "lemma3", "lemma4", "lemma5", "lemma6", "prop1", "prop2", "prop3",
            "theorem1", "theorem2", "theorem3"}
STEP_MODULES = {"eq14", "section21", "section32"}


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_list_json_has_every_claim_with_a_location_and_steps(capsys):
    claims = {c["id"]: c for c in _json(capsys, ["list", "--json"])["claims"]}
    assert REQUIRED | STEP_MODULES <= set(claims)
    assert set(claims) == set(all_claims())
    for c in claims.values():
        assert c["location"] and c["steps"], c["id"]
        assert set(c["depends_on"]) <= set(claims), c["id"]
        assert isinstance(c["premises"], list)


@pytest.mark.parametrize("claim_id", sorted(all_claims()))
def test_check_json_reports_every_step(capsys, claim_id):
    out = _json(capsys, ["check", claim_id, "--n", "3", "--d", "4", "--k", "1", "--m", "60",
                         "--json"])
    assert out["id"] == claim_id
    assert out["verdict"] in {v.value for v in Verdict}
    assert [s["id"] for s in out["steps"]] == [s.id for s in all_claims()[claim_id].steps]
    for s in out["steps"]:
        assert {"verdict", "paper", "derived", "detail"} <= set(s)
        assert s["verdict"] in {v.value for v in Verdict}
        assert s["paper"]
    assert {"holds", "lhs", "rhs", "slack", "ratio"} <= set(out["check"])
    assert out["instance"] == {"n": 3, "d": 4, "k": 1, "m": 60, "seed": 0, "dps": 30}


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["check", "lemma99"], "unknown claim 'lemma99'"),
        (["check", "lemma6", "--k", "5", "--d", "5"], "--k 5"),
        (["check", "lemma6", "--dps", "3"], "--dps 3"),
        (["check", "lemma6", "--n", "0"], "--n 0"),
    ],
)
def test_bad_check_arguments_exit_2_with_one_line(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


@pytest.mark.parametrize("argv", [["nope"], ["audit", "--budget", "huge"], ["check"],
                                  ["flow", "--m", "ten"]])
def test_usage_errors_are_one_line_with_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error:" in err[0]
