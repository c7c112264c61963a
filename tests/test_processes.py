"""No worker outlives its audit; Ctrl-C stops an audit within 2 s with exit 130 (#9).

Each test starts a real ``proofkit audit --jobs 2`` (quick budget, one cheap claim, no
figures) in its own session, waits until its worker processes exist, signals it, and scans
``/proc`` for the workers afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="scans /proc")

_ROOT = Path(__file__).resolve().parents[1]


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text[text.rindex(")") + 2:].split()[:2]
    return state, int(ppid)


def _descendants(root: int) -> set[int]:
    parents = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and (st := _stat(int(p.name))) is not None:
            parents[int(p.name)] = st[1]
    found, frontier = set(), {root}
    while frontier:
        frontier = {c for c, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pids) -> list[int]:
    return [p for p in pids if (st := _stat(p)) is not None and st[0] not in ("Z", "X")]


def _start_audit(tmp_path: Path, jobs: int = 2):
    # Hypothesis' home beside tmp_path: a SIGKILLed audit cannot remove its temporary one
    env = dict(os.environ, PYTHONPATH=str(_ROOT),
               HYPOTHESIS_STORAGE_DIRECTORY=str(tmp_path.parent / f"{tmp_path.name}-hyp"))
    # jobs=1 is interrupted at 4 s, so it audits every claim (about 25 s): two claims took 5 s
    # and the interrupt could land in the interpreter's shutdown, where SIGINT kills silently
    claims = ["--claims", "lemma6", "lemma4"] if jobs > 1 else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "proofkit", "audit", "--budget", "quick", *claims,
         "--no-figures", "--quiet", "--jobs", str(jobs), "--out", "rep"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    if jobs == 1:  # no workers to wait for: interrupt it mid-claim
        time.sleep(4.0)
        assert proc.poll() is None, "the audit ended before it could be interrupted"
        return proc, set()
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        workers |= _descendants(proc.pid)
        if len(workers) >= 2:
            time.sleep(0.3)  # let them start their tasks
            return proc, workers | _descendants(proc.pid)
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"the audit's workers never appeared (exit {proc.poll()})")


def _reap(proc) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, err


def _gone_within(pids, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(pids)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_no_worker_survives_its_audit(tmp_path, sig):
    proc, workers = _start_audit(tmp_path)
    os.kill(proc.pid, sig)  # the audit only, not its process group
    survivors = _gone_within(workers, 5.0)
    rc, err = _reap(proc)
    if survivors:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not survivors, f"workers {survivors} outlived the audit ({sig.name})"
    if sig == signal.SIGTERM:
        assert rc == 143 and err.strip() == "proofkit: terminated", (rc, err)
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # stage removed, no report
    else:
        assert rc == -signal.SIGKILL


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_exits_130_within_2_seconds_without_traceback(tmp_path, jobs):
    # jobs=1 once let Ctrl-C land in Hypothesis' gc callback, where Python swallows it
    proc, workers = _start_audit(tmp_path, jobs)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: the whole foreground group
    try:
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    took = time.monotonic() - t0
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err and err.strip() == "proofkit: interrupted", err
    assert took < 2.0, f"Ctrl-C took {took:.2f} s"
    assert not _gone_within(workers, 2.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_jobs_above_the_cpus_are_clamped():
    from proofkit.workers import cpu_count, resolve_jobs

    jobs, note = resolve_jobs(100_000)
    assert jobs == cpu_count() and note and "100000" in note
    assert resolve_jobs(1) == (1, None)
