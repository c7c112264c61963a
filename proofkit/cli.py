"""``proofkit`` command line: a thin layer over the same functions users call.

Each sub-command lives in a module that exposes ``register(subparsers)``; that function
adds its parser(s) and sets ``func`` (``args -> int``).  Command modules import only
``argparse`` at top level so that ``proofkit --help`` stays instant; heavy work is
imported inside ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import InputError, ProblemError

COMMAND_MODULES = (
    "proofkit.commands",       # list, check
    "proofkit.flow.command",   # flow, sweep
    "proofkit.audit_command",  # audit, search, replay, report
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other input error."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="proofkit",
        description="Audit the proofs of Cocola & Hand (2020), 'Global Convergence of Sobolev "
        "Training for Overparameterized Neural Networks'.",
    )
    parser.add_argument("--version", action="version", version=f"proofkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        mod.register(sub)
    return parser


def hypothesis_cache() -> str:
    """Where the CLI's Hypothesis runs keep their files (never ``.hypothesis/`` in the cwd).

    ``$PROOFKIT_CACHE/hypothesis``, else ``$XDG_CACHE_HOME/proofkit/hypothesis``, else
    ``~/.cache/proofkit/hypothesis``; an explicit ``HYPOTHESIS_STORAGE_DIRECTORY`` wins.
    Counterexample databases of searches live under the output folder
    (``<out>/.hypothesis-db``).
    """
    import os

    base = os.environ.get("PROOFKIT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "proofkit")
    return os.path.join(base, "hypothesis")


def main(argv: list[str] | None = None) -> int:
    import os

    # set while the command runs (workers inherit it), restored after: main() may be called
    # in-process, e.g. by tests
    key = "HYPOTHESIS_STORAGE_DIRECTORY"
    before = os.environ.get(key)
    os.environ.setdefault(key, hypothesis_cache())
    try:
        return _main(argv)
    finally:
        if before is None:
            os.environ.pop(key, None)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args) or 0)
    except (ProblemError, InputError) as exc:
        print(f"proofkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("proofkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `proofkit check lemma1 | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
