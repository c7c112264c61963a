"""Worker processes that never outlive the command that started them.

- :func:`resolve_jobs`: ``--jobs`` is at least 1 and at most the CPUs this process may use
  (a larger value is clamped, with a note).
- :func:`pool_map` runs tasks in a process pool whose workers share the caller's process
  group, ignore SIGINT (the parent handles Ctrl-C), and die with the parent: on Linux by
  ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, everywhere by a watchdog thread that exits when the
  parent is gone.  Any exception or interrupt in the parent kills the workers at once
  instead of waiting for their tasks.
- :func:`signals_raise` turns SIGTERM into :class:`Terminated` (a ``KeyboardInterrupt``),
  so the command line cleans up on SIGTERM as on Ctrl-C and exits 143 (130 for Ctrl-C);
  from the first signal on, a deadline guarantees the exit within :data:`DEADLINE_S`
  seconds even where Python swallows the exception (a gc callback, ``__del__``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from .errors import InputError

__all__ = ["DEADLINE_S", "Terminated", "cpu_count", "interrupt_reported", "pool_map",
           "resolve_jobs", "signals_raise"]

_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl-C (exit code 143 on the command line)."""


def cpu_count() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int | None, option: str = "--jobs") -> tuple[int, str | None]:
    """``(jobs to use, note or None)``: default ``min(CPUs, 8)``; above the CPUs: clamped.

    >>> resolve_jobs(1)
    (1, None)
    """
    cpus = cpu_count()
    if jobs is None:
        return min(cpus, 8), None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"{option} {jobs!r}; it must be an integer >= 1")
    if jobs > cpus:
        return cpus, f"{option} {jobs} is more than the {cpus} CPU(s) here; using {cpus}"
    return jobs, None


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        threading.Event().wait(0.25)


def _init_worker(parent: int) -> None:
    """Pool initializer: die with the parent, leave Ctrl-C to it, default SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _kill(pool) -> None:
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        with contextlib.suppress(Exception):
            p.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(2.0)


def pool_map(jobs: int, tasks: list[tuple[Callable, tuple, dict]]) -> list:
    """``[fn(*args, **kwargs) for each task]``, in ``jobs`` worker processes when ``jobs > 1``.

    Results come back in task order.  An exception in a task, Ctrl-C or :class:`Terminated`
    kills every worker before it propagates.
    """
    if jobs <= 1 or len(tasks) <= 1:
        return [fn(*a, **kw) for fn, a, kw in tasks]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx,
                               initializer=_init_worker, initargs=(os.getpid(),))
    try:
        futs = [pool.submit(fn, *a, **kw) for fn, a, kw in tasks]
        out = [f.result() for f in futs]
    except BaseException:
        _kill(pool)
        raise
    pool.shutdown(wait=True)
    return out


DEADLINE_S = 1.0
"""After Ctrl-C/SIGTERM the command exits within this many seconds, cleaned up or not."""

AT_FORCED_EXIT: list[Callable[[], None]] = []
"""Clean-ups (e.g. a temporary folder) to run when the deadline forces the exit."""

_state: dict = {}


def _reset() -> None:
    _state.update(code=None, timer=None, retry=False, reported=False)


_reset()


def _force_exit() -> None:
    """The deadline passed: drop proofkit's half-built stages, say so, exit (workers follow
    through PR_SET_PDEATHSIG / their watchdog)."""
    from .report.atomic import abandon_stages

    with contextlib.suppress(Exception):
        abandon_stages()
    for fn in list(AT_FORCED_EXIT):
        with contextlib.suppress(Exception):
            fn()
    if not _state["reported"]:
        msg = "terminated" if _state["code"] == 143 else "interrupted"
        with contextlib.suppress(OSError):
            os.write(2, f"proofkit: {msg}\n".encode())
    os._exit(_state["code"] or 130)


def _on_signal(signum, frame):
    if _state["code"] is None:
        _state["code"] = 143 if signum == signal.SIGTERM else 130
        _state["timer"] = threading.Timer(DEADLINE_S, _force_exit)
        _state["timer"].daemon = True
        _state["timer"].start()
    elif not _state["retry"] or _state["reported"]:
        return  # already stopping: a second Ctrl-C changes nothing
    _state["retry"] = False
    raise Terminated if _state["code"] == 143 else KeyboardInterrupt


def _unraisable(hook):
    def on_unraisable(u):
        # The interrupt landed where Python cannot raise (a gc callback, __del__): say
        # nothing and deliver it again a moment later.
        if isinstance(u.exc_value, KeyboardInterrupt) and _state["code"] is not None:
            if _state["retry"] or _state["reported"]:
                return  # a redelivery is already on its way, or the interrupt was handled
            _state["retry"] = True
            sig = signal.SIGTERM if _state["code"] == 143 else signal.SIGINT
            t = threading.Timer(0.05, os.kill, (os.getpid(), sig))
            t.daemon = True
            t.start()
            return
        hook(u)

    return on_unraisable


def interrupt_reported() -> None:
    """The command line printed its one line about the interrupt: do not print another."""
    _state["reported"] = True


@contextlib.contextmanager
def signals_raise(*, keep: bool = False) -> Iterator[None]:
    """Within the block Ctrl-C raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated`
    in the main thread, once; from the first signal on, the process exits within
    :data:`DEADLINE_S` seconds even if the exception is swallowed or clean-up hangs.

    ``keep=True`` (the real command line) leaves the handlers in place after the block,
    so a second Ctrl-C while the interpreter shuts down prints no traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _reset()
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    old_hook = sys.unraisablehook
    sys.unraisablehook = _unraisable(old_hook)
    try:
        yield
    finally:
        if not keep:
            for s, h in old.items():
                signal.signal(s, h)
            sys.unraisablehook = old_hook
            if _state["timer"] is not None:
                _state["timer"].cancel()
            _reset()
