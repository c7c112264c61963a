"""Figures: PDF and 300 dpi PNG for each, one column wide, complete legends, a legible DAG."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from proofkit.report import depgraph, figures

CLAIMS = [
    {"id": "a", "verdict": "verified", "depends_on": [], "steps": [{"verdict": "verified"}],
     "checks": {"worst_relative_slack": 0.5},
     "searches": [{"drop_premise": None, "worst": {"lhs": 1.0, "rhs": 2.0, "slack": 1.0}},
                  {"drop_premise": "p_q", "found": True,
                   "worst": {"lhs": 2.0, "rhs": 1.0, "slack": -1.0}}]},
    {"id": "b", "verdict": "loose", "depends_on": ["a"], "steps": [{"verdict": "loose"}],
     "checks": {}, "searches": [{"drop_premise": "r", "found": False,
                                 "worst": {"lhs": 1.0, "rhs": 3.0, "slack": 2.0}}]},
    {"id": "c", "verdict": "error", "depends_on": ["a", "b", "outside"],
     "steps": [{"verdict": "error"}], "checks": {}, "searches": []},
]


FLOWS = {"theorem1": {"result": {"lambda_star": 0.5}, "trajectory": {
    "times": [0.0, 1.0, 2.0], "e_norm2": [1.0, 0.5, 0.2], "S_norm2": [0.5, 0.2, 0.1],
    "lambda_min_H": [0.6, 0.55, 0.55]}}}


def _png(path: Path) -> tuple[int, int, float]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    i = data.find(b"pHYs")
    dpi = struct.unpack(">I", data[i + 4:i + 8])[0] * 0.0254 if i > 0 else float("nan")
    return w, h, dpi


def _pdf_width_in(path: Path) -> float:
    import re

    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)",
                    path.read_bytes())
    assert box, "no MediaBox"
    return (float(box.group(3)) - float(box.group(1))) / 72


def test_every_figure_is_pdf_and_300dpi_png_one_column_wide(tmp_path):
    audit = {"claims": CLAIMS, "flows": FLOWS}
    out = figures.draw_all(audit, tmp_path)
    assert {f["name"] for f in out} == {"verdicts", "slack", "dependencies", "flow_energy"}
    for f in out:
        pdf, png = tmp_path / f["pdf"], tmp_path / f["png"]
        assert pdf.read_bytes()[:5] == b"%PDF-"
        width_in = _pdf_width_in(pdf)
        assert 2.0 <= width_in <= figures.COLUMN_IN + 0.05, (f["name"], width_in)
        w, _h, dpi = _png(png)
        assert dpi != dpi or abs(dpi - figures.PNG_DPI) < 1, (f["name"], dpi)  # nan: no pHYs
        assert abs(w / figures.PNG_DPI - width_in) < 0.1, f["name"]  # the PDF at 300 dpi


def test_slack_legend_explains_every_marker_drawn():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig = figures._slack_plot(plt, CLAIMS)
    try:
        ax = fig.axes[0]
        drawn = {(ln.get_marker(), ln.get_color()) for ln in ax.lines
                 if ln.get_marker() not in (None, "None", "")}
        legend = {(h.get_marker(), h.get_color()) for h in ax.get_legend().legend_handles}
        assert drawn <= legend and len(drawn) == 4  # instances, all, found, none found
        assert any("without p_q" in t.get_text() for t in ax.texts)
    finally:
        plt.close(fig)


def test_flow_legend_names_every_line_including_the_right_axis():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig = figures._flow_plot(plt, FLOWS)
    try:
        lines = [ln for ax in fig.axes for ln in ax.lines]
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert len(lines) == len(labels) == 3
        assert all("_" not in t.replace(r"\_", "") or "$" in t for t in labels)
    finally:
        plt.close(fig)


def test_layers_put_a_claim_just_above_its_first_user():
    rows = depgraph.layers(CLAIMS)
    where = {k: i for i, row in enumerate(rows) for k in row}
    assert where["a"] < where["b"] < where["c"] and where["outside"] == where["b"]
    for c in CLAIMS:
        for d in c["depends_on"]:
            assert where[d] < where[c["id"]]


def test_dependency_graph_labels_are_8pt_at_natural_size(tmp_path):
    dot = depgraph.graph_dot(CLAIMS, figures.VERDICT_COLORS)
    assert "fontsize=8" in dot and " size=" not in dot  # never scaled to fit
    for v in ("verified", "loose", "error", "not audited"):
        assert f">{v}<" in dot  # the legend names every colour used


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz is not installed")
def test_dependency_graph_of_the_paper_fits_one_column(tmp_path):
    from proofkit.claims import all_claims

    claims = [{"id": c.id, "verdict": "verified", "depends_on": list(c.depends_on)}
              for c in all_claims().values()]
    kind, files = depgraph.draw(None, claims, figures.VERDICT_COLORS)
    assert kind == "dot"
    (tmp_path / "g.pdf").write_bytes(files["pdf"])
    assert _pdf_width_in(tmp_path / "g.pdf") <= figures.COLUMN_IN + 0.05


def test_matplotlib_fallback_draws_the_same_layers(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    monkeypatch.setattr(depgraph.shutil, "which", lambda name: None)
    kind, fig = depgraph.draw(plt, CLAIMS, figures.VERDICT_COLORS)
    try:
        assert kind == "figure"
        assert fig.get_size_inches()[0] == pytest.approx(figures.COLUMN_IN)
        nodes = [t for t in fig.axes[0].texts if t.get_text()]  # arrows are empty texts
        assert {t.get_text() for t in nodes} == {"a", "b", "c", "outside"}
        assert all(t.get_fontsize() >= 8 for t in nodes)
        json.dumps(depgraph.layers(CLAIMS))
    finally:
        plt.close(fig)
