"""Reports: re-rendering a saved audit without recomputing, LaTeX escaping, pdflatex."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofkit import audit as audit_mod
from proofkit import cli
from proofkit.report import render
from proofkit.report.texify import is_safe_math, math, text, tt

CLAIMS = ["lemma6", "prop2"]


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory):
    """A small real audit (two claims, flows as they are), written once for the module."""
    out = tmp_path_factory.mktemp("audit") / "rep"
    small = dataclasses.replace(audit_mod.BUDGETS["quick"], instances=3, search_examples=3)
    audit_mod.run_audit(out, budget=small, claims=CLAIMS, jobs=1, progress=False,
                        command=["proofkit", "audit", "--claims", *CLAIMS])
    return out


@pytest.fixture
def no_compute(monkeypatch):
    """Any attempt to recompute claims, searches or flows fails the test."""
    import proofkit.claims
    import proofkit.search

    def forbidden(*a, **k):
        raise AssertionError("report re-rendering must not recompute")

    for mod, name in ((proofkit.claims, "run_claim"), (proofkit.search, "search"),
                      (audit_mod, "audit_claim"), (audit_mod, "run_flows")):
        monkeypatch.setattr(mod, name, forbidden)


@pytest.mark.parametrize("fmt", ["md", "tex", "json"])
def test_rerender_without_recomputing(audit_dir, tmp_path, capsys, no_compute, fmt):
    out = tmp_path / fmt
    assert cli.main(["report", str(audit_dir / "audit.json"), "--format", fmt, "--out",
                     str(out)]) == 0
    data = json.loads((audit_dir / "audit.json").read_text())
    name = {"md": "report.md", "tex": "appendix.tex", "json": "audit.json"}[fmt]
    produced = (out / name).read_text()
    # the re-rendered file is the one the audit wrote (same input, same renderer)
    assert produced == (audit_dir / name).read_text()
    if fmt == "json":
        assert json.loads(produced) == data
        return
    for c in data["claims"]:
        for s in c["steps"]:
            assert (s["id"] if fmt == "md" else tt(s["id"])) in produced
    if fmt == "tex":
        assert produced.count(r"\begin{longtable}") == 2
        assert r"\includegraphics" in produced and (out / "figures" / "dependencies.pdf").is_file()
        assert produced.isascii()
        assert "seed " + str(data["seed"]) in produced


def test_report_rejects_foreign_json_with_one_line(tmp_path, capsys, audit_dir):
    data = json.loads((audit_dir / "audit.json").read_text())
    data["claims"][0]["steps"][0]["verdict"] = "probably fine"
    cases = {"bad.json": json.dumps(data), "foreign.json": json.dumps({"a": 1}),
             "broken.json": "{\"schema\": "}
    for name, body in cases.items():
        p = tmp_path / name
        p.write_text(body)
        assert cli.main(["report", str(p), "--format", "md", "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert "claims[0].steps[0].verdict" in _err_for(tmp_path / "bad.json", capsys)


def _err_for(path: Path, capsys) -> str:
    cli.main(["report", str(path), "--format", "md"])
    return capsys.readouterr().err


def _pdflatex(tex: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tex.parent, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (apt-get install texlive-latex-base)")
def test_appendix_compiles_alone_and_inside_a_paper(audit_dir, tmp_path):
    rep = tmp_path / "rep"
    shutil.copytree(audit_dir, rep)
    alone = _pdflatex(rep / "appendix.tex")
    assert alone.returncode == 0, alone.stdout[-3000:]
    assert (rep / "appendix.pdf").stat().st_size > 1000
    paper = tmp_path / "paper.tex"
    paper.write_text("\\documentclass{article}\n"
                     "\\usepackage{amsmath,amssymb,graphicx,longtable,array}\n"
                     "\\newcommand\\ProofkitDir{rep/}\n\\begin{document}\n"
                     "\\section{Main text}Before.\n\\appendix\n\\input{rep/appendix.tex}\n"
                     "\\section{After}The paper goes on.\n\\end{document}\n")
    inside = _pdflatex(paper)
    assert inside.returncode == 0, inside.stdout[-3000:]
    log = (tmp_path / "paper.log").read_text(errors="replace")
    assert "The paper goes on" in paper.read_text() and "Output written" in inside.stdout
    assert not re.search(r"^! ", log, re.MULTILINE)


# --------------------------------------------------------------------------------------
# escaping
# --------------------------------------------------------------------------------------
def _balanced(s: str) -> bool:
    depth = 0
    for c in s.replace(r"\{", "").replace(r"\}", ""):
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    return depth == 0


@settings(database=None)
@given(st.text(max_size=40))
def test_text_is_ascii_and_balanced(s):
    out = text(s)
    assert out.isascii() and _balanced(out)
    assert "$" not in out.replace(r"\$", "") and "%" not in out.replace(r"\%", "")
    assert "&" not in out.replace(r"\&", "") and "#" not in out.replace(r"\#", "")


def test_unicode_mathematics_is_converted():
    out = text("λmin(X̂ᵀX̂) = 1 − ‖c‖₂ ≥ 1 − √k·δ2")
    for piece in (r"\lambda", r"\hat{X}", "^{T}", r"\|", "_{2}", r"\geq", r"\surd", r"\cdot",
                  r"\delta"):
        assert piece in out
    assert text("中") == "[U+4E2D]"


def test_math_falls_back_to_escaped_text_when_unsafe():
    # safe math is typeset as it is, never shrunk
    assert math(r"\lambda_{\min} \le 1") == r"$\lambda_{\min} \le 1$"
    assert math("λ ≤ 1") == r"$\lambda{} \leq{} 1$"  # unicode symbols become macros
    assert not is_safe_math(r"\input{x}") and is_safe_math(r"\frac{1}{2} \le x_{i}")
    for unsafe in (r"\input{/etc/passwd}", r"x_{1", r"a & b", r"\unknownmacro x", "中 ≤ 1",
                   r"\left( x"):
        assert math(unsafe) == text(unsafe) and "$" not in math(unsafe).replace(r"\$", "")


def test_render_only_writes_requested_formats(audit_dir, tmp_path, no_compute):
    data = json.loads((audit_dir / "audit.json").read_text())
    written = render(data, tmp_path, ("md",), figures=False)
    assert [p.name for p in written] == ["report.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]
