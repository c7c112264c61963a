"""proofkit benchmarks: engine speed and memory, as ratios measured in one run (issue 6).

Run from the repository root::

    python -m benchmarks                # full sizes, prints the table
    python -m benchmarks --write-docs   # ... and writes docs/performance.md
    python -m benchmarks --quick        # fewer repeats and smaller scaling fit
    python -m benchmarks --json     # machine-readable output on stdout

Every row is a dict ``{"name", "value", "unit", "target", "met", ...}``; ``met`` is
``None`` when the row was skipped, and ``reason`` then says why.  Each row checks that its
two sides computed the same thing before it reports a time.
"""

from .runner import SIZES, Sizes, run_all

__all__ = ["SIZES", "Sizes", "run_all"]
