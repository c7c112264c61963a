"""Claim packs: modules whose import registers claims with :func:`proofkit.claims.claim`.

- Installed packs are entry points of the group ``proofkit.claims`` (:data:`GROUP`); each names
  a module or a package.  This paper's pack is ``cocola_hand = "lemmas"`` (pyproject.toml).
  When that entry point is not visible (a source checkout that was never installed) the
  ``lemmas`` package is loaded under the same name, so nothing changes.  Packs load in sorted
  entry-point-name order, so the registry order (and the default audit) is deterministic.
- Extra packs come from ``--claims-from MODULE_OR_FILE``: a dotted module name, a ``.py`` file
  or a package directory (:func:`load_claims_from`).

A package pack imports its non-underscore submodules in sorted order.  A pack that fails to
import raises one :class:`~proofkit.errors.InputError` naming the pack and the module.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

__all__ = ["DEFAULT_PACK", "GROUP", "Pack", "installed_packs", "load_claims_from",
           "load_pack", "loaded_packs"]

GROUP = "proofkit.claims"
DEFAULT_PACK = ("cocola_hand", "lemmas")
OPTION = "--claims-from"

_LOADED: list[Pack] = []
_EXTRA: dict[str, Pack] = {}  # --claims-from value (resolved) -> the pack it loaded


@dataclass(frozen=True)
class Pack:
    """A loaded pack: its name, the module it names, where it came from, its claim ids."""

    name: str
    module: str
    source: str  # "entry point", "built in" (the lemmas fallback) or "--claims-from"
    claims: tuple[str, ...]

    def to_dict(self) -> dict:
        """Name, module and claim ids (not ``source``: an installed and a source checkout
        give the same audit)."""
        return {"name": self.name, "module": self.module, "claims": list(self.claims)}


def installed_packs() -> list[tuple[str, str, str]]:
    """``(name, module, source)`` of every pack to load by default, in sorted name order."""
    from importlib.metadata import entry_points

    found: dict[str, tuple[str, str]] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, (ep.value.split(":")[0].strip(), "entry point"))
    if not any(mod == DEFAULT_PACK[1] for mod, _ in found.values()):
        found.setdefault(DEFAULT_PACK[0], (DEFAULT_PACK[1], "built in"))
    return [(name, *found[name]) for name in sorted(found)]


def _registered() -> list[str]:
    from .claims import _REGISTRY

    return list(_REGISTRY)


def _import_all(module_name: str) -> None:
    """Import the module and, for a package, its non-underscore submodules in sorted order."""
    mod = importlib.import_module(module_name)
    path = getattr(mod, "__path__", None)
    if path is not None:
        for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{module_name}.{info.name}")


def load_pack(name: str, module: str, source: str = "entry point") -> Pack:
    """Import one pack; an import that fails raises one ``InputError`` naming pack and module."""
    before = set(_registered())
    try:
        _import_all(module)
    except Exception as exc:
        raise InputError(f"claim pack {name!r} (module {module!r}) failed to import: "
                         f"{type(exc).__name__}: {_one_line(exc)}") from exc
    pack = Pack(name, module, source, tuple(c for c in _registered() if c not in before))
    _LOADED.append(pack)
    return pack


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or "(no message)"


def _file_module(path: Path) -> str:
    """Import a ``.py`` file or a package directory by path; return its module name.

    A file or directory that lies inside a package (a parent with ``__init__.py``) is imported
    under its dotted name with the topmost such parent's folder on ``sys.path``, so its relative
    and absolute imports work; otherwise its folder goes on ``sys.path`` and it is imported
    under its own name.  (Worker processes started by spawn repeat this from the same value.)
    """
    path = path.resolve()
    top = path if path.is_dir() else path.with_suffix("")
    parts = [top.name]
    parent = path.parent
    while (parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    name = ".".join(parts)
    root = str(parent)
    existing = sys.modules.get(parts[0])
    if existing is not None:
        origin = Path(getattr(existing, "__file__", None) or "").resolve()
        want = parent / parts[0]
        if not (origin == want.with_suffix(".py") or origin.parent == want):
            raise InputError(f"{OPTION} {str(path)!r}: a different module named {parts[0]!r} "
                             "is already imported; rename the pack")
    if root not in sys.path:
        sys.path.insert(0, root)
    importlib.invalidate_caches()
    return name


def load_claims_from(value: str | os.PathLike) -> Pack:
    """Load the extra pack ``value`` (dotted module name, ``.py`` file or package directory).

    Idempotent: the same value loads once per process.  Bad values raise ``InputError``
    naming the option and the rule; a value whose import registers no claim is refused.
    """
    text = os.fspath(value)
    looks_like_path = text.endswith(".py") or os.sep in text or "/" in text or Path(text).exists()
    if not text.strip():
        raise InputError(f"{OPTION} {text!r}; it must name a module, a .py file or a package "
                         "directory")
    all_packs()  # the installed packs first, so that the extra pack's claims come after them
    if looks_like_path:
        p = Path(text)
        if not p.exists():
            raise InputError(f"{OPTION} {text!r}: no such file or directory; it must be a "
                             "dotted module name, a .py file or a package directory")
        if p.is_dir() and not (p / "__init__.py").is_file():
            raise InputError(f"{OPTION} {text!r}: a directory must be a package (with "
                             "__init__.py)")
        if p.is_file() and p.suffix != ".py":
            raise InputError(f"{OPTION} {text!r}: a file must be a Python module (.py)")
        key = str(p.resolve())
    else:
        if not all(part.isidentifier() for part in text.split(".")):
            raise InputError(f"{OPTION} {text!r}: not a dotted module name, and no such file "
                             "or directory")
        key = text
    if key in _EXTRA:
        return _EXTRA[key]
    module = _file_module(Path(text)) if looks_like_path else text
    if not looks_like_path and importlib.util.find_spec(module.split(".")[0]) is None:
        raise InputError(f"{OPTION} {text!r}: no module named {module.split('.')[0]!r} on the "
                         "path (give a dotted module name, a .py file or a package directory)")
    before = set(_registered())
    keep_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = keep_bytecode or looks_like_path  # no __pycache__ in the user's folder
    try:
        _import_all(module)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{OPTION} {text!r}: importing module {module!r} failed: "
                         f"{type(exc).__name__}: {_one_line(exc)}") from exc
    finally:
        sys.dont_write_bytecode = keep_bytecode
    new = tuple(c for c in _registered() if c not in before)
    if not new:
        raise InputError(f"{OPTION} {text!r}: module {module!r} registers no claim; a pack must "
                         "register at least one with @claim (and not one already loaded)")
    pack = Pack(module.rsplit(".", 1)[-1], module, OPTION, new)
    _EXTRA[key] = pack
    _LOADED.append(pack)
    return pack


_DEFAULTS_DONE = False


def all_packs() -> None:
    """Load the installed packs (once per process)."""
    global _DEFAULTS_DONE
    if _DEFAULTS_DONE:
        return
    _DEFAULTS_DONE = True
    try:
        for name, module, source in installed_packs():
            load_pack(name, module, source)
    except BaseException:
        _DEFAULTS_DONE = False
        raise


def loaded_packs() -> list[dict]:
    """The packs loaded in this process, in load order (``audit.json`` ``options.packs``)."""
    return [p.to_dict() for p in _LOADED]


def ensure_loaded(values) -> None:
    """Load the ``--claims-from`` values (a worker process started by spawn calls this)."""
    for v in values or ():
        load_claims_from(v)


def in_worker(values, fn, *args, **kwargs):
    """Pool task wrapper: make the extra packs' claims visible, then run ``fn``."""
    ensure_loaded(values)
    return fn(*args, **kwargs)
