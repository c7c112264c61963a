"""``python -m benchmarks [--quick] [--json] [--write-docs | --output PATH]``.

Results go to stdout; a Markdown report is written only when asked: ``--write-docs``
regenerates the tracked ``docs/performance.md``, ``--output PATH`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .runner import SIZES, format_markdown, format_table, run_all

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="proofkit speed and memory benchmarks")
    parser.add_argument("--quick", action="store_true",
                        help="short run (< 3 minutes on 2 cores): fewer repeats, m <= 1e5 "
                             "for the scaling fit, no default-budget audit")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON on stdout instead of a table")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--write-docs", action="store_true",
                       help="write the Markdown report to docs/performance.md (tracked)")
    where.add_argument("--output", type=Path, default=None,
                       help="write the Markdown report to this file")
    where.add_argument("--no-write", action="store_true",
                       help="write no Markdown (the default; kept for old scripts)")
    args = parser.parse_args(argv)
    output = DEFAULT_OUTPUT if args.write_docs else args.output
    mode = "quick" if args.quick else "full"
    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True))
    report = run_all(SIZES[mode], progress=progress)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        print(format_table(report))
    if output is not None:
        command = "python -m benchmarks" + (" --quick" if args.quick else "") + (
            " --write-docs" if args.write_docs else f" --output {output}")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(format_markdown(report, mode=mode, command=command),
                          encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
