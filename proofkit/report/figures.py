"""Figures of an audit (PDF and PNG, matplotlib's Agg backend, imported lazily).

Every figure is drawn from the audit's JSON alone, so ``proofkit report`` can redraw them
without recomputing.  :func:`draw_all` returns one record per figure written:
``{"name", "caption", "pdf", "png"}`` with paths relative to the output directory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .common import VERDICT_ORDER

__all__ = ["VERDICT_COLORS", "dependency_levels", "draw_all"]

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


def _save(fig, directory: Path, name: str) -> dict:
    import io

    from .atomic import write_bytes

    paths = {}
    for ext in ("pdf", "png"):
        buf = io.BytesIO()
        meta = {"CreationDate": None} if ext == "pdf" else {"Software": None}
        fig.savefig(buf, format=ext, dpi=150, bbox_inches="tight", metadata=meta)
        write_bytes(directory / "figures" / f"{name}.{ext}", buf.getvalue())
        paths[ext] = f"figures/{name}.{ext}"
    return paths


def _verdict_bars(plt, claims) -> Any:
    ids = [c["id"] for c in claims]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(ids) + 1.2))
    left = [0] * len(ids)
    for v in _ORDER:
        counts = [sum(s["verdict"] == v for s in c.get("steps", [])) for c in claims]
        ax.barh(ids, counts, left=left, color=VERDICT_COLORS[v], label=v, edgecolor="black",
                linewidth=0.3)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("proof steps")
    ax.legend(ncol=5, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return fig


def _relative(check) -> float:
    if not isinstance(check, Mapping):
        return math.nan
    from ..trial import relative_slack

    return relative_slack(*(_num(check.get(k)) for k in ("lhs", "rhs", "slack")))


def _slack_plot(plt, claims) -> Any:
    ids = [c["id"] for c in claims]
    fig, ax = plt.subplots(figsize=(7, 0.34 * len(ids) + 1.4))
    for y, c in enumerate(claims):
        rel = _num(c.get("checks", {}).get("worst_relative_slack"))
        if math.isfinite(rel):
            ax.plot([rel], [y], "o", color="#2e7d32" if rel >= 0 else "#c62828", ms=6)
        for s in c.get("searches", []):
            r = _relative(s.get("worst"))
            if not math.isfinite(r):
                continue
            color = ("#9e9e9e" if s.get("marginal") else "#8e24aa"
                     if s.get("found_by") == "refinement" else "#c62828" if s.get("found")
                     else "#1565c0")
            marker = "s" if s["drop_premise"] is None else "x"
            ax.plot([r], [y], marker, color=color, ms=5)
            if s["drop_premise"] is not None and s.get("found") and not s.get("marginal") \
                    and s.get("found_by") != "refinement":
                ax.annotate(f" −{s['drop_premise']}", (r, y), fontsize=6, color=color,
                            va="bottom")
    ax.set_yticks(range(len(ids)), ids)
    ax.set_xscale("symlog", linthresh=1e-6)
    ax.set_xlim(-2.2, 2.2)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.invert_yaxis()
    ax.set_xlabel("relative slack  slack / max(|lhs|, |rhs|)   (< 0: the claim fails there)")
    handles = [plt.Line2D([], [], ls="", marker=m, color=c) for m, c in
               (("o", "#2e7d32"), ("s", "#1565c0"), ("x", "#c62828"), ("x", "#9e9e9e"),
                ("x", "#8e24aa"))]
    ax.legend(handles, ["Hypothesis instances, all premises (worst)",
                        "search, all premises (worst found)",
                        "search without a premise: counterexample", "failure by rounding only",
                        "failure reached by refinement only (not counted)"],
              fontsize=6, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return fig


def _dependency_graph(plt, claims) -> Any:
    level = dependency_levels(claims)
    status = {c["id"]: c["verdict"] for c in claims}
    for c in claims:
        for d in c.get("depends_on", []):
            status.setdefault(d, "not audited")
            level.setdefault(d, 0)
    columns: dict[int, list[str]] = {}
    for cid in status:
        columns.setdefault(level[cid], []).append(cid)
    height = max(len(v) for v in columns.values())
    pos = {}
    for lv, ids in columns.items():
        for j, cid in enumerate(ids):
            pos[cid] = (lv, (len(ids) - 1) / 2 - j)
    fig, ax = plt.subplots(figsize=(1.9 * (max(columns) + 1) + 1.0, 0.55 * height + 1.0))
    for c in claims:
        for d in c.get("depends_on", []):
            ax.annotate("", xy=pos[c["id"]], xytext=pos[d],
                        arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 0.7,
                                    "shrinkA": 14, "shrinkB": 14})
    for cid, (x, y) in pos.items():
        ax.annotate(cid, (x, y), ha="center", va="center", fontsize=7,
                    bbox={"boxstyle": "round,pad=0.3", "fc": VERDICT_COLORS[status[cid]],
                          "ec": "black", "lw": 0.5, "alpha": 0.9},
                    color="white" if status[cid] in ("verified", "error", "typo", "gap") else "black")
    ax.set_xlim(-0.7, max(columns) + 0.7)
    ax.set_ylim(-height / 2 - 0.3, height / 2 + 0.3)
    ax.axis("off")
    handles = [plt.Rectangle((0, 0), 1, 1, fc=VERDICT_COLORS[v], ec="black", lw=0.5)
               for v in (*_ORDER, "not audited")]
    ax.legend(handles, [*_ORDER, "not audited"], ncol=6, fontsize=6, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False)
    return fig


def _flow_plot(plt, flows) -> Any | None:
    import math

    flow = flows.get("theorem1") or {}
    traj = flow.get("trajectory") or {}
    t = traj.get("times")
    if not t or "e_norm2" not in traj or "S_norm2" not in traj:
        return None
    energy = [a + b for a, b in zip(traj["e_norm2"], traj["S_norm2"], strict=True)]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.semilogy(t, [max(e, 1e-300) for e in energy], label=r"$\|e(t)\|^2+\|S(t)\|^2$")
    lam = (flow.get("result") or {}).get("lambda_star")
    if lam:
        ax.semilogy(t, [energy[0] * math.exp(-lam * s) for s in t], "--", color="0.4",
                    label=r"Theorem 1: $e^{-\lambda_* t}(\|e(0)\|^2+\|S(0)\|^2)$")
    if "lambda_min_H" in traj:
        ax2 = ax.twinx()
        ax2.plot(t, traj["lambda_min_H"], color="#f9a825", label=r"$\lambda_{\min}(H(t))$")
        ax2.set_ylabel(r"$\lambda_{\min}(H(t))$")
    ax.set_xlabel("t")
    ax.set_ylabel("residual energy")
    ax.legend(fontsize=7, loc="upper right")
    return fig


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
         "its premises (circles), in the search under all premises (squares) and in the "
         "searches without one premise (crosses, labelled when a counterexample was found). "
         "Negative: the claim fails there.", _slack_plot, claims),
        ("dependencies", "Claim dependency graph; each node is coloured by the claim's "
         "verdict, arrows point from a claim to the claims that use it.", _dependency_graph,
         claims),
        ("flow_energy", "Theorem 1 flow: residual energy against the bound of Theorem 1 (dashed) and "
         "the smallest eigenvalue of H(t) "
         "along the trajectory.", _flow_plot, audit.get("flows", {})),
    ]
    out = []
    with plt.rc_context({"font.size": 8, "pdf.fonttype": 42}):
        for name, caption, fn, data in specs:
            if not data:
                continue
            fig = fn(plt, data)
            if fig is None:
                continue
            try:
                out.append({"name": name, "caption": caption, **_save(fig, directory, name)})
            finally:
                plt.close(fig)
    return out
