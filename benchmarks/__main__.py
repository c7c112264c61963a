"""``python -m benchmarks [--quick] [--json] [--output PATH | --no-write]``."""

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
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="Markdown report to write (default: docs/performance.md)")
    parser.add_argument("--no-write", action="store_true", help="do not write the Markdown")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True))
    report = run_all(SIZES[mode], progress=progress)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        print(format_table(report))
    if not args.no_write:
        command = "python -m benchmarks" + (" --quick" if args.quick else "")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(format_markdown(report, mode=mode, command=command),
                               encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
