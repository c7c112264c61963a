"""Where proofkit may write: the rules every ``--out`` obeys, and the manifest of its folders.

proofkit deletes only what it created.  Every output folder it creates carries a manifest,
``.proofkit-report.json`` (tool, kind, version, seed, time, and the files proofkit wrote
there).  An output folder is accepted when it

- is not empty text, the file-system root, the home folder, the current folder or a folder
  above it;
- does not exist yet (its nearest existing parent must be a writable folder), or is an empty
  writable folder, or is a writable folder whose manifest lists every file in it.

Anything else (a regular file, a path under a regular file, a read-only folder, a folder with
files proofkit did not write) raises :class:`~proofkit.errors.InputError` before any work,
and nothing is written.  The atomic swap of a report folder is in
:mod:`proofkit.report.atomic`; ``docs/safety.md`` states the guarantees.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from .errors import InputError

__all__ = ["MANIFEST", "check_file", "check_folder", "foreign_entries", "parent_ok", "read_manifest",
           "record_files", "write_manifest"]

MANIFEST = ".proofkit-report.json"


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The manifest of ``folder`` when it is a proofkit folder, else ``None``."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != "proofkit":
        return None
    return data


def _listing(folder: Path) -> list[str]:
    """Every file and link below ``folder`` (relative, ``/``-separated), manifest excluded."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            p = (rel / name).as_posix()
            if p != MANIFEST:
                out.append(p)
    return sorted(out)


def foreign_entries(folder: str | os.PathLike) -> list[str] | None:
    """Files in ``folder`` that its manifest does not list (``None``: no manifest at all)."""
    folder = Path(folder)
    man = read_manifest(folder)
    if man is None:
        return None
    known = set(man.get("files") or [])
    for nested in folder.rglob(MANIFEST):  # e.g. `report --out REPORT/sub`: proofkit's too
        sub = read_manifest(nested.parent)
        if nested.parent != folder and sub is not None:
            rel = nested.parent.relative_to(folder).as_posix()
            known |= {f"{rel}/{f}" for f in sub.get("files") or []} | {f"{rel}/{MANIFEST}"}
    return [p for p in _listing(folder) if p not in known]


def write_manifest(folder: str | os.PathLike, kind: str, files: list[str] | None = None,
                   **info) -> Path:
    """Write the manifest of ``folder`` (atomically); ``files`` default: what is there now."""
    from . import __version__
    from .report.atomic import write_text
    from .report.environment import utc_timestamp

    folder = Path(folder)
    data = {"tool": "proofkit", "kind": kind, "version": __version__,
            "created": utc_timestamp(), **info,
            "files": sorted(_listing(folder) if files is None else files)}
    return write_text(folder / MANIFEST, json.dumps(data, indent=1) + "\n")


def record_files(folder: str | os.PathLike, written, kind: str, **info) -> None:
    """Add ``written`` (paths inside ``folder``) to its manifest, creating it if missing."""
    folder = Path(folder).absolute()
    old = read_manifest(folder) or {}
    rel = {Path(os.path.abspath(p)).relative_to(folder).as_posix() for p in written}
    keep = {k: v for k, v in old.items() if k not in ("tool", "kind", "version", "created",
                                                       "files")}
    write_manifest(folder, old.get("kind", kind), sorted(set(old.get("files") or []) | rel),
                   **(keep | info))


def _writable(p: Path) -> bool:
    # root passes os.access everywhere: also honour a folder whose mode says read-only
    return os.access(p, os.W_OK | os.X_OK) and bool(p.stat().st_mode & stat.S_IWUSR)


def parent_ok(option: str, out, start: Path) -> None:
    """The nearest existing ancestor of ``start`` is a writable folder (``InputError``
    naming ``option`` otherwise)."""
    anc = start
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise InputError(f"{option} {str(out)!r}: {str(anc)!r} is a file, not a folder")
    if not _writable(anc):
        raise InputError(f"{option} {str(out)!r}: folder {str(anc)!r} is not writable")


def _empty_text(option: str, out) -> None:
    if out is None or not str(out).strip():
        raise InputError(f"{option} is empty; give a path, e.g. {option} proofkit-report")


def check_folder(out: str | os.PathLike, option: str = "--out", *, replace: bool = True) -> Path:
    """Check that proofkit may (re)place folder ``out``; its resolved absolute path.

    ``replace=False`` is for commands that write named files into the folder instead of
    replacing it (``report``, ``flow``, ``sweep``): they may use the current folder when it
    is empty or proofkit's.  Raises :class:`~proofkit.errors.InputError` naming ``option``
    and the rule otherwise.
    """
    _empty_text(option, out)
    real = Path(os.path.realpath(out))
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    why = None
    if real == Path(real.anchor):
        why = "is the file-system root"
    elif replace and (real == cwd or real in cwd.parents):
        why = "is the current folder or a folder above it"
    elif real == home:
        why = "is the home folder"
    if why:
        raise InputError(f"{option} {str(out)!r} {why}; proofkit replaces its output folder "
                         "as a whole, so give a new folder, e.g. proofkit-report")
    if real.exists():
        if not real.is_dir():
            raise InputError(f"{option} {str(out)!r} is a file, not a folder")
        if not _writable(real):
            raise InputError(f"{option} {str(out)!r} is a read-only folder")
        extra = foreign_entries(real)
        if extra is None and any(real.iterdir()):
            raise InputError(f"{option} {str(out)!r} exists and is not a proofkit folder (no "
                             f"{MANIFEST}); give a new or empty folder")
        if extra:
            raise InputError(f"{option} {str(out)!r} holds files proofkit did not write "
                             f"({', '.join(extra[:3])}{', ...' if len(extra) > 3 else ''}); "
                             "move them or give another folder")
    parent_ok(option, out, real.parent)
    return real


def check_file(out: str | os.PathLike, option: str = "--out",
               schema_prefix: str = "proofkit.") -> Path:
    """Check that proofkit may write file ``out``: new, or a proofkit JSON file
    (its ``schema`` starts with ``schema_prefix``), under a writable folder."""
    _empty_text(option, out)
    p = Path(os.path.abspath(out))
    if p.exists() or p.is_symlink():
        if p.is_dir():
            raise InputError(f"{option} {str(out)!r} is a folder, not a file")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            ours = isinstance(data, dict) and str(data.get("schema", "")).startswith(
                schema_prefix)
        except (OSError, ValueError):
            ours = False
        if not ours:
            raise InputError(f"{option} {str(out)!r} exists and was not written by proofkit; "
                             "give a new file name")
        if not os.access(p, os.W_OK) or not p.stat().st_mode & stat.S_IWUSR:
            raise InputError(f"{option} {str(out)!r} is read-only")
    parent_ok(option, out, p.parent)
    return p
