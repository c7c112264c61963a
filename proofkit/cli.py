"""``proofkit`` command line: a thin layer over the same functions users call.

Each sub-command lives in a module that exposes ``register(subparsers)``; that function
adds its parser(s) and sets ``func`` (``args -> int``).  Command modules import only
``argparse`` at top level so that ``proofkit --help`` stays instant; heavy work is
imported inside ``func``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
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


_HYPOTHESIS_COMMANDS = ("audit", "search", "check", "docs", "replay")


@contextlib.contextmanager
def _hypothesis_home(command: str):
    """Keep Hypothesis' own files (``.hypothesis/``) out of the current folder: proofkit
    writes only under the paths it is given.  A private temporary home, removed afterwards,
    unless the user chose one with ``HYPOTHESIS_STORAGE_DIRECTORY`` or ``PROOFKIT_CACHE``
    (then ``$PROOFKIT_CACHE/hypothesis``, kept).  Set through that
    variable (read lazily by Hypothesis, inherited by workers) so that refusing bad input
    never waits for Hypothesis to import."""
    if command not in _HYPOTHESIS_COMMANDS or os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    cache = os.environ.get("PROOFKIT_CACHE")
    if cache:  # a cache the user asked for: kept between runs
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = os.path.join(cache, "hypothesis")
        try:
            yield
        finally:
            os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
        return
    import shutil
    import tempfile

    from .workers import AT_FORCED_EXIT

    home = tempfile.mkdtemp(prefix="proofkit-hypothesis-")
    drop = functools.partial(shutil.rmtree, home, ignore_errors=True)
    AT_FORCED_EXIT.append(drop)
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = home
    hc = sys.modules.get("hypothesis.configuration")  # already imported (e.g. under pytest)
    old = getattr(hc, "__hypothesis_home_directory", None)
    if hc is not None:
        hc.set_hypothesis_home_dir(home)
    try:
        yield
    finally:
        os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
        if hc is not None:
            hc.set_hypothesis_home_dir(old)
        drop()
        AT_FORCED_EXIT.remove(drop)


def _exit_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


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


def main(argv: list[str] | None = None) -> int:
    from .workers import Terminated, interrupt_reported, signals_raise

    try:
        with signals_raise(keep=argv is None):  # from the start: Ctrl-C while importing too
            parser = build_parser()
            args = parser.parse_args(argv)
            if not getattr(args, "func", None):
                parser.print_help()
                return 2
            args.argv = list(sys.argv[1:] if argv is None else argv)
            with _hypothesis_home(args.command):
                return int(args.func(args) or 0)
    except (ProblemError, InputError) as exc:
        print(f"proofkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): workers are gone
        term = isinstance(exc, Terminated)
        print(f"proofkit: {'terminated' if term else 'interrupted'}", file=sys.stderr,
              flush=True)
        interrupt_reported()
        code = 143 if term else 130
        if argv is None:  # the real command line: clean-up is done; exit now, with this code
            _exit_now(code)  # (an interrupt that hit an import would make Python die by SIGINT)
        return code
    except BrokenPipeError:  # e.g. `proofkit check lemma1 | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
