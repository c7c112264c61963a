"""Counterexample files: the format :func:`proofkit.search.search` writes, and bit-for-bit replay.

A counterexample file (JSON, schema :data:`SCHEMA`) holds the claim id, its premises (which
hold, which was dropped), the full instance at full precision
(:func:`~proofkit.instance_io.encode_instance`), the evaluated sides with their ``float.hex``
images, the seed of the search and the software versions.  :func:`load_counterexample` reads
and validates every field replay reads, naming the one that is wrong (an instance edited
after it was written no longer matches its ``instance_sha256``); :func:`replay` re-evaluates
the claim's check on the stored instance and compares everything the seed determines bit
for bit, never the fields that record a time
(:data:`~proofkit.audit_budget.TIMING_FIELDS`, e.g. ``certificate_seconds``).  The layout is
documented in ``docs/audit-schema.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .audit_budget import TIMING_FIELDS, drop_fields
from .errors import ArgumentError, InputError
from .instance_io import decode_instance, encode_instance, jsonable

__all__ = ["SCHEMA", "ReplayResult", "counterexample_instance", "default_path",
           "load_counterexample", "refutes", "replay", "write_counterexample"]

SCHEMA = "proofkit.counterexample/1"


def default_path(claim_id: str, drop: str | None, directory: str | Path = "counterexamples") -> Path:
    """``directory/<claim>--<drop or 'all-premises'>.json``.

    >>> default_path("lemma6", None).as_posix()
    'counterexamples/lemma6--all-premises.json'
    """
    return Path(directory) / f"{claim_id}--{drop or 'all-premises'}.json"


def refutes(claim) -> str:
    """What one failing instance of ``claim`` refutes (recorded beside every counterexample).

    A ``probabilistic`` claim is checked by a failure frequency over seeds: its
    counterexample is a frequency whose Clopper–Pearson lower bound exceeds δ.  Any other
    claim is deterministic on its instance; ``claim.refutes`` names the implication when the
    check is made on an event inside a proof (one realisation cannot refute a 1 − δ
    statement).
    """
    if claim.probabilistic:
        return ("the statement 'with probability ≥ 1 − δ': a failure frequency over seeds whose "
                "Clopper–Pearson lower bound exceeds δ")
    return claim.refutes or "the statement itself, on this instance (it is deterministic)"


def _hex(chk) -> dict:
    """``float.hex`` of the check's numbers: what replay compares bit for bit."""
    return {k: float(getattr(chk, k)).hex() for k in ("lhs", "rhs", "slack", "ratio")}


def instance_digest(encoded: Mapping) -> str:
    """sha256 of an encoded instance (canonical JSON): what ``instance_sha256`` records."""
    blob = json.dumps(encoded, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()


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
        "refutes": refutes(claim),
        "dps": dps,
        "instance": (enc := encode_instance(instance)),
        "instance_sha256": instance_digest(enc),
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
    """Read and validate a counterexample file; problems raise ``ArgumentError`` (a
    ``ProblemError`` and an ``InputError``) naming the field."""
    return _load(path)[0]


def _load(path: str | Path) -> tuple[dict, Any]:
    """The validated file and its decoded instance (decoding is part of the validation)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArgumentError(f"cannot read counterexample file {str(path)!r}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArgumentError(f"{path.name} is not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise ArgumentError(f"{path.name}: expected a JSON object, got {type(data).__name__}")
    if data.get("schema") != SCHEMA:
        raise ArgumentError(f"{path.name}: field 'schema' is {data.get('schema')!r}; expected "
                         f"{SCHEMA!r} (not a proofkit counterexample file)")
    _need(data, "claim", str)
    _need(data, "dps", int)
    if not 1 <= data["dps"] <= 10_000:
        raise ArgumentError(f"{path.name}: field 'dps' is {data['dps']}; it must lie in [1, 10000]")
    if data.get("drop_premise") is not None and not isinstance(data["drop_premise"], str):
        raise ArgumentError(f"{path.name}: field 'drop_premise' must be a string or null")
    chk = _need(data, "check", dict)
    for f in ("holds", "lhs", "rhs", "slack", "ratio"):
        _need(chk, f, (bool, int, float, str) if f != "holds" else bool, where=".check")
    _need(chk, "relation", str, where=".check")
    if "check_hex" in data:
        hx = _need(data, "check_hex", dict)
        for f in ("lhs", "rhs", "slack", "ratio"):
            try:
                float.fromhex(_need(hx, f, str, where=".check_hex"))
            except ValueError:
                raise ArgumentError(f"{path.name}: field 'check_hex.{f}' is {hx[f]!r}; not a "
                                 "float.hex() string") from None
    for i, p in enumerate(_need(data, "premises", list)):
        if not isinstance(p, dict):
            raise ArgumentError(f"{path.name}: field 'premises[{i}]' must be an object")
        _need(p, "name", str, where=f".premises[{i}]")
        _need(p, "holds", bool, where=f".premises[{i}]")
    inst = _need(data, "instance", dict)
    _check_problem_shapes(inst, path.name)
    instance = decode_instance(inst)  # names the first malformed field
    if "instance_sha256" in data:
        if _need(data, "instance_sha256", str) != instance_digest(inst):
            raise ArgumentError(f"{path.name}: field 'instance' was changed after the file was "
                             "written (it no longer matches 'instance_sha256'); a replay "
                             "reproduces only the stored instance")
    env = data.get("environment", {})
    if not isinstance(env, dict) or not isinstance(env.get("versions", {}), dict):
        raise ArgumentError(f"{path.name}: field 'environment.versions' must be an object")
    return data, instance


def counterexample_instance(path: str | Path) -> dict:
    """The instance stored in a counterexample file, decoded bit for bit (``float.hex``).

    It is the argument the claim's check and strategies use (for most claims
    ``{"problem": SobolevProblem, ...}``), so a counterexample becomes a regression case
    with Hypothesis's ``@example``; see ``docs/strategies.md``.
    """
    return _load(path)[1]


def _check_problem_shapes(inst: Mapping, name: str) -> None:
    """Every SobolevProblem's ``shape`` [n, d, k] must match its arrays (``from_dict`` would
    otherwise read the arrays and ignore an edited shape)."""
    values = inst.get("values")
    if not isinstance(values, dict):
        raise InputError(f"{name}: field 'instance.values' must be an object")
    for key, v in values.items():
        if not (isinstance(v, dict) and v.get("__type__") == "SobolevProblem"):
            continue
        where = f"instance.values.{key}.data"
        data = v.get("data")
        shape = data.get("shape") if isinstance(data, dict) else None
        if not (isinstance(shape, list) and len(shape) == 3 and all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
            raise InputError(f"{name}: field '{where}.shape' is {shape!r}; expected [n, d, k], "
                             "three integers >= 0")
        n, d, k = shape
        sizes = {"x": n * d, "y": n, "V": n * d * k, "h": n * k}
        for f, size in sizes.items():
            try:
                got = _count(data.get(f))
            except TypeError:
                raise InputError(f"{name}: field '{where}.{f}' must be nested lists of "
                                 "numbers") from None
            if got != size:
                raise InputError(f"{name}: field '{where}.shape' is {shape}, but '{f}' holds "
                                 f"{got} numbers where n, d, k = {n}, {d}, {k} need {size}")


def _count(v) -> int:
    if isinstance(v, list):
        return sum(_count(x) for x in v)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise TypeError
    return 1


def replay(path: str | Path) -> ReplayResult:
    """Re-evaluate a counterexample file and compare every number with the stored ones."""
    from .claims import get_claim
    from .report.environment import versions

    data, instance = _load(path)
    try:
        claim = get_claim(data["claim"])
    except KeyError as exc:
        raise InputError(f"{Path(path).name}: field 'claim': {exc.args[0]}") from None
    drop = data.get("drop_premise")
    if drop is not None and drop not in claim.premise_names:
        raise InputError(f"{Path(path).name}: field 'drop_premise' is {drop!r}; {claim.id} "
                         f"has premises {list(claim.premise_names)}")
    try:
        chk = claim.check(instance, data["dps"])
    except Exception as exc:
        raise InputError(f"{Path(path).name}: field 'instance' does not fit {claim.id}: "
                         f"{type(exc).__name__}: {exc}") from None
    new = drop_fields(jsonable(chk.to_dict()), TIMING_FIELDS)
    old = drop_fields(data["check"], TIMING_FIELDS)
    mismatches = [f"check.{k}: stored {old.get(k)!r}, now {new.get(k)!r}"
                  for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if "check_hex" in data and data["check_hex"] != _hex(chk):
        mismatches.append(f"check_hex: stored {data['check_hex']}, now {_hex(chk)}")
    prem = {p.name: bool(p.holds(instance)) for p in claim.premises}
    stored_prem = {p["name"]: p["holds"] for p in data["premises"]}
    mismatches += [f"premise {n}: stored holds={stored_prem.get(n)}, now {h}"
                   for n, h in prem.items() if n in stored_prem and stored_prem[n] != h]
    then = (data.get("environment") or {}).get("versions") or {}
    now = versions()
    changes = {k: {"stored": then.get(k), "now": v} for k, v in now.items()
               if k in then and then[k] != v}
    return ReplayResult(claim.id, drop, not mismatches, tuple(mismatches), new, prem, changes)
