"""Progress on stderr for the commands that take a while (tqdm; tty-aware, ``--quiet``).

Bars appear only when stderr is a terminal (tqdm's ``disable=None``) and never with
``quiet``; they are cleared when done, so the command's own output stays as it was.
:func:`bar` counts known work (Hypothesis evaluations, sweep runs); :func:`activity`
shows the elapsed time of one long call that reports nothing (an integration), refreshed
by a daemon thread that stops when the block ends.
"""

from __future__ import annotations

import contextlib
import sys
import threading

__all__ = ["activity", "bar"]


def bar(total: int | None, desc: str, *, quiet: bool = False, unit: str = "it"):
    """A tqdm bar on stderr (disabled when ``quiet`` or when stderr is not a terminal)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                dynamic_ncols=True, disable=True if quiet else None)


@contextlib.contextmanager
def activity(desc: str, *, quiet: bool = False, every: float = 0.5):
    """Elapsed time of the enclosed block as a tqdm line on stderr."""
    with bar(None, desc, quiet=quiet, unit="s") as b:
        if b.disable:
            yield b
            return
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(every):
                b.refresh()

        t = threading.Thread(target=tick, name="proofkit-progress", daemon=True)
        t.start()
        try:
            yield b
        finally:
            stop.set()
            t.join()
