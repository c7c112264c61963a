"""Reports of an audit: ``audit.json`` (+ schema), ``report.md``, ``appendix.tex``, figures.

Renderers read the audit's JSON form only, so :func:`render` re-renders a saved
``audit.json`` without recomputing anything.  Heavy modules (matplotlib) load lazily.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FORMATS", "render", "write_outputs"]

FORMATS = ("json", "md", "tex")


def render(audit: dict, directory: str | Path, formats=FORMATS, *, figures: bool = True) -> list:
    """Write the requested formats of an audit dict into ``directory`` (each file atomic).

    ``tex`` and ``md`` also (re)draw the figures they reference.  Returns the paths written.
    """
    from . import json_report, latex, markdown
    from .atomic import write_text

    directory = Path(directory)
    written = []
    figs: list[dict] = []
    if figures and ({"tex", "md"} & set(formats)):
        try:
            from .figures import draw_all

            figs = draw_all(audit, directory)
        except ImportError:  # matplotlib missing: reports without figures, said in the text
            figs = []
        written += [directory / f[k] for f in figs for k in ("pdf", "png")]
    if "json" in formats:
        written.append(write_text(directory / "audit.json", json_report.dumps(audit)))
    if "md" in formats:
        written.append(write_text(directory / "report.md", markdown.render(audit, figs)))
    if "tex" in formats:
        written.append(write_text(directory / "appendix.tex", latex.render(audit, figs)))
    return written


def write_outputs(result, directory: str | Path, *, figures: bool = True) -> list:
    """Every output of an :class:`~proofkit.audit.AuditResult` into ``directory``."""
    return render(result.to_dict(), directory, FORMATS, figures=figures)
