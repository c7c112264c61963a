"""``report.md``: the audit as Markdown that reads on its own (GitHub-flavoured tables)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import TALLY_HEADER, flow_checks, fmt, premise_findings, search_label, step_tally
from .mathtex import statement_latex
from .unicode import formula as unicode_formula

__all__ = ["cell", "render"]


def cell(s: Any) -> str:
    """Text for a Markdown table cell: pipes escaped, newlines folded."""
    return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") if s != "" else " "


def _code(s: str) -> str:
    return "`" + str(s).replace("`", "'") + "`"


def _math(s: str) -> str:
    s = str(s).replace("|", "\\|").replace("\n", " ")
    return f"${s}$" if s else "–"


def _graph(claims) -> list[str]:
    L = ["```mermaid", "graph LR"]
    for c in claims:
        L.append(f"  {c['id']}[\"{c['id']}: {c['verdict']}\"]")
        for d in c.get("depends_on", []):
            L.append(f"  {d} --> {c['id']}")
    L.append("```")
    return L


def render(audit: Mapping[str, Any], figures: list[dict] | None = None) -> str:
    """The whole ``report.md`` for an audit dict (as in ``audit.json``)."""
    claims = list(audit.get("claims", []))
    s = audit.get("summary", {})
    env = audit.get("environment", {})
    L = ["# Proof audit of Cocola & Hand (2020) by proofkit", "",
         f"Budget **{audit['budget']}**, seed **{audit['seed']}**, proofkit "
         f"{audit['tool_version']}, created {audit['created']} "
         f"({fmt(audit.get('timings', {}).get('total_s'), 3)} s).", "",
         f"{s.get('claims', len(claims))} claims, {s.get('steps', 0)} proof steps. Claim verdicts: "
         + ", ".join(f"{n} {v}" for v, n in s.get("claims_by_verdict", {}).items() if n)
         + ". Step verdicts: "
         + ", ".join(f"{n} {v}" for v, n in s.get("steps_by_verdict", {}).items() if n)
         + f". Counterexample files: {s.get('counterexamples', 0)}.", "",
         "A claim's verdict is the most severe of its step verdicts, its check on the example "
         "instance, its checks on Hypothesis instances and its counterexample search under all "
         "premises (a failure by float64 rounding alone is not counted). Verdicts, least to most "
         "severe (see docs/verdicts.md): `verified`, `loose` (true, a tighter bound follows), "
         "`evidence` (computed support that is not a proof), `typo` (a misprint), `gap` (does "
         "not follow as written; the stated repair, re-checked, closes it), `inconclusive`, "
         "`error` (false as stated).", "",
         "## Claims", "",
         f"| Claim | Title | Location | Verdict | Steps {TALLY_HEADER} | Instances held | "
         "Smallest slack | Depends on |",
         "|---|---|---|---|---|---|---|---|"]
    for c in claims:
        counts = step_tally(c)
        ch = c.get("checks", {})
        verdict = f"**{c['verdict']}**" if c["verdict"] == "error" else c["verdict"]
        L.append(f"| [{c['id']}](#{c['id']}) | {cell(c['title'])} | {cell(c['location'])} | "
                 f"{verdict} | {counts} | {ch.get('held', 0)}/{ch.get('tried', 0)} | "
                 f"{fmt(ch.get('worst_slack')) if ch.get('tried') else '–'} | "
                 f"{cell(', '.join(c.get('depends_on', [])) or '–')} |")
    L += ["", "## Dependency graph", "", *_graph(claims), ""]
    for c in claims:
        L += [f"## {c['id']}", "", f"**{c['title']}** ({c['location']}, {c['kind']}) — "
              f"verdict **{c['verdict']}** (steps on the example: {c['example_verdict']}).", ""]
        if c.get("statement"):
            tex = statement_latex(c["statement"])
            L += [f"Statement: ${tex}$" if tex else f"Statement (SymPy): {_code(c['statement'])}",
                  ""]
        if c.get("premises"):
            L += ["Premises: " + "; ".join(f"{_code(p['name'])} — {p['description']}"
                                           for p in c["premises"]), ""]
        if c.get("error"):
            L += [f"**The claim could not be run:** {c['error']}", ""]
        if c.get("steps"):
            L += ["| Step | Verdict | Paper | Derived | Detail | Repair |",
                  "|---|---|---|---|---|---|"]
            for st in c["steps"]:
                L.append(f"| {_code(st['id'])} | {st['verdict']} | {_math(st['paper'])} | "
                         f"{cell(unicode_formula(st['derived'])) if st['derived'] else '–'} | "
                         f"{cell(st['detail'])} | {cell(st.get('repair') or '–')} |")
            L.append("")
        ex = c.get("example") or {}
        if ex.get("check"):
            k = ex["check"]
            L += [f"Example instance (n=4, d=5, k=2, m=200): lhs {fmt(k['lhs'], 10)} "
                  f"{k['relation']} rhs {fmt(k['rhs'], 10)}, holds = {k['holds']}, slack "
                  f"{fmt(k['slack'])}; premises hold: "
                  + ", ".join(f"{p} = {h}" for p, h in ex.get("premises_hold", {}).items()), ""]
        ch = c.get("checks", {})
        L += [f"Hypothesis instances under all premises: {ch.get('held', 0)} of "
              f"{ch.get('tried', 0)} held (smallest slack {fmt(ch.get('worst_slack'))}, "
              f"{ch.get('failed_rounding', 0)} failures by float64 rounding only, "
              f"{ch.get('ties', 0)} ties at the data's resolution, "
              f"{ch.get('rejected', 0)} rejected, {ch.get('errors', 0)} errors"
              + (", stopped by the safety stop" if ch.get("safety_stop") else "")
              + f"); SymPy statement agreed on {ch.get('statement_agrees', 0)}, disagreed on "
              f"{ch.get('statement_disagrees', 0)}." + (f" Note: {ch['note']}" if ch.get("note")
                                                        else ""), ""]
        if c.get("searches"):
            L += ["| Search | Result | Evaluations | Smallest slack | Refined from | File |",
                  "|---|---|---|---|---|---|"]
            for se in c["searches"]:
                what = "all premises" if se["drop_premise"] is None else \
                    f"without `{se['drop_premise']}`"
                ref = (se.get("refinement") or {}).get("slack_before")
                file = f"[{se['file']}]({se['file']})" if se.get("file") else "–"
                L.append(f"| {what} | {search_label(se)} | {se.get('evaluations', 0)} | "
                         f"{fmt(se.get('worst_slack'))} | {fmt(ref)} | {file} |")
            L.append("")
            notes = [f"{se['drop_premise'] or 'all premises'}: {se['note']}"
                     for se in c["searches"] if se.get("note")]
            for se in c["searches"]:
                if se.get("found") and se.get("refutes"):
                    where = (f"without `{se['drop_premise']}`" if se["drop_premise"]
                             else "under all premises")
                    L.append(f"- The counterexample {where} refutes {se['refutes']}.")
            L += [f"Notes: {cell('; '.join(notes))}", ""] if notes else []
        for p, msg in premise_findings(c):
            L.append(f"- Premise `{p}`: {msg}.")
        L.append("")
    L += ["## End-to-end flows (Theorems 1–2)", ""]
    for name, f in audit.get("flows", {}).items():
        if f.get("status") != "ran":
            L.append(f"- **{name}**: skipped — {f.get('reason', '')}")
            continue
        L.append(f"- **{name}**: ran in {fmt(f.get('seconds'), 3)} s at "
                 + ", ".join(f"{k}={v}" for k, v in f.get("sizes", {}).items()))
        checks, scalars = flow_checks(f.get("result"))
        for k, v in checks:
            extra = ", ".join(f"{n} {fmt(v[n])}" for n in ("worst_ratio", "bound", "measured",
                                                           "first_failure_time") if n in v)
            L.append(f"  - `{k}`: holds = {v['holds']}" + (f" ({extra})" if extra else ""))
        if scalars:
            L.append("  - " + "; ".join(f"{k} = {fmt(v)}" for k, v in scalars))
    L.append("")
    if figures:
        L += ["## Figures", ""]
        for f in figures:
            L += [f"![{f['caption']}]({f['png']})", "", f"*{f['caption']}* ([PDF]({f['pdf']}))",
                  ""]
    vers = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items() if v)
    L += ["## Reproducibility", "",
          f"- Command: `{' '.join(audit.get('command', []))}`",
          f"- Seed {audit['seed']}, budget {audit['budget']}",
          f"- Versions: {vers}", f"- BLAS: {env.get('blas')}; platform: {env.get('platform')}",
          f"- Git revision: {env.get('git_revision') or 'unknown'}",
          "- Replay a counterexample: `proofkit replay counterexamples/FILE.json`; re-render "
          "this report without recomputing: `proofkit report audit.json --format md`.", ""]
    return "\n".join(L)
