"""Counterexample search for a claim, and bit-for-bit replay of what it finds.

:func:`search` draws instances from ``claim.instances(drop=...)`` with Hypothesis, steers
them with ``hypothesis.target`` toward the smallest slack (``Check.slack < 0`` means the
claim fails), lets Hypothesis shrink a failing instance, and then refines the worst case
found with SciPy's Nelder–Mead over the instance's continuous parameters (see
:func:`refine`), re-checking the premises at every evaluation, so the
report shows the worst case found and not a barely failing one.  A failing instance is
written as a *counterexample file* (JSON, schema :data:`SCHEMA`) holding the claim id, its
premises (which hold, which was dropped), the full instance at full precision, the
evaluated sides, the seed and the software versions.  :func:`replay` re-evaluates such a
file and compares every number bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .backend import tolerance
from .errors import InputError
from .instance_io import decode_instance, encode_instance, jsonable

__all__ = [
    "SCHEMA",
    "ReplayResult",
    "SearchResult",
    "default_path",
    "is_rounding_tie",
    "load_counterexample",
    "refine",
    "relative_slack",
    "replay",
    "search",
]

SCHEMA = "proofkit.counterexample/1"
_ROUNDING = tolerance(np.float64, 1e3)  # |slack| below this × scale: a float64 rounding tie


class _Found(Exception):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


class _Stop(BaseException):
    pass


@dataclass(frozen=True)
class SearchResult:
    """What one search found.

    ``evaluations`` counts instances on which the check ran (premises other than the
    dropped one hold), ``held`` those on which the claim held; ``worst`` is the check of the
    smallest-slack instance (after refinement); ``found`` says whether it fails, and
    ``marginal`` whether it fails only by float64 rounding; ``found_by`` is
    ``"hypothesis"`` when a drawn instance failed, ``"refinement"`` when only the
    Nelder–Mead refinement (which moves instances off the claim's strategy) reached a
    failure.  ``file`` is the counterexample
    file written (``None`` when nothing failed or no ``out`` was given).
    """

    claim: str
    drop_premise: str | None
    seed: int
    max_examples: int
    evaluations: int
    held: int
    rejected: int
    errors: int
    found: bool
    marginal: bool
    worst_slack: float
    worst: Mapping[str, Any] | None
    shrunk_slack: float | None
    refinement: Mapping[str, Any]
    file: str | None
    seconds: float
    note: str = ""
    found_by: str | None = None
    instance: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "claim", "drop_premise", "seed", "max_examples", "evaluations", "held", "rejected",
            "errors", "found", "marginal", "worst_slack", "worst", "shrunk_slack", "refinement",
            "file", "seconds", "note", "found_by")}
        return jsonable(out)


def _key(instance) -> str:
    blob = json.dumps(encode_instance(instance), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def is_rounding_tie(chk) -> bool:
    """A failure by float64 rounding only: |slack| within 1000 eps of the sides' scale."""
    scale = max(1.0, *(abs(v) for v in (chk.lhs, chk.rhs) if math.isfinite(v)))
    return (not chk.holds) and math.isfinite(chk.slack) and abs(chk.slack) <= _ROUNDING * scale


def relative_slack(lhs: float, rhs: float, slack: float) -> float:
    """``slack / max(|lhs|, |rhs|)`` clipped to [−2, 2]: a scale-free slack for comparing
    claims (nan when a side is not finite or both are 0).

    >>> relative_slack(1.0, 2.0, 1.0), relative_slack(0.0, 0.0, 0.0)
    (0.5, nan)
    """
    scale = max(abs(lhs), abs(rhs))
    if not (math.isfinite(scale) and math.isfinite(slack)) or scale == 0:
        return math.nan
    return min(2.0, max(-2.0, slack / scale))


def default_path(claim_id: str, drop: str | None, directory: str | Path = "counterexamples") -> Path:
    """``directory/<claim>--<drop or 'all-premises'>.json``."""
    return Path(directory) / f"{claim_id}--{drop or 'all-premises'}.json"


def search(claim, drop_premise: str | None = None, *, max_examples: int = 100, seed: int = 0,
           out: str | Path | None = None, dps: int = 30, refine_evals: int = 200,
           time_limit: float = 60.0, database: str | Path | bool | None = True) -> SearchResult:
    """Search ``claim`` for an instance where it fails.

    Parameters
    ----------
    claim : Claim
    drop_premise : str, optional
        Search instances satisfying every premise but this one (to show it is needed).
    max_examples : int
        Hypothesis examples (valid draws) in the generate/target phases.
    seed : int
        Seed of the Hypothesis run and of the refinement; recorded in the file.
    out : path, optional
        Counterexample file to write when a failing instance is found.
    dps : int
        mpmath digits of the claim's check.
    refine_evals : int
        Check evaluations allowed to the Nelder–Mead refinement (0 disables it).
    time_limit : float
        Seconds after which no new instance is checked (shrinking then stops early); the
        refinement gets as long again.
    database : path, bool or None
        Hypothesis example database directory; ``True`` puts it at
        ``<out's directory>/.hypothesis-db/<claim>--<drop>`` (none without ``out``).

    Returns
    -------
    SearchResult
    """
    import hypothesis
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis.errors import HypothesisException

    if drop_premise is not None and drop_premise not in claim.premise_names:
        raise InputError(f"--drop-premise {drop_premise!r} is not a premise of {claim.id}; "
                         f"its premises are {list(claim.premise_names) or 'none'}")
    if max_examples < 1:
        raise InputError(f"--max-examples {max_examples}; it must be >= 1")
    try:
        strategy = claim.instances(drop=drop_premise)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{claim.id} cannot draw instances without premise "
                         f"{drop_premise!r}: {exc}") from None

    t0 = time.perf_counter()
    seen: dict[str, tuple[Any, Any]] = {}
    stats = {"evaluations": 0, "held": 0, "rejected": 0, "errors": 0, "first_error": ""}
    best: list = [None]  # (slack, key)
    last_fail: list = [None]  # the latest failing instance: the most shrunk one so far

    def evaluate(inst):
        if time.perf_counter() - t0 > time_limit:
            raise _Stop
        key = _key(inst)
        if key in seen:
            return key, seen[key][1]
        try:
            ok = claim.premises_hold(inst, drop=drop_premise)
        except Exception as exc:  # a premise that cannot be evaluated: report, do not crash
            ok = False
            stats["errors"] += 1
            stats["first_error"] = stats["first_error"] or (
                f"a premise raised {type(exc).__name__}: {exc}")
        if not ok:
            stats["rejected"] += 1
            seen[key] = (inst, None)
            return key, None
        try:
            chk = claim.check(inst, dps)
        except Exception as exc:  # a check that crashes is reported, not a counterexample
            stats["errors"] += 1
            stats["first_error"] = stats["first_error"] or f"{type(exc).__name__}: {exc}"
            seen[key] = (inst, None)
            return key, None
        seen[key] = (inst, chk)
        stats["evaluations"] += 1
        stats["held"] += bool(chk.holds)
        if math.isfinite(chk.slack) and (best[0] is None or chk.slack < best[0][0]):
            best[0] = (chk.slack, key)
        return key, chk

    def body(inst):
        key, chk = evaluate(inst)
        if chk is None:
            hypothesis.reject()
        if math.isfinite(chk.slack):
            hypothesis.target(-float(chk.slack), label="negative slack")
        if not chk.holds:
            last_fail[0] = key
            raise _Found(key)

    db = None
    if database is True and out is not None:
        database = Path(out).parent / ".hypothesis-db" / Path(out).stem
    if database not in (None, False, True):
        from hypothesis.database import DirectoryBasedExampleDatabase

        db = DirectoryBasedExampleDatabase(str(database))
    cfg = settings(max_examples=max_examples, database=db, deadline=None, derandomize=False,
                   suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                   phases=tuple(Phase), print_blob=False, verbosity=Verbosity.quiet)
    # settings outermost: @seed alone would switch the example database off
    test = cfg(hypothesis.seed(seed)(hypothesis.given(strategy)(body)))
    shrunk_key, note = None, ""
    try:
        test()
    except _Found as f:
        shrunk_key = f.key
    except _Stop:
        shrunk_key = last_fail[0]
        note = f"time limit ({time_limit:.3g} s) reached" + (
            " while shrinking" if shrunk_key else "")
    except BaseExceptionGroup as eg:
        found = eg.subgroup(_Found)
        shrunk_key = found.exceptions[0].key if found else None
        note = "" if found else f"Hypothesis: {eg}"
    except HypothesisException as exc:
        note = f"Hypothesis stopped: {type(exc).__name__}"
    except Exception as exc:  # the claim's strategy raised while drawing: report it
        shrunk_key = last_fail[0]
        note = f"drawing instances raised {type(exc).__name__}: {str(exc)[:300]}"
    if stats["errors"]:
        note = (note + "; " if note else "") + (f"{stats['errors']} check(s) raised, first: "
                                                 f"{stats['first_error']}")
    if best[0] is None:
        return SearchResult(claim.id, drop_premise, seed, max_examples, stats["evaluations"],
                            stats["held"], stats["rejected"], stats["errors"], False, False,
                            math.nan, None, None, {"method": "none"}, None,
                            time.perf_counter() - t0, note or "no instance could be checked")
    start_inst, start_chk = seen[best[0][1]]
    shrunk_slack = seen[shrunk_key][1].slack if shrunk_key in seen and seen[shrunk_key][1] else None
    inst, chk, info = refine(claim, start_inst, start_chk, drop=drop_premise, dps=dps,
                             max_evals=refine_evals, seed=seed, time_limit=time_limit)
    found = not chk.holds
    # A failure that only the refinement reached left the claim's own strategy: the premises
    # were re-checked, but an invariant the claim does not declare may have been broken.
    found_by = None if not found else ("hypothesis" if shrunk_key is not None else "refinement")
    res = SearchResult(
        claim.id, drop_premise, seed, max_examples, stats["evaluations"], stats["held"],
        stats["rejected"], stats["errors"], found, is_rounding_tie(chk), float(chk.slack),
        jsonable(chk.to_dict()), shrunk_slack, info, None, time.perf_counter() - t0, note,
        found_by, inst)
    if found and out is not None:
        path = write_counterexample(out, claim, res, inst, chk, dps=dps)
        res = SearchResult(**{**res.__dict__, "file": str(path)})
    return res


def write_counterexample(out, claim, res: SearchResult, instance, chk, *, dps: int) -> Path:
    """Write the counterexample file (atomically) and return its path."""
    from .report.atomic import write_text
    from .report.environment import environment

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
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return write_text(out, json.dumps(data, indent=1, allow_nan=False) + "\n")


def _hex(chk) -> dict:
    return {k: float(getattr(chk, k)).hex() for k in ("lhs", "rhs", "slack", "ratio")}


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


# ---------------------------------------------------------------------------------------
# local refinement
# ---------------------------------------------------------------------------------------
_MAX_DIM = 24  # Nelder–Mead dimension; larger parameter vectors move in a random subspace


def _block_kind(a: np.ndarray) -> str | None:
    """How a float array may move: ``"add"``, ``"sym"`` (stays symmetric) or ``None``
    (frozen: entries of one magnitude, such as the output layer ±1/√m, or all zero)."""
    mags = np.abs(a[a != 0])
    if mags.size == 0 or np.allclose(mags, mags[0], rtol=1e-12, atol=0):
        return None
    if a.ndim >= 2 and a.shape[-1] == a.shape[-2] and np.array_equal(a, np.swapaxes(a, -1, -2)):
        return "sym"
    return "add"


def _parameters(instance) -> list[tuple[str, str, np.ndarray, str]]:
    """The continuous parameters of an instance: ``(key, part, array, kind)``.

    Top-level floats move multiplicatively (``kind="mul"``: sign and zero are kept, so a
    δ > 0 stays positive); float arrays and network fields additively with their zero
    entries kept, symmetric ones kept symmetric, and arrays whose entries share one
    magnitude frozen; a SobolevProblem's x, y, V, h additively with unit rows and
    orthonormal frames restored.  Integers, booleans and strings (sizes, seeds, labels)
    never move.
    """
    from .problem import SobolevProblem

    out = []
    for key, v in instance.items():
        if isinstance(v, bool | np.bool_ | int | np.integer | str) or v is None:
            continue
        if isinstance(v, float | np.floating):
            if float(v) != 0.0 and math.isfinite(float(v)):
                out.append((key, "", np.array([float(v)]), "mul"))
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            kind = _block_kind(v)
            if kind:
                out.append((key, "", v.astype(np.float64), kind))
        elif isinstance(v, SobolevProblem):
            for part, a in zip("xyVh", v.host(), strict=True):
                if np.size(a):
                    out.append((key, part, np.asarray(a, dtype=np.float64), "free"))
        elif hasattr(v, "_fields") and type(v).__name__ in ("Network", "BiasedNetwork"):
            for part in v._fields:
                a = np.asarray(getattr(v, part))
                kind = _block_kind(a) if a.dtype.kind == "f" else None
                if kind:
                    out.append((key, part, a.astype(np.float64), kind))
    return out


def _move(a0: np.ndarray, kind: str, u: np.ndarray) -> np.ndarray:
    u = u.reshape(a0.shape)
    if kind == "mul":
        return a0 * np.exp(0.3 * u)
    step = 0.05 * np.maximum(np.abs(a0), 0.05)
    a = a0 + step * u if kind == "free" else np.where(a0 != 0, a0 + step * u, 0.0)
    return (a + np.swapaxes(a, -1, -2)) / 2 if kind == "sym" else a


def _rebuild(instance, params, u):
    """The instance moved by ``u`` (see :func:`_parameters`)."""
    from .problem import SobolevProblem

    new = dict(instance)
    pos = 0
    parts: dict[str, dict[str, np.ndarray]] = {}
    for key, part, a0, kind in params:
        parts.setdefault(key, {})[part] = _move(a0, kind, u[pos:pos + a0.size])
        pos += a0.size
    for key, fields in parts.items():
        old = instance[key]
        if isinstance(old, SobolevProblem):
            x, y, V, h = (fields.get(f, a) for f, a in zip("xyVh", old.host(), strict=True))
            x = x / np.linalg.norm(x, axis=1, keepdims=True)
            V = np.array(V, dtype=np.float64, copy=True)
            for i in range(V.shape[0]):
                if V.shape[2]:
                    q, r = np.linalg.qr(V[i])
                    V[i] = q * np.where(np.diag(r) < 0, -1.0, 1.0)
            new[key] = SobolevProblem(x, y, V, h)
        elif hasattr(old, "_fields"):
            new[key] = type(old)(**{f: fields.get(f, getattr(old, f)) for f in old._fields})
        elif isinstance(old, np.ndarray):
            new[key] = fields[""].astype(old.dtype)
        else:
            new[key] = float(fields[""][0])
    return new


class _OutOfTime(Exception):
    pass


def refine(claim, instance, chk, *, drop: str | None = None, dps: int = 30,
           max_evals: int = 200, seed: int = 0, time_limit: float = math.inf):
    """Nelder–Mead on the slack from ``instance`` over its continuous parameters.

    Every evaluation rebuilds the instance, re-checks the premises (all but ``drop``) and
    runs the claim's check; an invalid point counts as +inf.  Returns the instance with
    the smallest slack seen (the start when nothing smaller was found), its check, and a
    record of the refinement.
    """
    info = {"method": "Nelder-Mead", "evaluations": 0, "slack_before": float(chk.slack),
            "slack_after": float(chk.slack), "improved": False, "dimension": 0}
    params = _parameters(instance)
    if max_evals <= 0 or not params or not math.isfinite(chk.slack):
        info["method"] = "none"
        return instance, chk, info
    from scipy.optimize import minimize

    D = sum(a.size for _, _, a, _ in params)
    rng = np.random.default_rng(seed)
    if D > _MAX_DIM:
        B = rng.standard_normal((D, _MAX_DIM)) / math.sqrt(_MAX_DIM)
        dim = _MAX_DIM
    else:
        B, dim = np.eye(D), D
    info["dimension"] = dim
    best = [float(chk.slack), instance, chk]
    t_end = time.perf_counter() + time_limit

    def objective(z):
        if time.perf_counter() > t_end:
            raise _OutOfTime
        info["evaluations"] += 1
        try:
            cand = _rebuild(instance, params, B @ z)
            if not claim.premises_hold(cand, drop=drop):
                return math.inf
            c = claim.check(cand, dps)
        except Exception:  # an invalid point (e.g. a degenerate frame): not a candidate
            return math.inf
        s = float(c.slack)
        if not math.isfinite(s):
            return math.inf
        if s < best[0]:
            best[:] = [s, cand, c]
        return s

    simplex = np.vstack([np.zeros(dim), np.eye(dim)])
    try:
        minimize(objective, np.zeros(dim), method="Nelder-Mead",
                 options={"maxfev": max_evals, "initial_simplex": simplex, "xatol": 1e-12,
                          "fatol": 1e-15})
    except _OutOfTime:
        info["stopped"] = "time limit"
    info["slack_after"] = best[0]
    info["improved"] = best[0] < float(chk.slack)
    return best[1], best[2], info
