"""``python -m benchmarks [--quick] [--json] [--write-docs] [--output PATH]``.

Nothing is written unless ``--write-docs`` or ``--output`` is given."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from .runner import SIZES, format_markdown, format_table, run_all

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="proofkit speed and memory benchmarks")
    parser.add_argument("--quick", action="store_true",
                        help="shorter run: fewer steps and repeats (still m = 1e5 and 1e6 "
                             "for the GD rows), m <= 1e5 for the scaling fit, no "
                             "default-budget audit")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON on stdout instead of a table")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--write-docs", action="store_true",
                       help="write the Markdown report to docs/performance.md")
    where.add_argument("--output", type=Path, default=None,
                       help="write the Markdown report to this path instead")
    where.add_argument("--no-write", action="store_true",
                       help="write nothing (the default; kept for old command lines)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS and torch threads (needs threadpoolctl; default: the BLAS "
                             "default, recorded either way)")
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        print(f"python -m benchmarks: --threads {args.threads}: need an integer >= 1",
              file=sys.stderr)
        return 2
    if args.threads is not None and importlib.util.find_spec("threadpoolctl") is None:
        print("python -m benchmarks: --threads needs threadpoolctl "
              "(pip install 'proofkit[bench]')", file=sys.stderr)
        return 2
    mode = "quick" if args.quick else "full"
    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True))
    report = run_all(SIZES[mode], progress=progress, threads=args.threads)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        print(format_table(report))
    out_path = args.output or (DEFAULT_OUTPUT if args.write_docs else None)
    if out_path is not None:  # --no-write excludes both, so it never gets here
        command = ("python -m benchmarks" + (" --quick" if args.quick else "")
                   + (f" --threads {args.threads}" if args.threads else "")
                   + (" --write-docs" if args.write_docs else f" --output {out_path}"))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(out_path.name + ".tmp")
        tmp.write_text(format_markdown(report, mode=mode, command=command), encoding="utf-8")
        tmp.replace(out_path)
        print(f"wrote {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
