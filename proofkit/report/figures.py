"""Figures of an audit: vector PDF plus 300 dpi PNG, one journal column wide (3.4 in).

Every figure is drawn from the audit's JSON alone, so ``proofkit report`` can redraw them
without recomputing.  Text is 8 pt at the natural size (7 pt in legends), every marker and
line has a legend entry, and mathematics is matplotlib mathtext.  The dependency graph is
drawn by :mod:`~proofkit.report.depgraph` (Graphviz when present).  :func:`draw_all`
returns one record per figure written: ``{"name", "caption", "pdf", "png"}`` with paths
relative to the output directory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .common import VERDICT_ORDER

__all__ = ["COLUMN_IN", "PNG_DPI", "VERDICT_COLORS", "dependency_levels", "draw_all",
           "figure_bytes"]

VERDICT_COLORS = {"verified": "#2e7d32", "loose": "#f9a825", "evidence": "#80cbc4",
                  "typo": "#1565c0", "gap": "#6a1b9a", "inconclusive": "#9e9e9e",
                  "error": "#c62828", "not audited": "#ffffff"}
_ORDER = VERDICT_ORDER


def _num(v) -> float:
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf}.get(v, math.nan)
    return math.nan if v is None else float(v)


def dependency_levels(claims: list[Mapping[str, Any]]) -> dict[str, int]:
    """Longest chain of dependencies below each claim (0 for a claim using no other).

    >>> dependency_levels([{"id": "a", "depends_on": []}, {"id": "b", "depends_on": ["a"]}])
    {'a': 0, 'b': 1}
    """
    deps = {c["id"]: [d for d in c.get("depends_on", [])] for c in claims}
    level: dict[str, int] = {}

    def visit(cid: str, stack: tuple[str, ...]) -> int:
        if cid in level:
            return level[cid]
        if cid in stack or cid not in deps:  # a cycle or a claim outside the audit
            return 0
        lv = 1 + max((visit(d, (*stack, cid)) for d in deps[cid]), default=-1)
        level[cid] = lv
        return lv

    for cid in deps:
        visit(cid, ())
    return level


COLUMN_IN = 3.4  # one journal column
PNG_DPI = 300


def _write(directory: Path, name: str, files: Mapping[str, bytes]) -> dict:
    from .atomic import write_bytes

    for ext, data in files.items():
        write_bytes(directory / "figures" / f"{name}.{ext}", data)
    return {ext: f"figures/{name}.{ext}" for ext in files}


def _fit_column(fig) -> None:
    """Narrow the figure until its tight bounding box (labels included) is one column wide:
    tick labels that depend on the data can widen it past the size it was created with."""
    for _ in range(4):
        fig.canvas.draw()
        w = fig.get_tightbbox(fig.canvas.get_renderer()).width + 0.04  # pad_inches on both sides
        if w <= COLUMN_IN:
            return
        width, height = fig.get_size_inches()
        fig.set_size_inches(width - (w - COLUMN_IN) - 0.01, height)


def figure_bytes(fig) -> dict[str, bytes]:
    """The figure as vector PDF and 300 dpi PNG (no timestamps: same input, same bytes)."""
    import io

    _fit_column(fig)
    out = {}
    for ext in ("pdf", "png"):
        buf = io.BytesIO()
        meta = {"CreationDate": None} if ext == "pdf" else {"Software": None}
        fig.savefig(buf, format=ext, dpi=PNG_DPI, bbox_inches="tight", pad_inches=0.02,
                    metadata=meta)
        out[ext] = buf.getvalue()
    return out


def _verdict_bars(plt, claims) -> Any:
    ids = [c["id"] for c in claims]
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 0.16 * len(ids) + 0.9))
    left = [0] * len(ids)
    for v in _ORDER:
        counts = [sum(s["verdict"] == v for s in c.get("steps", [])) for c in claims]
        if not any(counts):
            continue
        ax.barh(ids, counts, left=left, color=VERDICT_COLORS[v], label=v, edgecolor="black",
                linewidth=0.3, height=0.7)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("proof steps")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(ncol=3, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False,
              handlelength=1.0, columnspacing=1.0)
    return fig


def _relative(check) -> float:
    if not isinstance(check, Mapping):
        return math.nan
    from ..trial import relative_slack

    return relative_slack(*(_num(check.get(k)) for k in ("lhs", "rhs", "slack")))


# (marker, colour, legend text, vertical offset within the claim's row)
_SLACK_KINDS = {
    "instances": ("o", "#2e7d32", "Hypothesis instances, all premises (worst)", -0.22),
    "all": ("s", "#1565c0", "search, all premises (worst found)", 0.0),
    "found": ("x", "#c62828", "search without a premise: counterexample", 0.22),
    "none": ("+", "#1565c0", "search without a premise: none found", 0.22),
    "rounding": ("x", "#9e9e9e", "search: failure by float64 rounding only", 0.22),
    "refined": ("x", "#8e24aa", "failure reached by refinement only (not counted)", 0.22),
}


def _search_kind(s) -> str:
    if s["drop_premise"] is None:
        return "all"
    if s.get("found_by") == "refinement" and s.get("found"):
        return "refined"
    if s.get("found"):
        return "rounding" if s.get("marginal") else "found"
    return "none"


def _slack_plot(plt, claims) -> Any:
    ids = [c["id"] for c in claims]
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 0.24 * len(ids) + 1.5))
    used: set[str] = set()

    def mark(kind, x, y):
        m, col, _, dy = _SLACK_KINDS[kind]
        ax.plot([x], [y + dy], m, color=col, ms=4, mew=1.0, ls="")
        used.add(kind)

    for y, c in enumerate(claims):
        rel = _num(c.get("checks", {}).get("worst_relative_slack"))
        if math.isfinite(rel):
            mark("instances", rel, y)
        dropped = []
        for s in c.get("searches", []):
            r = _relative(s.get("worst"))
            if not math.isfinite(r):
                continue
            kind = _search_kind(s)
            mark(kind, r, y)
            if kind == "found":
                dropped.append(s["drop_premise"])
        if dropped:  # names of the premises whose removal breaks the claim, in the row
            ax.text(-5e-7, y + 0.22, "without " + ", ".join(dropped), fontsize=6,
                    color=_SLACK_KINDS["found"][1], ha="right", va="center")
    ax.set_yticks(range(len(ids)), ids)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xscale("symlog", linthresh=1e-6, linscale=0.5)
    ax.set_xlim(-2.0, 2.0)
    # linear within ±1e-6 (rounding level), logarithmic outside
    ax.set_xticks([-1, -1e-3, 0, 1e-3, 1],
                  [r"$-1$", r"$-10^{-3}$", r"$0$", r"$10^{-3}$", r"$1$"], fontsize=7)
    ax.minorticks_off()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_ylim(len(ids) - 0.5, -0.5)
    ax.set_xlabel(r"relative slack $s/\max(|\mathrm{lhs}|,|\mathrm{rhs}|)$"
                  "\n" r"($<0$: the claim fails there)")
    kinds = [k for k in _SLACK_KINDS if k in used]
    handles = [plt.Line2D([], [], ls="", marker=_SLACK_KINDS[k][0], color=_SLACK_KINDS[k][1],
                          ms=4) for k in kinds]
    ax.legend(handles, [_SLACK_KINDS[k][2] for k in kinds], fontsize=6.5, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncol=1, frameon=False, handletextpad=0.3)
    return fig


def _flow_plot(plt, flows) -> Any | None:
    flow = flows.get("theorem1") or {}
    traj = flow.get("trajectory") or {}
    t = traj.get("times")
    if not t or "e_norm2" not in traj or "S_norm2" not in traj:
        return None
    energy = [a + b for a, b in zip(traj["e_norm2"], traj["S_norm2"], strict=True)]
    fig, ax = plt.subplots(figsize=(COLUMN_IN - 0.45, 2.3))  # the right axis takes the rest
    lines = ax.semilogy(t, [max(e, 1e-300) for e in energy], color="#1565c0",
                        label=r"$\|e(t)\|^2+\|S(t)\|^2$")
    lam = (flow.get("result") or {}).get("lambda_star")
    if lam:
        lines += ax.semilogy(t, [energy[0] * math.exp(-lam * s) for s in t], "--", color="0.35",
                             label=r"Theorem 1: $e^{-\lambda_* t}(\|e(0)\|^2+\|S(0)\|^2)$")
    if "lambda_min_H" in traj:
        ax2 = ax.twinx()
        lines += ax2.plot(t, traj["lambda_min_H"], color="#e65100", lw=1.0,
                          label=r"$\lambda_{\min}(H(t))$ (right axis)")
        ax2.set_ylabel(r"$\lambda_{\min}(H(t))$")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel("residual energy")
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False, ncol=1)
    return fig


def _dependency_graph(plt, claims):
    from .depgraph import draw

    return draw(plt, claims, VERDICT_COLORS)


def draw_all(audit: Mapping[str, Any], directory: str | Path) -> list[dict]:
    """Draw every figure of ``audit`` (a dict from ``audit.json``) into ``directory/figures``."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    directory = Path(directory)
    claims = list(audit.get("claims", []))
    specs = [
        ("verdicts", "Verdicts of the proof steps of each claim.", _verdict_bars, claims),
        ("slack", "Smallest relative slack of each claim: on Hypothesis instances satisfying all "
         "its premises, in the search under all premises and in the searches without one "
         "premise (the premises whose removal gives a counterexample are named in the row). "
         "Negative: the claim fails there.", _slack_plot, claims),
        ("dependencies", "Claim dependency graph; each node is coloured by the claim's "
         "verdict, arrows point from a claim to the claims that use it; a claim sits one "
         "layer above the first claim that uses it.", _dependency_graph, claims),
        ("flow_energy", "Theorem 1 flow: residual energy against the bound of Theorem 1 (dashed) and "
         "the smallest eigenvalue of H(t) "
         "along the trajectory.", _flow_plot, audit.get("flows", {})),
    ]
    out = []
    with plt.rc_context({"font.size": 8, "pdf.fonttype": 42, "axes.linewidth": 0.6,
                         "lines.linewidth": 1.2, "mathtext.fontset": "dejavusans"}):
        for name, caption, fn, data in specs:
            if not data:
                continue
            fig = fn(plt, data)
            if fig is None:
                continue
            if isinstance(fig, tuple):  # ("dot", files) or ("figure", fig)
                kind, fig = fig
                if kind == "dot":
                    out.append({"name": name, "caption": caption,
                                **_write(directory, name, fig)})
                    continue
            try:
                out.append({"name": name, "caption": caption,
                            **_write(directory, name, figure_bytes(fig))})
            finally:
                plt.close(fig)
    return out
