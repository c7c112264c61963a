"""The appendix of a real audit compiles standalone and ``\\input`` into an 11 pt article with
hyperref, with no overfull box over 5 pt, and its pages render (pdftoppm) at A4/letter size.

The audit is a small real one (three claims whose steps mix LaTeX, SymPy output and Unicode
prose, plus the Theorem 1–2 flows); its formulas go through :mod:`proofkit.report.mathtex`.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from proofkit import audit as audit_mod
from proofkit.report.mathtex import formula, statement_latex

CLAIMS = ["lemma2", "lemma4", "section32"]
OVERFULL_PT = 5.0

needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex is not installed (apt-get install texlive-latex-base)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("appendix") / "rep"
    small = dataclasses.replace(audit_mod.BUDGETS["quick"], instances=2, search_examples=3,
                                shrink_evals=3, refine_evals=0, scale=0.2)
    audit_mod.run_audit(out, budget=small, claims=CLAIMS, jobs=1, progress=False,
                        command=["proofkit", "audit", "--claims", *CLAIMS])
    return out


def _pdflatex(tex: Path) -> tuple[subprocess.CompletedProcess, str]:
    for _ in range(2):  # twice: longtable settles its column widths on the second run
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                             cwd=tex.parent, capture_output=True, text=True, timeout=180)
        if run.returncode:
            break
    log = tex.with_suffix(".log").read_text(errors="replace")
    return run, log


def _overfull(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide", log)]


def _check(run, log) -> None:
    assert run.returncode == 0, run.stdout[-3000:]
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    worst = max(_overfull(log), default=0.0)
    assert worst <= OVERFULL_PT, f"overfull boxes (pt): {_overfull(log)}"
    assert "Overfull \\vbox" not in log


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _render_pages(pdf: Path, tmp: Path, expected_pages: int) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(tmp / "page")], check=True,
                   timeout=120)
    pages = sorted(tmp.glob("page-*.png"))
    assert len(pages) == expected_pages
    for p in pages:
        w, h = _png_size(p)  # at 20 dpi: A4 is 165 x 234 px, US letter 170 x 220 px
        assert 160 <= w <= 175 and 215 <= h <= 240, (p.name, w, h)


def _pages(log: str) -> int:
    m = re.search(r"Output written on \S+ \((\d+) pages?", log)
    assert m, "no PDF written"
    return int(m.group(1))


@needs_pdflatex
def test_appendix_compiles_standalone_without_overfull_boxes(report, tmp_path):
    rep = tmp_path / "rep"
    shutil.copytree(report, rep)
    run, log = _pdflatex(rep / "appendix.tex")
    _check(run, log)
    assert "Type 3" not in subprocess.run(["pdffonts", str(rep / "appendix.pdf")],
                                          capture_output=True, text=True).stdout \
        if shutil.which("pdffonts") else True
    _render_pages(rep / "appendix.pdf", tmp_path, _pages(log))


@needs_pdflatex
def test_appendix_compiles_inside_an_11pt_article_with_hyperref(report, tmp_path):
    shutil.copytree(report, tmp_path / "rep")
    paper = tmp_path / "paper.tex"
    paper.write_text("\\documentclass[11pt]{article}\n"
                     "\\usepackage{amsmath,amssymb,graphicx,longtable,array}\n"
                     "\\usepackage{hyperref}\n"
                     "\\newcommand\\ProofkitDir{rep/}\n\\begin{document}\n"
                     "\\section{Main text}Before.\n\\appendix\n\\input{rep/appendix.tex}\n"
                     "\\section{After}The paper goes on.\n\\end{document}\n")
    run, log = _pdflatex(paper)
    _check(run, log)
    assert "Output written" in run.stdout
    _render_pages(tmp_path / "paper.pdf", tmp_path, _pages(log))


def test_no_source_strings_in_the_appendix(report):
    tex = (report / "appendix.tex").read_text()
    assert "ProofkitFit" not in tex and "resizebox" not in tex
    # no SymPy syntax and no escaped LaTeX source anywhere
    assert "**" not in tex and "lambda\\_star" not in tex and "\\textbackslash" not in tex
    assert "sqrt(" not in tex


def test_formulas_come_from_sympy_latex():
    assert formula("m ≥ 32*n*(k + 1)/lambda_star") == \
        r"$m \geq{} \frac{32 n \left(k + 1\right)}{\lambda_{*}}$"
    # prose stays text, the mathematics around it is math
    out = formula("‖·‖₂ ≤ 1/√m with a = 1/√m (Markov on the squares)")
    assert r"\sqrt{m}" in out and " with " in out and "Markov on the squares" in out
    assert statement_latex("lambda_star >= delta_1*(1 - delta_2*k)/(100*n**2)").startswith(
        r"\lambda_{*} \geq \frac{\delta_{1}")
    # what cannot be made safe is escaped text, never typewriter source
    assert not formula(r"\input{x} ≤ 1").startswith(r"\texttt")
