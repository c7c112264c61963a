"""Atomic output: files appear whole or not at all; a report folder is swapped in one step.

:func:`write_text`/:func:`write_bytes` write to a temporary file in the target folder and
``os.replace`` it over the target.  :func:`staged_directory` builds a whole report folder in
a hidden sibling ``.NAME.stage-PID-*`` and publishes it with ONE atomic file-system step:

- a new folder: ``renameat2(RENAME_NOREPLACE)`` (or ``rename``) of the stage onto the name;
- an existing proofkit folder: ``renameat2(RENAME_EXCHANGE)`` on Linux (``renamex_np``
  with ``RENAME_SWAP`` on macOS) swaps stage and folder in one step; the old report, now
  under the stage's name, is then deleted.

So a kill at any instant leaves the folder holding either the complete old report or the
complete new one; at worst a stale ``.NAME.stage-PID-*`` sibling, which the next run
deletes when its process is gone and it is proofkit's (manifest, or empty).  Where no
exchange exists (other systems, or a file system that refuses it) the swap falls back to two
renames through ``.NAME.old-PID-*``; a kill between them leaves the old report there, and
the next run puts it back before doing anything else.  ``docs/safety.md`` states this.

Every file-system step of the swap goes through :func:`_step`, so tests can kill the
process between any two of them (:data:`HOOK`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..outdir import check_folder, read_manifest, write_manifest

__all__ = ["abandon_stages", "recover", "staged_directory", "write_bytes", "write_text"]


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """UTF-8 text version of :func:`write_bytes`."""
    return write_bytes(path, text.encode("utf-8"))


HOOK: Callable[[str], None] | None = None
"""Called as ``HOOK(step_name)`` before every file-system step of a swap (tests inject kills)."""

FORCE_FALLBACK = False
"""Tests: use the two-rename fallback even where an atomic exchange exists."""

_NOREPLACE, _EXCHANGE = 1, 2  # renameat2 flags (Linux)
_DARWIN_FLAGS = {_NOREPLACE: 0x4, _EXCHANGE: 0x2}  # renamex_np: RENAME_EXCL, RENAME_SWAP
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}  # for a libc without the renameat2 wrapper
_AT_FDCWD = -100


_ACTIVE: set[Path] = set()  # stages being built by this process


def abandon_stages() -> None:
    """Delete this process's stages (proofkit's, or empty); for an exit that cannot wait."""
    for p in list(_ACTIVE):
        _remove(p)
        _ACTIVE.discard(p)


def _step(name: str, fn: Callable, *args, **kwargs):
    """One file-system step of a swap, announced to :data:`HOOK` first."""
    if HOOK is not None:
        HOOK(name)
    return fn(*args, **kwargs)


def _rename2(src: Path, dst: Path, flags: int) -> bool:
    """Rename with ``flags`` (no-replace or exchange) in one system call; ``False`` where the
    platform or file system has no such call (then nothing was done)."""
    if FORCE_FALLBACK:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    s, d = os.fsencode(src), os.fsencode(dst)
    if sys.platform.startswith("linux"):
        fn = getattr(libc, "renameat2", None)
        if fn is not None:
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                           ctypes.c_uint]
            r = fn(_AT_FDCWD, s, _AT_FDCWD, d, flags)
        elif os.uname().machine in _SYS_RENAMEAT2:
            r = libc.syscall(ctypes.c_long(_SYS_RENAMEAT2[os.uname().machine]),
                             ctypes.c_int(_AT_FDCWD), ctypes.c_char_p(s),
                             ctypes.c_int(_AT_FDCWD), ctypes.c_char_p(d), ctypes.c_uint(flags))
        else:
            return False
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        fn = libc.renamex_np
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        r = fn(s, d, _DARWIN_FLAGS[flags])
    else:
        return False
    if r == 0:
        return True
    e = ctypes.get_errno()
    if e in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(e, os.strerror(e), str(src), None, str(dst))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(p: Path) -> None:
    """Delete ``p`` if proofkit made it (it has the manifest) or it is empty; else keep it."""
    if read_manifest(p) is not None:
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.rmdir(p)


def _leftovers(out: Path) -> Iterator[tuple[str, Path]]:
    """``("stage" | "old", path)`` for siblings ``.NAME.stage-PID-*``/``.NAME.old-PID-*`` of
    ``out`` whose process is gone and which are proofkit's (manifest) or empty."""
    head = f".{out.name}."
    for p in sorted(out.parent.iterdir()):
        kind, _, rest = p.name[len(head):].partition("-")
        if not p.name.startswith(head) or kind not in ("stage", "old"):
            continue
        try:
            pid = int(rest.split("-", 1)[0])
        except ValueError:
            continue
        if pid == os.getpid() or _alive(pid) or p.is_symlink() or not p.is_dir():
            continue
        if read_manifest(p) is not None or not any(p.iterdir()):
            yield kind, p


def recover(out: str | os.PathLike) -> None:
    """Finish what a killed swap into ``out`` left: put back an old report the fallback had
    moved away, and delete proofkit's stale stage/old siblings.  Nothing else is touched."""
    out = Path(out)
    if not out.parent.is_dir():
        return
    for kind, p in _leftovers(out):
        if kind == "old" and not os.path.lexists(out) and read_manifest(p) is not None:
            _step("restore old", os.rename, p, out)
        else:
            _step("remove stale", _remove, p)


def _fsync_dir(p: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish(stage: Path, real: Path, out) -> None:
    """Put the complete ``stage`` at ``real`` in one atomic step (see the module docstring)."""
    if not os.path.lexists(real):
        try:
            if _step("publish new", _rename2, stage, real, _NOREPLACE):
                return
            if not os.path.lexists(real):
                _step("publish new (rename)", os.rename, stage, real)
                return
        except FileExistsError:  # a concurrent run published first: swap with its report
            pass
    check_folder(out)  # still a proofkit folder (or empty) right before the swap
    if _step("exchange", _rename2, stage, real, _EXCHANGE):
        _step("remove old", _remove, stage)  # the stage's name now holds the old report
        return
    old = stage.with_name(stage.name.replace(".stage-", ".old-", 1))
    _step("move old away", os.rename, real, old)
    _step("publish", os.rename, stage, real)
    _step("remove old", _remove, old)


@contextlib.contextmanager
def staged_directory(out: str | os.PathLike, *, keep: tuple[str, ...] = (),
                     kind: str = "report", info: dict | None = None) -> Iterator[Path]:
    """Build the contents of folder ``out`` in a hidden sibling, then swap it in atomically.

    Parameters
    ----------
    out : path
        The folder to (re)place.  It must pass :func:`proofkit.outdir.check_folder`: new,
        empty, or a proofkit folder holding only files its manifest lists.
    keep : tuple of str
        Names inside a previous ``out`` copied into the stage first (e.g. the Hypothesis
        example database, so reruns start from past failures).
    kind, info
        Recorded in the manifest (``.proofkit-report.json``) written into the stage first
        (so the stage is known to be proofkit's) and again, with the file list, at the end.

    Yields the stage path.  On normal exit the stage is published with one atomic step
    (:func:`_publish`) and the previous folder deleted; if the body raises, the stage is
    deleted and ``out`` is left as it was.
    """
    info = dict(info or {})
    real = check_folder(out)
    _step("make parent", real.parent.mkdir, parents=True, exist_ok=True)
    recover(real)
    real = check_folder(out)
    stage = Path(_step("make stage", tempfile.mkdtemp, dir=real.parent,
                       prefix=f".{real.name}.stage-{os.getpid()}-"))
    _ACTIVE.add(stage)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(stage, 0o777 & ~umask)
        _step("mark stage", write_manifest, stage, kind, [], **info)
        for name in keep:
            src = real / name
            if src.is_dir() and not src.is_symlink():
                shutil.copytree(src, stage / name, dirs_exist_ok=True, symlinks=True)
            elif src.is_file() and not src.is_symlink():
                shutil.copy2(src, stage / name)
        yield stage
        _step("write manifest", write_manifest, stage, kind, None, **info)
        _publish(stage, real, out)
    except BaseException:
        if read_manifest(stage) is not None or (stage.is_dir() and not any(stage.iterdir())):
            shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        _ACTIVE.discard(stage)
    _fsync_dir(real.parent)
