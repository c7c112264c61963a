"""Atomic output: files appear whole or not at all; a directory is swapped as a unit.

:func:`write_text`/:func:`write_bytes` write to a temporary file in the target directory
and ``os.replace`` it over the target.  :func:`staged_directory` builds a whole output
directory in a hidden sibling and swaps it in only when the build completes; a build that
raises (or a process that is killed) leaves the previous complete directory untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["staged_directory", "write_bytes", "write_text"]


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


def _stale(parent: Path, name: str) -> None:
    # Remove staging/old siblings left by killed runs whose process no longer exists.
    for p in parent.glob(f".{name}.*-*"):
        try:
            pid = int(p.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(p, ignore_errors=True)
        except PermissionError:
            continue


@contextlib.contextmanager
def staged_directory(out: str | os.PathLike, *, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """Build the contents of ``out`` in a temporary sibling, then swap it in.

    Parameters
    ----------
    out : path
        The directory to (re)place.
    keep : tuple of str
        Names inside a previous ``out`` copied into the staging directory first (e.g. the
        Hypothesis example database, so reruns start from past failures).

    Yields the staging path.  On normal exit the previous ``out`` (if any) is renamed
    away, the staging directory renamed to ``out``, and the old one deleted; if the body
    raises, the staging directory is deleted and ``out`` is left as it was.
    """
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    _stale(out.parent, out.name)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.stage-{os.getpid()}-"))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(stage, 0o777 & ~umask)
    try:
        for name in keep:
            src = out / name
            if src.is_dir():
                shutil.copytree(src, stage / name, dirs_exist_ok=True)
            elif src.is_file():
                shutil.copy2(src, stage / name)
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-{os.getpid()}-"))
        os.rmdir(old)
        os.replace(out, old)
    os.replace(stage, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
