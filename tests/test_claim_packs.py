"""Claim packs (#13): a pack outside lemmas/ audited end to end, found through its entry point,
loaded by --claims-from (bad values refused), and the new-claim scaffold.

Every command runs in a subprocess, so the registry of this test process stays the paper's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
_DU = _ROOT / "examples" / "du_pack"


def _run(args, *, cwd=None, extra_path=()):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, extra_path), str(_ROOT),
                                         env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def test_du_pack_and_scaffold_audited_together_with_two_jobs(tmp_path):
    made = _run(["-m", "proofkit", "new-claim", "my_bound", "--out", str(tmp_path / "new")])
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "new" / "my_bound.py").is_file()
    again = _run(["-m", "proofkit", "new-claim", "my_bound", "--out", str(tmp_path / "new")])
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "overwrite" in again.stderr
    test = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_bound.py"],
                cwd=tmp_path / "new")
    assert test.returncode == 0, test.stdout + test.stderr

    out = tmp_path / "audit"
    r = _run(["-m", "proofkit", "audit", "--claims-from", str(_DU / "du_ntk"), "--claims-from",
              str(tmp_path / "new" / "my_bound.py"), "--claims", "du_h_infinity_pd", "my_bound",
              "--budget", "quick", "--jobs", "2", "--no-figures", "--quiet", "--out", str(out)])
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "audit.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    # the pack's verdicts are computed: SymPy (verified) and Monte Carlo (evidence)
    assert verdicts == {"du_h_infinity_pd": "evidence", "my_bound": "verified"}
    packs = {p["name"]: p for p in data["options"]["packs"]}
    assert packs["du_ntk"]["module"] == "du_ntk"
    assert packs["du_ntk"]["claims"] == ["du_h_infinity_pd"]
    assert packs["my_bound"]["claims"] == ["my_bound"]
    assert packs["cocola_hand"]["module"] == "lemmas"
    du = next(c for c in data["claims"] if c["id"] == "du_h_infinity_pd")
    # dropping the separation premise lets points coincide: H∞ singular, a counterexample
    assert any(s.get("drop_premise") == "separated" and s.get("found") for s in du["searches"])


def test_installed_pack_found_through_its_entry_point(tmp_path):
    # pip cannot build the pack offline here (no `wheel` for setuptools' bdist_wheel), so the
    # pack is "installed" as pip --target would: the package plus a .dist-info whose
    # entry_points.txt declares it, on PYTHONPATH.
    site = tmp_path / "site"
    (site / "du_ntk").mkdir(parents=True)
    for f in (_DU / "du_ntk").glob("*.py"):
        (site / "du_ntk" / f.name).write_text(f.read_text())
    info = site / "proofkit_du_ntk-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: proofkit-du-ntk\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text('[proofkit.claims]\ndu_ntk = du_ntk\n')
    r = _run(["-m", "proofkit", "list", "--json"], extra_path=[site])
    assert r.returncode == 0, r.stderr
    ids = [c["id"] for c in json.loads(r.stdout)["claims"]]
    assert ids[-1] == "du_h_infinity_pd" and ids[0] == "eq14"  # cocola_hand < du_ntk
    plain = _run(["-m", "proofkit", "list", "--json"])
    assert "du_h_infinity_pd" not in plain.stdout


def test_a_broken_installed_pack_is_one_line_naming_pack_and_module(tmp_path):
    site = tmp_path / "site"
    (site / "broken_pack").mkdir(parents=True)
    (site / "broken_pack" / "__init__.py").write_text("raise RuntimeError('boom')\n")
    info = site / "broken_pack-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pack\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[proofkit.claims]\nbroken = broken_pack\n")
    r = _run(["-m", "proofkit", "list"], extra_path=[site])
    assert r.returncode == 2 and not r.stdout
    line, = r.stderr.strip().splitlines()
    assert "'broken'" in line and "'broken_pack'" in line and "boom" in line


def test_bad_claims_from_values(tmp_path):
    (tmp_path / "empty.py").write_text("X = 1\n")
    (tmp_path / "bad.py").write_text("import no_such_module_here\n")
    (tmp_path / "notes.txt").write_text("")
    for value in ("missing.py", "empty.py", "bad.py", "notes.txt", "no_such_pack_xyz", "."):
        r = _run(["-m", "proofkit", "audit", "--claims-from", value, "--out", "new"], cwd=tmp_path)
        assert r.returncode == 2, (value, r.stderr)
        line, = r.stderr.strip().splitlines()
        assert "--claims-from" in line, line
        assert not (tmp_path / "new").exists()
    assert not (tmp_path / "__pycache__").exists()  # importing a pack writes no bytecode there
