"""Same seed and budget, different ``--jobs``: the same audit, apart from timing fields.

Two quick audits of every claim with seed 3 (one on the command line with ``--jobs 2``,
one through the API with ``jobs=1``) must agree on ``audit.json``, ``report.md``,
``appendix.tex`` and every counterexample file once the fields
:data:`~proofkit.audit_budget.TIMING_FIELDS` names (and the invocation fields
:data:`~proofkit.audit_budget.INVOCATION_FIELDS`: the command line and ``jobs``) are set
aside.  Every counterexample file the audit writes must replay bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from proofkit import audit as audit_mod
from proofkit.audit_budget import INVOCATION_FIELDS, TIMING_FIELDS, drop_fields
from proofkit.report import latex, markdown
from proofkit.search import replay

SEED = 3
VOLATILE = TIMING_FIELDS | INVOCATION_FIELDS


@pytest.fixture(scope="module")
def two_audits(tmp_path_factory):
    base = tmp_path_factory.mktemp("repro")
    a, b = base / "jobs2", base / "jobs1"
    proc = subprocess.run([sys.executable, "-m", "proofkit", "audit", "--budget", "quick",
                           "--seed", str(SEED), "--jobs", "2", "--no-figures", "--quiet",
                           "--out", str(a)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    audit_mod.run_audit(b, budget="quick", seed=SEED, jobs=1, progress=False, figures=False,
                        command=["proofkit", "audit", "--jobs", "1"])
    return a, b


def _graft(into, src, names):
    """``into`` with the values of ``src`` at every key in ``names`` (same layout assumed)."""
    if isinstance(into, dict) and isinstance(src, dict):
        return {k: (src[k] if k in names and k in src else _graft(v, src.get(k), names))
                for k, v in into.items()}
    if isinstance(into, list) and isinstance(src, list) and len(into) == len(src):
        return [_graft(u, v, names) for u, v in zip(into, src, strict=True)]
    return into


def test_same_seed_same_audit_with_any_jobs(two_audits):
    a, b = two_audits
    ja, jb = (json.loads((d / "audit.json").read_text()) for d in (a, b))
    assert ja["options"]["jobs"] == 2 and jb["options"]["jobs"] == 1
    assert not ja["summary"]["safety_stop"] and not jb["summary"]["safety_stop"]
    assert drop_fields(ja, VOLATILE) == drop_fields(jb, VOLATILE)
    # the audit did real work: every claim ran its planned instance count or said why not
    for c in ja["claims"]:
        assert c["checks"]["tried"] + c["checks"]["rejected"] >= 1 or c["checks"]["note"], c["id"]
    # report.md and appendix.tex differ only through those fields: rendering b's audit
    # with a's timings and invocation gives a's files byte for byte
    merged = _graft(jb, ja, VOLATILE)
    assert markdown.render(merged, []) == (a / "report.md").read_text()
    assert latex.render(merged, []) == (a / "appendix.tex").read_text()
    assert (b / "report.md").read_text() == markdown.render(jb, [])
    # counterexample files: the same set, equal apart from timing fields
    files_a = sorted(p.name for p in (a / "counterexamples").glob("*.json"))
    assert files_a == sorted(p.name for p in (b / "counterexamples").glob("*.json"))
    assert files_a, "the quick audit should find at least one counterexample"
    for name in files_a:
        ca, cb = (json.loads((d / "counterexamples" / name).read_text()) for d in (a, b))
        assert drop_fields(ca) == drop_fields(cb), name


def test_every_counterexample_of_a_quick_audit_replays(two_audits):
    a, _ = two_audits
    data = json.loads((a / "audit.json").read_text())
    files = [s["file"] for c in data["claims"] for s in c["searches"] if s.get("file")]
    assert files and len(files) == data["summary"]["counterexamples"]
    for f in files:
        r = replay(a / f)
        assert r.reproduced, (f, r.mismatches)
        assert r.check["holds"] is False, f  # a file is written only for a failure


def test_timing_fields_are_documented():
    doc = (Path(__file__).parents[1] / "docs" / "audit-schema.md").read_text()
    for name in sorted(VOLATILE):
        assert f"`{name}`" in doc, name


def _with_problem(a: Path) -> Path:
    for p in sorted((a / "counterexamples").glob("*.json")):
        vals = json.loads(p.read_text())["instance"]["values"]
        if any(isinstance(v, dict) and v.get("__type__") == "SobolevProblem" for v in vals.values()):
            return p
    pytest.fail("no counterexample file with a SobolevProblem")


@pytest.mark.parametrize("edit", ["shape", "shape_no_digest", "value"])
def test_replay_rejects_an_edited_instance(two_audits, tmp_path, edit):
    from proofkit.errors import InputError

    src = _with_problem(two_audits[0])
    data = json.loads(src.read_text())
    key = next(k for k, v in data["instance"]["values"].items()
               if isinstance(v, dict) and v.get("__type__") == "SobolevProblem")
    problem = data["instance"]["values"][key]["data"]
    if edit == "value":
        problem["y"][0] += 1.0  # still a valid problem, but not the stored counterexample
    else:
        problem["shape"][1] += 1  # d edited: the arrays no longer fit
    if edit == "shape_no_digest":
        del data["instance_sha256"]  # a file without the digest: the shape itself is checked
    bad = tmp_path / src.name
    bad.write_text(json.dumps(data))
    match = "changed after the file was written" if edit == "value" else r"\.shape' is \["
    with pytest.raises(InputError, match=match):
        replay(bad)


def test_replay_ignores_timing_fields(two_audits, tmp_path):
    src = sorted((two_audits[0] / "counterexamples").glob("*.json"))[0]
    data = json.loads(src.read_text())
    data["created"] = "1999-01-01T00:00:00Z"
    data["check"].setdefault("extra", {})["certificate_seconds"] = 1e9
    edited = tmp_path / src.name
    edited.write_text(json.dumps(data))
    assert replay(edited).reproduced
    data["check"]["slack"] = 12345.0  # a number the seed determines: not reproduced
    edited.write_text(json.dumps(data))
    r = replay(edited)
    assert not r.reproduced and any("check.slack" in m for m in r.mismatches)
