"""``audit.json``: write, read and validate against ``audit.schema.json``.

The schema ships with the package (``proofkit/report/audit.schema.json``) and is documented
in ``docs/audit-schema.md``.  Validation uses ``jsonschema`` when it is installed (the
``test`` extra) and otherwise a structural check of the required fields; either way a
foreign or corrupted document raises :class:`~proofkit.errors.InputError` naming the field.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["dumps", "read", "schema", "validate", "write"]


@functools.cache
def _schema_text() -> str:
    return resources.files(__package__).joinpath("audit.schema.json").read_text("utf-8")


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of ``audit.json``."""
    return json.loads(_schema_text())


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _fallback(data: Any) -> None:
    sch = schema()
    if not isinstance(data, dict):
        raise InputError(f"audit.json: expected a JSON object, got {type(data).__name__}")
    for name in sch["required"]:
        if name not in data:
            raise InputError(f"audit.json: field {name!r} is missing")
    for i, c in enumerate(data["claims"] if isinstance(data["claims"], list) else [None]):
        if not isinstance(c, dict):
            raise InputError(f"audit.json: field 'claims[{i}]' must be an object")
        for name in sch["$defs"]["claim"]["required"]:
            if name not in c:
                raise InputError(f"audit.json: field 'claims[{i}].{name}' is missing")


def validate(data: Any) -> None:
    """Raise ``InputError`` naming the first offending field unless ``data`` fits the schema."""
    if not isinstance(data, dict) or data.get("schema") != "proofkit.audit/1":
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"audit.json: field 'schema' is {got!r}; expected 'proofkit.audit/1' "
                         "(not a proofkit audit result)")
    try:
        import jsonschema
    except ImportError:
        _fallback(data)
        return
    v = jsonschema.Draft202012Validator(schema())
    err = jsonschema.exceptions.best_match(v.iter_errors(data))
    if err is not None:
        raise InputError(f"audit.json: field {_path(err.absolute_path)!r}: "
                         f"{err.message[:300]}")


def dumps(data: dict) -> str:
    """Strict JSON (no NaN/Infinity), two-space indent."""
    return json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def write(result, directory: str | Path) -> Path:
    """``directory/audit.json`` from an :class:`~proofkit.audit.AuditResult` (atomic)."""
    from .atomic import write_text

    return write_text(Path(directory) / "audit.json", dumps(result.to_dict()))


def read(path: str | Path) -> dict:
    """``audit.json`` parsed and validated against the schema (a dict; the audit layer turns it
    into an :class:`~proofkit.audit.AuditResult` with :func:`proofkit.audit.load_audit`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name} is not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}: {exc.msg})") from None
    validate(data)
    return data
