"""Row 7: wall time of ``proofkit audit --budget quick`` and ``--budget default``.

Each audit runs as a subprocess (``python -m proofkit audit``) writing to a temporary
directory.  Targets are those of issue 5: quick within 1 minute, default within 5 minutes
on 2 cores.  A command that does not exist yet, fails or times out gives a skipped row
with the reason (a time-out is a measured miss: ``value`` is the time-out, ``met`` false).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from ._common import row, skipped

__all__ = ["TARGETS", "bench_audit"]

TARGETS = {"quick": "<= 60", "default": "<= 300"}


def bench_audit(budget: str, *, timeout: float, extra_args: tuple = ()) -> dict:
    """Row 7 for one budget: seconds of ``proofkit audit --budget BUDGET --out TMP``."""
    name = f"proofkit audit --budget {budget}"
    target = TARGETS.get(budget, "<= 300")
    with tempfile.TemporaryDirectory(prefix="proofkit-bench-") as out:
        cmd = [sys.executable, "-m", "proofkit", "audit", "--budget", budget, "--out", out,
               *extra_args]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  cwd=out, check=False)
        except subprocess.TimeoutExpired:
            out = row(name, timeout, "s", target,
                      reason=f"timed out after {timeout:g} s (the value is the time-out)")
            return out | {"met": False}
        elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return skipped(name, "s", target,
                       f"`proofkit audit` exited {proc.returncode}: {tail[0][:300]}")
    return row(name, elapsed, "s", target, detail={"command": " ".join(cmd[1:])})
