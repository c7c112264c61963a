"""One table of bad command-line input (#9): every case exits 2 with one stderr line naming
the option, no traceback, within its time limit, and writes or deletes nothing.

Each case runs ``python -m proofkit`` in a fresh folder holding a sentinel file and the
fixtures below; the folder's full listing (names, bytes, modes) must be the same afterwards.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
_TIMEOUT_S = 20

CASES = [
    # audit --out: never the current folder, a file, or a folder proofkit did not make
    (["audit", "--out", "."], "--out"),
    (["audit", "--out", ""], "--out"),
    (["audit", "--out", ".."], "--out"),
    (["audit", "--out", "afile"], "--out"),
    (["audit", "--out", "afile/sub"], "--out"),
    (["audit", "--out", "readonly"], "--out"),
    (["audit", "--out", "readonly/new"], "--out"),
    (["audit", "--out", "foreign"], "--out"),
    (["audit", "--jobs", "0", "--out", "new"], "--jobs"),
    (["audit", "--jobs", "-4", "--out", "new"], "--jobs"),
    (["audit", "--seed", "-1", "--out", "new"], "--seed"),
    (["audit", "--claims", "nope", "--out", "new"], "--claims"),
    (["audit", "--budget", "huge"], "--budget"),
    # --claims-from: a missing file, not a .py file, a folder that is no package, no module
    (["audit", "--claims-from", "missing.py", "--out", "new"], "--claims-from"),
    (["audit", "--claims-from", "afile", "--out", "new"], "--claims-from"),
    (["list", "--claims-from", "foreign"], "--claims-from"),
    (["check", "lemma6", "--claims-from", "no_such_pack_xyz"], "--claims-from"),
    # new-claim: a bad id, an --out that is a file
    (["new-claim", "1bad", "--out", "new"], "new-claim"),
    (["new-claim", "good", "--out", "afile"], "--out"),
    # flow: tolerances, times, sizes, probabilities, seeds
    (["flow", "--integrator", "ode", "--rtol", "nan"], "--rtol"),
    (["flow", "--integrator", "ode", "--atol", "nan"], "--atol"),
    (["flow", "--rtol", "0"], "--rtol"),
    (["flow", "--atol", "-1"], "--atol"),
    (["flow", "--t-max", "1e12"], "--t-max"),
    (["flow", "--t-max", "1e300"], "--t-max"),
    (["flow", "--t-max", "nan"], "--t-max"),
    (["flow", "--t-max", "inf"], "--t-max"),
    (["flow", "--t-max", "1e5", "--eta", "1e-3"], "--eta"),
    (["flow", "--eta", "0"], "--eta"),
    (["flow", "--n", "100000000"], "--n"),
    (["flow", "--m", str(10**12)], "--m"),
    (["flow", "--d", str(10**9)], "--d"),
    (["flow", "--m", "0"], "--m"),
    (["flow", "--delta", "1e-300"], "--delta"),
    (["flow", "--delta", "1.5"], "--delta"),
    (["flow", "--delta", "nan"], "--delta"),
    (["flow", "--seed", "-1"], "--seed"),
    (["flow", "--problem-seed", "-1"], "--problem-seed"),
    (["flow", "--rows", "0"], "--rows"),
    (["flow", "--separation", "3"], "--separation"),
    (["flow", "--out", "afile"], "--out"),
    (["flow", "--out", "foreign"], "--out"),
    # sweep
    (["sweep", "--widths", str(10**12)], "--m"),
    (["sweep", "--widths", "0,100"], "--widths"),
    (["sweep", "--widths", "100,-5"], "--widths"),
    (["sweep", "--seeds", "-1"], "--seeds"),
    (["sweep", "--t-max", "1e300"], "--t-max"),
    # check / search
    (["check", "lemma6", "--dps", "100000000"], "--dps"),
    (["check", "lemma6", "--n", "100000000"], "--n"),
    (["check", "lemma6", "--m", str(10**12)], "--m"),
    (["check", "lemma6", "--seed", "-1"], "--seed"),
    (["search", "lemma6", "--dps", "100000000"], "--dps"),
    (["search", "lemma6", "--max-examples", "0"], "--max-examples"),
    (["search", "lemma6", "--time-limit", "nan"], "--time-limit"),
    (["search", "lemma6", "--seed", "-1"], "--seed"),
    (["search", "lemma6", "--out", "afile"], "--out"),
    # replay / report / docs: files that are missing, malformed or foreign
    (["replay", "broken.json"], "broken.json"),
    (["replay", "missing.json"], "missing.json"),
    (["replay", "list.json"], "list.json"),
    (["report", "badaudit/audit.json"], "audit.json"),
    (["report", "missing/audit.json"], "audit.json"),
    (["report", "badaudit/audit.json", "--out", "afile"], "--out"),
    (["flow", "--out", "readonly"], "--out"),
    (["sweep", "--out", "afile/sub"], "--out"),
    (["docs", "--out", "afile"], "--out"),
    (["docs", "--out", "userdocs"], "--out"),  # would overwrite a page proofkit did not write
]


def _fixtures(d: Path) -> None:
    (d / "sentinel.txt").write_text("do not touch")
    (d / "afile").write_text("a regular file")
    (d / "foreign").mkdir()
    (d / "foreign" / "thesis.tex").write_text("years of work")
    (d / "readonly").mkdir()
    (d / "broken.json").write_text('{"schema": "proofkit.counterexample/1", ')
    (d / "list.json").write_text("[1, 2, 3]")
    (d / "badaudit").mkdir()
    (d / "badaudit" / "audit.json").write_text("{not json")
    (d / "userdocs").mkdir()
    (d / "userdocs" / "cli.md").write_text("my own notes")
    os.chmod(d / "readonly", 0o555)


def _listing(d: Path) -> dict[str, tuple[int, bytes | None]]:
    out = {}
    for p in sorted(d.rglob("*")):
        st = p.lstat()
        out[p.relative_to(d).as_posix()] = (stat.S_IMODE(st.st_mode),
                                            p.read_bytes() if p.is_file() else None)
    return out


@pytest.mark.parametrize(("argv", "option"), CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, argv, option):
    work = tmp_path / "work"
    work.mkdir()
    _fixtures(work)
    before = _listing(work)
    env = dict(os.environ, PYTHONPATH=str(_ROOT), COLUMNS="200")
    try:
        proc = subprocess.run([sys.executable, "-m", "proofkit", *argv], cwd=work, env=env,
                              capture_output=True, text=True, timeout=_TIMEOUT_S)
    finally:
        os.chmod(work / "readonly", 0o755)  # let pytest clean up
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert len(lines) == 1 and lines[0].strip(), proc.stderr
    assert "Traceback" not in proc.stderr
    assert option in lines[0], lines[0]
    after = _listing(work)
    after["readonly"] = before["readonly"]  # its mode was reset above, after the run
    assert after == before


def test_acceptance_audit_out_dot_deletes_nothing(tmp_path):
    """The issue's acceptance case, through the real console entry point."""
    for name in ("paper.md", "data.csv"):
        (tmp_path / name).write_text(name)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("x")
    before = _listing(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "proofkit", "audit", "--out", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=_TIMEOUT_S,
                          env=dict(os.environ, PYTHONPATH=str(_ROOT)))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert _listing(tmp_path) == before
