"""Small helpers shared by the Markdown and LaTeX renderers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..claims import Verdict

__all__ = [
    "TALLY_HEADER",
    "VERDICT_ORDER",
    "flow_checks",
    "fmt",
    "premise_findings",
    "search_label",
    "step_counts",
    "step_tally",
]


def fmt(v: Any, digits: int = 4) -> str:
    """A number for a table: ``3.142``, ``-4.44e-16``, ``inf``, ``–`` for none."""
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    f = float(v)
    if not math.isfinite(f):
        return str(f)
    return f"{f:.{digits}g}"


def step_counts(c: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in c.get("steps", []):
        out[s["verdict"]] = out.get(s["verdict"], 0) + 1
    return out


#: Verdicts from least to most severe (docs/verdicts.md), and their column header.
VERDICT_ORDER = tuple(v.value for v in Verdict)
TALLY_HEADER = "v/l/ev/t/g/i/e"


def step_tally(c: Mapping[str, Any]) -> str:
    """The claim's step counts in :data:`VERDICT_ORDER`, e.g. ``3/1/0/0/1/0/0``."""
    n = step_counts(c)
    return "/".join(str(n.get(v, 0)) for v in VERDICT_ORDER)


def search_label(s: Mapping[str, Any]) -> str:
    """One phrase for a search: what was dropped and what came out."""
    if s.get("note", "").startswith("not searched"):
        return "not searched"
    if s.get("found"):
        label = "counterexample (float64 rounding tie)" if s.get("marginal") else "counterexample"
        if s.get("found_by") == "refinement":
            label += " reached by refinement only (outside the claim's strategy; not counted)"
        return label
    return "none found"


def premise_findings(c: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(premise, finding) for each premise searched without."""
    out = []
    for s in c.get("searches", []):
        if s.get("drop_premise") is None:
            continue
        if s.get("found") and s.get("found_by") == "refinement":
            msg = ("a failure without it was reached only by the refinement, outside the "
                   "claim's strategy: inspect the counterexample file")
        elif s.get("found") and not s.get("marginal"):
            msg = "needed: the claim fails without it"
        elif s.get("found"):
            msg = "only a rounding-level failure without it"
        elif s.get("note", "").startswith("not searched"):
            msg = s["note"]
        else:
            msg = f"no counterexample without it in {s.get('evaluations', 0)} evaluations"
        out.append((s["drop_premise"], msg))
    return out


def flow_checks(result: Any) -> tuple[list[tuple[str, Mapping[str, Any]]], list[tuple[str, Any]]]:
    """(checks, scalars) of a flow validation result.

    Checks are the entries with a ``holds`` field, whether at the top level or under
    ``"checks"``; scalars are the top-level numbers, strings and booleans (and one level of
    nested numbers, e.g. ``width_required.theorem1``).
    """
    if not isinstance(result, Mapping):
        return [], []
    pool = dict(result)
    if isinstance(pool.get("checks"), Mapping):
        pool = {**pool, **pool.pop("checks")}
    checks, scalars = [], []
    for k, v in pool.items():
        if isinstance(v, Mapping) and "holds" in v:
            checks.append((k, v))
        elif isinstance(v, bool | int | float | str) and len(str(v)) < 120:
            scalars.append((k, v))
        elif isinstance(v, Mapping) and k != "trajectory":
            scalars += [(f"{k}.{kk}", vv) for kk, vv in v.items()
                        if isinstance(vv, bool | int | float)]
    return checks, scalars
