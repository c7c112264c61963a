"""Terminal output: one notation (Unicode mathematics), the failing part of a statement named
with its margin, and progress bars on stderr only on a terminal and never with --quiet."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import sympy as sp

from proofkit import cli
from proofkit.claims import get_claim
from proofkit.report.unicode import conjuncts, expr, formula

ROOT = Path(__file__).resolve().parents[1]


def test_unicode_expressions_have_no_sympy_or_latex_syntax():
    k, lam, d1 = sp.symbols("k lambda_star delta_1")
    assert expr(sp.Ge(lam, d1 * (1 - k) / (100 * k**2))) == "λ* ≥ δ₁·(1 − k)/(100·k²)"
    assert expr(sp.sqrt(k + 1)) == "√(1 + k)"
    for s in (r"\frac{4}{\lambda_*}\sqrt{\frac{kn}{m}}", "sqrt(2)*n**2/lambda_star",
              r"\mathbb{E}[\mathcal{M}(w)] \succeq \frac{\delta_1}{100n^2}"):
        out = formula(s)
        assert "\\" not in out and "**" not in out and "{" not in out, out


def test_check_prints_unicode_and_each_part_of_the_statement(capsys):
    assert cli.main(["check", "lemma1", "--n", "3", "--d", "4", "--k", "1", "--m", "30"]) == 0
    out = capsys.readouterr().out
    assert "\\frac" not in out and "**" not in out and "\\lambda" not in out
    assert out.count("statement part ") == 3  # lemma1 states three inequalities
    assert "√m" in out


def test_replay_names_the_failing_part_and_its_margin(tmp_path, capsys):
    from proofkit.search import search

    c = get_claim("lemma6")
    r = search(c, "delta2", max_examples=15, seed=0, out=tmp_path / "cx.json", refine_evals=0,
               time_limit=3.0,  # shrinking is not needed here
               database=None)
    assert r.found and r.file
    capsys.readouterr()
    assert cli.main(["replay", str(r.file)]) == 0
    out = capsys.readouterr().out
    from proofkit.counterexample import load_counterexample
    from proofkit.instance_io import decode_instance

    rows = conjuncts(c, decode_instance(load_counterexample(r.file)["instance"]))
    failing = [row for row in rows if not row["holds"]]
    assert failing  # computed, not assumed: some part of the statement fails here
    for row in failing:
        assert f"part {row['index']} of {row['of']}" in out
        assert f"FAILS by {-row['slack']:.4g}" in out


def _run_on_tty(args: list[str]) -> str:
    """stderr of ``python -m proofkit ARGS`` on a pseudo-terminal (100 columns)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "proofkit", *args], stdin=slave,
                         stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    buf = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    assert p.wait(timeout=300) == 0
    os.close(master)
    return buf.decode(errors="replace")


SWEEP = ["sweep", "--widths", "10,20", "--seeds", "0", "--t-max", "0.5", "--n", "3",
         "--d", "4", "--k", "1"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")
def test_progress_bar_on_a_terminal_only():
    err = _run_on_tty(SWEEP)
    assert "sweep" in err and "/2 [" in err  # tqdm redraws at most every 0.1 s
    assert "sweep" not in _run_on_tty([*SWEEP, "--quiet"])


def test_no_progress_when_stderr_is_not_a_terminal(capsys):
    assert cli.main(SWEEP) == 0
    assert capsys.readouterr().err == ""
