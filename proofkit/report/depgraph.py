"""The claim dependency graph as a layered DAG that fits one journal column (3.4 in).

Layers are assigned *as late as possible*: a claim sits one layer above the first claim
that uses it, so the many claims that use nothing spread over the layers instead of
crowding the top one.  Within a layer, claims are ordered by the mean position of the
claims they use (the barycenter heuristic), which keeps edges short and crossings few.
With Graphviz's ``dot`` on the PATH the graph is drawn by ``dot`` with these layers
(``rank=same``); otherwise matplotlib draws the same layout.  Node labels are 8 pt at
the figure's natural width, which is at most one column.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from .common import VERDICT_ORDER

__all__ = ["COLUMN_IN", "draw", "graph_dot", "layers"]

COLUMN_IN = 3.4
_ORDER = (*VERDICT_ORDER, "not audited")
_WHITE_TEXT = ("verified", "error", "typo", "gap")  # verdicts whose fill colour is dark


def _graph(claims) -> tuple[dict[str, str], dict[str, list[str]]]:
    status = {c["id"]: c["verdict"] for c in claims}
    deps = {c["id"]: list(c.get("depends_on", [])) for c in claims}
    for c in claims:
        for d in deps[c["id"]]:
            status.setdefault(d, "not audited")
            deps.setdefault(d, [])
    return status, deps


def layers(claims: list[Mapping[str, Any]]) -> list[list[str]]:
    """Claim ids by layer, top (used by others) to bottom, each layer in barycenter order.

    >>> layers([{"id": "a", "verdict": "verified", "depends_on": []},
    ...         {"id": "b", "verdict": "loose", "depends_on": ["a"]},
    ...         {"id": "c", "verdict": "loose", "depends_on": []}])
    [['a'], ['b', 'c']]
    """
    _, deps = _graph(claims)
    users: dict[str, list[str]] = {k: [] for k in deps}
    for k, ds in deps.items():
        for d in ds:
            users[d].append(k)
    depth: dict[str, int] = {}

    def down(k: str, stack: tuple[str, ...] = ()) -> int:  # longest chain of deps below k
        if k not in depth:
            depth[k] = 0 if k in stack else 1 + max(
                (down(d, (*stack, k)) for d in deps[k] if d not in stack), default=-1)
        return depth[k]

    for k in deps:
        down(k)
    bottom = max(depth.values(), default=0)
    rank: dict[str, int] = {}

    def late(k: str, stack: tuple[str, ...] = ()) -> int:
        if k not in rank:
            us = [u for u in users[k] if u not in stack]
            rank[k] = min((late(u, (*stack, k)) for u in us), default=bottom + 1) - 1
            rank[k] = max(rank[k], depth[k])
        return rank[k]

    for k in deps:
        late(k)
    out: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for k in deps:
        out[rank[k]].append(k)
    pos: dict[str, float] = {}
    for row in out:
        index = {k: i for i, k in enumerate(row)}

        def key(k: str, index=index) -> tuple[float, int]:
            # layers above are already placed; a claim using none keeps its place
            ps = [pos[d] for d in deps[k] if d in pos]
            return (sum(ps) / len(ps) if ps else index[k], index[k])

        row.sort(key=key)
        for i, k in enumerate(row):
            pos[k] = i
    return [part for row in out if row for part in _wrap(row)]


#: Characters of labels one row holds at 8 pt in one column (3.4 in); a longer layer wraps
#: onto several rows (claims of one layer never depend on each other, so order is kept).
ROW_CHARS = 20


def _wrap(row: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for k in row:
        if parts[-1] and sum(map(len, parts[-1])) + len(k) > ROW_CHARS:
            parts.append([])
        parts[-1].append(k)
    return parts


def graph_dot(claims, colors: Mapping[str, str]) -> str:
    """The graph in Graphviz's language, with the layers of :func:`layers` and a legend."""
    status, deps = _graph(claims)
    L = ["digraph claims {", '  graph [rankdir=TB, nodesep=0.06, ranksep=0.2, margin=0.02, '
         'pad=0.02, fontname="DejaVu Sans Condensed"];',
         '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans Condensed", fontsize=8, '
         'height=0.2, width=0.3, margin="0.03,0.015", penwidth=0.6];',
         '  edge [arrowsize=0.5, penwidth=0.6, color="#555555"];']
    rows = layers(claims)
    for above, row in zip([None, *rows], rows, strict=False):
        L.append("  { rank=same; " + " ".join(f'"{k}";' for k in row) + " }")
        if above:  # keep the rows in order, also where a wrapped layer has no edge down
            L.append(f'  "{above[0]}" -> "{row[0]}" [style=invis];')
        for k in row:
            fc = "white" if status[k] in _WHITE_TEXT else "black"
            L.append(f'  "{k}" [fillcolor="{colors[status[k]]}", fontcolor="{fc}"];')
    for k, ds in deps.items():
        for d in ds:
            L.append(f'  "{d}" -> "{k}";')
    used = [v for v in _ORDER if v in set(status.values())]
    cells = "".join(
        f'<td bgcolor="{colors[v]}" border="1"><font color='
        f'"{"white" if v in _WHITE_TEXT else "black"}">{v}</font></td>'
        for v in used)
    L.append(f'  label=<<table border="0" cellspacing="3" cellpadding="1"><tr>{cells}'
             '</tr></table>>; labelloc=b; fontsize=8;')
    L.append("}")
    return "\n".join(L) + "\n"


def _dot(claims, colors) -> dict[str, bytes] | None:
    exe = shutil.which("dot")
    if exe is None:
        return None
    src = graph_dot(claims, colors).encode()
    out = {}
    for ext, extra in (("pdf", []), ("png", ["-Gdpi=300"])):
        run = subprocess.run([exe, f"-T{ext}", *extra], input=src, capture_output=True,
                             timeout=60)
        if run.returncode:
            return None
        out[ext] = run.stdout
    return out


def _matplotlib(plt, claims, colors):
    status, deps = _graph(claims)
    rows = layers(claims)
    row_h, gap = 0.36, 0.08  # inches
    h = row_h * len(rows) + 0.5
    fig = plt.figure(figsize=(COLUMN_IN, h))
    ax = fig.add_axes((0, 0.5 / h, 1, 1 - 0.5 / h))  # data units are inches
    pos = {}
    for y, row in enumerate(rows):
        widths = [0.0625 * len(k) + 0.12 for k in row]  # 8 pt DejaVu Sans, padded box
        x = (COLUMN_IN - sum(widths) - gap * (len(row) - 1)) / 2
        for k, w in zip(row, widths, strict=True):
            pos[k] = (x + w / 2, -(y + 0.5) * row_h)
            x += w + gap
    for k, ds in deps.items():
        for d in ds:
            ax.annotate("", xy=pos[k], xytext=pos[d],
                        arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 0.6,
                                    "shrinkA": 6, "shrinkB": 6, "mutation_scale": 7})
    for k, (x, y) in pos.items():
        ax.text(x, y, k, ha="center", va="center", fontsize=8,
                color="white" if status[k] in _WHITE_TEXT else "black",
                bbox={"boxstyle": "round,pad=0.2", "fc": colors[status[k]], "ec": "black",
                      "lw": 0.5})
    ax.set_xlim(0, COLUMN_IN)
    ax.set_ylim(-row_h * len(rows), 0)
    ax.axis("off")
    used = [v for v in _ORDER if v in set(status.values())]
    handles = [plt.Rectangle((0, 0), 1, 1, fc=colors[v], ec="black", lw=0.5) for v in used]
    ax.legend(handles, used, ncol=len(used), fontsize=8, loc="upper center",
              bbox_to_anchor=(0.5, 0.0), frameon=False, handlelength=0.8, columnspacing=0.6,
              handletextpad=0.3)
    return fig


def draw(plt, claims, colors) -> tuple[str, Any]:
    """``("dot", {"pdf": bytes, "png": bytes})`` from Graphviz, else ``("figure", fig)``."""
    files = _dot(claims, colors)
    if files is not None:
        return "dot", files
    return "figure", _matplotlib(plt, claims, colors)
