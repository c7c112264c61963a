"""Counterexample files: the format :func:`proofkit.search.search` writes, and bit-for-bit replay.

A counterexample file (JSON, schema :data:`SCHEMA`) holds the claim id, its premises (which
hold, which was dropped), the full instance at full precision
(:func:`~proofkit.instance_io.encode_instance`), the evaluated sides with their ``float.hex``
images, the seed of the search and the software versions.  :func:`load_counterexample` reads
and validates one, naming the field that is wrong; :func:`replay` re-evaluates the claim's
check on the stored instance and compares every number bit for bit.  The layout is
documented in ``docs/audit-schema.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .instance_io import decode_instance, encode_instance, jsonable

__all__ = ["SCHEMA", "ReplayResult", "counterexample_instance", "default_path",
           "load_counterexample", "replay", "write_counterexample"]

SCHEMA = "proofkit.counterexample/1"


def default_path(claim_id: str, drop: str | None, directory: str | Path = "counterexamples") -> Path:
    """``directory/<claim>--<drop or 'all-premises'>.json``.

    >>> default_path("lemma6", None).as_posix()
    'counterexamples/lemma6--all-premises.json'
    """
    return Path(directory) / f"{claim_id}--{drop or 'all-premises'}.json"


def _hex(chk) -> dict:
    """``float.hex`` of the check's numbers: what replay compares bit for bit."""
    return {k: float(getattr(chk, k)).hex() for k in ("lhs", "rhs", "slack", "ratio")}


def write_counterexample(out, claim, res, instance, chk, *, dps: int) -> Path:
    """Write the counterexample file (atomically) and return its path.

    ``res`` is the :class:`~proofkit.search.SearchResult` of the search that found
    ``instance``; ``chk`` is the claim's check on it at ``dps`` digits.
    """
    from .report.atomic import write_text
    from .report.environment import environment, utc_timestamp

    data = {
        "schema": SCHEMA,
        "claim": claim.id, "title": claim.title, "location": claim.location,
        "drop_premise": res.drop_premise,
        "premises": [{"name": p.name, "description": p.description,
                      "dropped": p.name == res.drop_premise, "holds": bool(p.holds(instance))}
                     for p in claim.premises],
        "probabilistic": claim.probabilistic,
        "dps": dps,
        "instance": encode_instance(instance),
        "check": jsonable(chk.to_dict()),
        "check_hex": _hex(chk),
        "marginal": res.marginal,
        "found_by": res.found_by,
        "search": {"seed": res.seed, "max_examples": res.max_examples,
                   "evaluations": res.evaluations, "shrunk_slack": jsonable(res.shrunk_slack),
                   "refinement": jsonable(res.refinement)},
        "environment": environment(),
        "created": utc_timestamp(),
    }
    return write_text(out, json.dumps(data, indent=1, allow_nan=False) + "\n")


@dataclass(frozen=True)
class ReplayResult:
    """A counterexample re-evaluated: ``reproduced`` iff every number matches bit for bit."""

    claim: str
    drop_premise: str | None
    reproduced: bool
    mismatches: tuple[str, ...]
    check: Mapping[str, Any]
    premises: Mapping[str, bool]
    version_changes: Mapping[str, Any]

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


def _need(data: Mapping, name: str, kind, where: str = ""):
    if name not in data:
        raise InputError(f"counterexample{where}: field {name!r} is missing")
    v = data[name]
    if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):
        raise InputError(f"counterexample{where}: field {name!r} has type {type(v).__name__}")
    return v


def load_counterexample(path: str | Path) -> dict:
    """Read and validate a counterexample file; problems raise ``InputError`` naming the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read counterexample file {str(path)!r}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name} is not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path.name}: expected a JSON object, got {type(data).__name__}")
    if data.get("schema") != SCHEMA:
        raise InputError(f"{path.name}: field 'schema' is {data.get('schema')!r}; expected "
                         f"{SCHEMA!r} (not a proofkit counterexample file)")
    _need(data, "claim", str)
    _need(data, "dps", int)
    if not 1 <= data["dps"] <= 10_000:
        raise InputError(f"{path.name}: field 'dps' is {data['dps']}; it must lie in [1, 10000]")
    if data.get("drop_premise") is not None and not isinstance(data["drop_premise"], str):
        raise InputError(f"{path.name}: field 'drop_premise' must be a string or null")
    chk = _need(data, "check", dict)
    for f in ("holds", "lhs", "rhs", "slack", "ratio"):
        _need(chk, f, (bool, int, float, str) if f != "holds" else bool, where=".check")
    _need(data, "instance", dict)
    return data


def counterexample_instance(path: str | Path) -> dict:
    """The instance stored in a counterexample file, decoded bit for bit (``float.hex``).

    It is the argument the claim's check and strategies use (for most claims
    ``{"problem": SobolevProblem, ...}``), so a counterexample becomes a regression case
    with Hypothesis's ``@example``; see ``docs/strategies.md``.
    """
    from .instance_io import decode_instance

    return decode_instance(load_counterexample(path)["instance"])


def replay(path: str | Path) -> ReplayResult:
    """Re-evaluate a counterexample file and compare every number with the stored ones."""
    from .claims import get_claim
    from .report.environment import versions

    data = load_counterexample(path)
    try:
        claim = get_claim(data["claim"])
    except KeyError as exc:
        raise InputError(f"{Path(path).name}: field 'claim': {exc.args[0]}") from None
    drop = data.get("drop_premise")
    if drop is not None and drop not in claim.premise_names:
        raise InputError(f"{Path(path).name}: field 'drop_premise' is {drop!r}; {claim.id} "
                         f"has premises {list(claim.premise_names)}")
    instance = decode_instance(data["instance"])
    try:
        chk = claim.check(instance, data["dps"])
    except Exception as exc:
        raise InputError(f"{Path(path).name}: field 'instance' does not fit {claim.id}: "
                         f"{type(exc).__name__}: {exc}") from None
    new = jsonable(chk.to_dict())
    old = data["check"]
    mismatches = [f"check.{k}: stored {old.get(k)!r}, now {new.get(k)!r}"
                  for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if "check_hex" in data and data["check_hex"] != _hex(chk):
        mismatches.append(f"check_hex: stored {data['check_hex']}, now {_hex(chk)}")
    prem = {p.name: bool(p.holds(instance)) for p in claim.premises}
    stored_prem = {p.get("name"): p.get("holds") for p in data.get("premises", [])
                   if isinstance(p, dict)}
    mismatches += [f"premise {n}: stored holds={stored_prem.get(n)}, now {h}"
                   for n, h in prem.items() if n in stored_prem and stored_prem[n] != h]
    then = (data.get("environment") or {}).get("versions") or {}
    now = versions()
    changes = {k: {"stored": then.get(k), "now": v} for k, v in now.items()
               if k in then and then[k] != v}
    return ReplayResult(claim.id, drop, not mismatches, tuple(mismatches), new, prem, changes)
