"""The claim model: claims, premises, proof steps, numeric checks, verdicts, registry.

A *claim* (lemma, proposition, theorem, or a group of unnumbered proof steps) is a
frozen record built by a function in ``lemmas/`` and registered with :func:`claim`.
Verdicts are earned: every :class:`Outcome` is returned by a function that computed it
(a SymPy derivation, an mpmath evaluation, a Monte Carlo frequency with an exact
binomial bound); nothing here lets prose decide a verdict.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FAILING",
    "Check",
    "Claim",
    "Context",
    "DropChecked",
    "Outcome",
    "Premise",
    "Step",
    "StepResult",
    "Verdict",
    "all_claims",
    "apply_conditions",
    "claim",
    "get_claim",
    "run_claim",
    "run_step",
    "worst",
]


class Verdict(enum.StrEnum):
    """What a step or claim earned, least to most severe (:func:`worst`): ``verified``,
    ``loose`` (true, a tighter bound follows), ``evidence`` (computed support that is not a
    proof), ``typo`` (a misprint), ``gap`` (does not follow as written; ``Outcome.repair``
    closes it, re-checked), ``inconclusive``, ``error`` (false as stated).  docs/verdicts.md.
    """

    VERIFIED = "verified"
    LOOSE = "loose"
    EVIDENCE = "evidence"
    TYPO = "typo"
    GAP = "gap"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


_SEVERITY = {v: i for i, v in enumerate(Verdict)}  # the enum lists them least severe first
#: Verdicts of a condition that "fails in context": a step relying on it takes its verdict.
FAILING = frozenset({Verdict.TYPO, Verdict.GAP, Verdict.ERROR})


def worst(verdicts) -> Verdict:
    """The most severe verdict (``verified`` for an empty list).

    >>> worst([Verdict.VERIFIED, Verdict.LOOSE]).value
    'loose'
    """
    vs = list(verdicts)
    return max(vs, key=_SEVERITY.__getitem__) if vs else Verdict.VERIFIED


@dataclass(frozen=True)
class Outcome:
    """What a step's computation returns.

    ``derived`` is the expression proofkit derived from the premises (SymPy ``str`` or
    LaTeX); ``detail`` explains the computation; ``evidence`` holds numbers (JSON-able);
    ``repair`` states what closes a ``gap`` (required for that verdict: the computation
    that returns it must have re-checked the repair).
    """

    verdict: Verdict
    derived: str
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    repair: str = ""

    def __post_init__(self) -> None:
        if self.verdict is Verdict.GAP and not self.repair:
            raise ValueError("an Outcome with verdict 'gap' must state its repair")


@dataclass(frozen=True)
class Context:
    """What a step may use: an instance of the claim, mpmath digits, a seed, a budget scale."""

    instance: Mapping[str, Any]
    dps: int = 30
    seed: int = 0
    budget: float = 1.0


@dataclass(frozen=True)
class Step:
    """A displayed (in)equality of a proof.

    ``paper`` is the expression as the paper states it; ``derive(ctx) -> Outcome`` re-derives
    what follows from ``premises`` and returns the verdict.  ``conditions`` names steps of
    the same claim this one relies on: when such a step's verdict is in :data:`FAILING`
    (the condition fails in context) and more severe, this step takes that verdict and the
    condition's repair (:func:`run_claim`).
    """

    id: str
    location: str
    paper: str
    derive: Callable[[Context], Outcome]
    premises: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepResult:
    id: str
    location: str
    verdict: Verdict
    paper: str
    derived: str
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    repair: str = ""
    inherited_from: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "location": self.location, "verdict": self.verdict.value,
                "paper": self.paper, "derived": self.derived, "detail": self.detail,
                "evidence": dict(self.evidence), "repair": self.repair,
                "inherited_from": self.inherited_from}


@dataclass(frozen=True)
class Premise:
    """A named premise, evaluable on an instance (``holds(instance) -> bool``)."""

    name: str
    description: str
    holds: Callable[[Mapping[str, Any]], bool]
    #: False when instances without this premise mean nothing; ``why`` then says why, and
    #: ``Claim.instances(drop=name)`` raises ``ValueError`` with that reason.
    droppable: bool = True
    why: str = ""

    def __post_init__(self) -> None:
        if not self.droppable and not self.why:
            raise ValueError(f"premise {self.name!r} cannot be dropped, so it must say why")
        if self.droppable and self.why:
            raise ValueError(f"premise {self.name!r}: 'why' explains an undroppable premise; "
                             "pass droppable=False with it")


class DropChecked:
    """A claim's ``instances`` builder behind the premise-drop rule.

    ``drop`` must be None or the name of one premise; an unknown name, or a premise declared
    ``droppable=False``, raises ``ValueError`` (the latter with the premise's ``why``).
    ``raw`` is the builder itself.
    """

    __slots__ = ("claim_id", "premises", "raw")

    def __init__(self, claim_id: str, premises, raw: Callable[..., Any]) -> None:
        self.claim_id, self.premises, self.raw = claim_id, tuple(premises), raw

    def __call__(self, *, drop: str | None = None):
        if drop is not None:
            by_name = {p.name: p for p in self.premises}
            if drop not in by_name:
                raise ValueError(f"{self.claim_id} premises: {list(by_name)}; cannot drop "
                                 f"{drop!r} (drop is None or the name of one premise)")
            p = by_name[drop]
            if not p.droppable:
                raise ValueError(f"{self.claim_id} premise {drop!r} cannot be dropped: {p.why}")
        return self.raw(drop=drop)

    def __eq__(self, other) -> bool:
        return (isinstance(other, DropChecked) and self.claim_id == other.claim_id
                and self.raw == other.raw)

    def __hash__(self) -> int:
        return hash((self.claim_id, self.raw))

    def __repr__(self) -> str:
        return f"DropChecked({self.claim_id!r}, {getattr(self.raw, '__qualname__', self.raw)})"


@dataclass(frozen=True)
class Check:
    """Both sides of a claim on one instance.

    ``relation`` is ``"<="``, ``">="``, ``"<"``, ``">"`` or ``"=="``; ``lhs``/``rhs`` are
    float64 values and ``lhs_mp``/``rhs_mp`` the same evaluated with mpmath at ``dps``
    digits (strings).  ``slack`` is signed so that ``slack >= 0`` means the claim holds
    (``rhs − lhs`` for ``<=``); ``ratio = lhs / rhs``.  ``agree_digits`` is the number of
    digits float64 and mpmath agree on (the smaller over both sides).
    Probabilistic checks fill ``trials``/``successes`` and a Clopper–Pearson interval.
    """

    holds: bool
    relation: str
    lhs: float
    rhs: float
    slack: float
    ratio: float
    lhs_mp: str = ""
    rhs_mp: str = ""
    agree_digits: float = float("nan")
    detail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("holds", "relation", "lhs", "rhs", "slack", "ratio",
                                              "lhs_mp", "rhs_mp", "agree_digits", "detail")}
        out["extra"] = dict(self.extra)
        return out


@dataclass(frozen=True)
class Claim:
    """A lemma, proposition, theorem, or a group of steps belonging to no numbered claim.

    Attributes
    ----------
    id : str
        Registry key, e.g. ``"lemma4"``, ``"eq14"``.
    title, location : str
        Human title; location in the paper (``"Sec. 3.1, Lemma 4"``).
    kind : str
        ``"lemma" | "proposition" | "theorem" | "steps"``.
    premises : tuple of Premise
        Named, evaluable premises; counterexample searches drop them one at a time.
    depends_on : tuple of str
        Ids of the claims its proof uses.
    statement : callable
        ``() -> sympy.Basic``: the claim as SymPy relational(s) over named symbols.
    bind : callable
        ``instance -> {symbol_name: value}``: values of the statement's symbols on an instance,
        so that substituting them into ``statement()`` can be compared with ``check``.
    steps : tuple of Step
    check : callable
        ``(instance, dps) -> Check``: both sides on one instance, float64 and mpmath.
    instances : callable
        ``(*, drop=None) -> hypothesis strategy`` of instances satisfying every premise, or
        every premise but ``drop``.  The claim wraps it in :class:`DropChecked`, so it is
        only called with ``drop`` None or the name of a droppable premise.
    example : callable
        ``(*, n, d, k, m, seed) -> instance``: one deterministic instance for ``proofkit check``.
    probabilistic : bool
        True when the statement holds with probability 1 − δ, not surely; then ``check``
        reports a frequency over seeds with a Clopper–Pearson bound.
    refutes : str
        What one failing instance refutes.  For a deterministic statement, the statement
        itself on that instance; for a check made on an event (e.g. Lemma 4 on the Lemma 2
        event) the deterministic implication inside the proof, named here; a
        ``probabilistic`` claim is refuted only by a failure frequency whose
        Clopper–Pearson lower bound exceeds δ.
    effort : float
        Share of the budget's search and refinement counts the audit gives this claim
        (:meth:`~proofkit.audit_budget.StagePlan.for_claim`): below 1 for a claim whose one
        evaluation runs a flow.  A constant of the claim, so the counts never depend on
        the machine.
    """

    id: str
    title: str
    location: str
    kind: str
    premises: tuple[Premise, ...]
    depends_on: tuple[str, ...]
    statement: Callable[[], Any]
    bind: Callable[[Mapping[str, Any]], dict]
    steps: tuple[Step, ...]
    check: Callable[[Mapping[str, Any], int], Check]
    instances: Callable[..., Any]
    example: Callable[..., Mapping[str, Any]]
    probabilistic: bool = False
    effort: float = 1.0
    refutes: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.instances, DropChecked):
            object.__setattr__(self, "instances", DropChecked(self.id, self.premises,
                                                              self.instances))
        if not 0 < self.effort <= 1:
            raise ValueError(f"claim {self.id!r}: effort = {self.effort!r}; it must lie in (0, 1]")
        if not self.steps:
            raise ValueError(f"claim {self.id!r} has no steps; every claim needs at least one")
        names = [p.name for p in self.premises]
        if len(set(names)) != len(names):
            raise ValueError(f"claim {self.id!r} has duplicate premise names {names}")
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError(f"claim {self.id!r} has duplicate step ids {ids}")
        for s in self.steps:
            unknown = set(s.conditions) - set(ids)
            if unknown:
                raise ValueError(f"claim {self.id!r}: step {s.id} has conditions {sorted(unknown)} "
                                 "that are not steps of this claim")

    @property
    def premise_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.premises)

    def premises_hold(self, instance: Mapping[str, Any], *, drop: str | None = None) -> bool:
        return all(p.holds(instance) for p in self.premises if p.name != drop)

    def statement_holds(self, instance: Mapping[str, Any]) -> bool:
        """Substitute ``bind(instance)`` into ``statement()`` (symbols matched by name) and decide it.

        This is the symbolic route that property tests compare with ``check(...).holds``.
        """
        import sympy as sp

        expr = self.statement()
        values = self.bind(instance)
        by_name = {s.name: s for s in expr.free_symbols}
        missing = sorted(set(by_name) - set(values))
        if missing:
            raise KeyError(f"claim {self.id!r}: bind() gives no value for symbols {missing}")
        subs = {by_name[k]: sp.nsimplify(v) if isinstance(v, int) else sp.Float(v, 30)
                for k, v in values.items() if k in by_name}
        out = expr.subs(subs)
        if out not in (sp.true, sp.false):
            out = sp.simplify(out)
        if out not in (sp.true, sp.false):
            raise ValueError(f"claim {self.id!r}: statement did not reduce to True/False: {out}")
        return bool(out)

    def summary(self) -> dict:
        return {"id": self.id, "title": self.title, "location": self.location, "kind": self.kind,
                "depends_on": list(self.depends_on), "premises": list(self.premise_names),
                "steps": [s.id for s in self.steps], "probabilistic": self.probabilistic}


# ---------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------
_REGISTRY: dict[str, Claim] = {}


def claim(build: Callable[[], Claim]) -> Callable[[], Claim]:
    """Decorator: build the claim once and register it under its id."""
    c = build()
    if not isinstance(c, Claim):
        raise TypeError(f"{build.__name__} must return a Claim, got {type(c).__name__}")
    if c.id in _REGISTRY:
        raise ValueError(f"claim id {c.id!r} is registered twice")
    _REGISTRY[c.id] = c
    return build


def _load() -> None:
    """Load the claim packs: the ``proofkit.claims`` entry points in sorted name order, with
    ``lemmas`` as ``cocola_hand`` when no entry point names it (:mod:`proofkit.packs`; it
    loads them once per process)."""
    from .packs import all_packs

    all_packs()


def all_claims() -> dict[str, Claim]:
    """Every registered claim, keyed by id, in a stable order (registration order)."""
    _load()
    return dict(_REGISTRY)


def get_claim(claim_id: str) -> Claim:
    """The claim with this id; unknown ids raise ``KeyError`` naming the known ones."""
    claims = all_claims()
    if claim_id not in claims:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(claims)}")
    return claims[claim_id]


# ---------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------
def run_step(step: Step, ctx: Context) -> StepResult:
    """Run one step; an exception becomes an ``inconclusive`` verdict that says why."""
    try:
        out = step.derive(ctx)
    except Exception as exc:  # a crashed derivation must not masquerade as a verdict
        out = Outcome(Verdict.INCONCLUSIVE, "", f"derivation raised {type(exc).__name__}: {exc}")
    if not isinstance(out, Outcome):
        raise TypeError(f"step {step.id} returned {type(out).__name__}, not Outcome")
    return StepResult(step.id, step.location, out.verdict, step.paper, out.derived, out.detail,
                      out.evidence, out.repair)


def apply_conditions(steps: list[StepResult], specs) -> list[StepResult]:
    """Each step whose ``conditions`` include a step with a :data:`FAILING`, more severe
    verdict takes that verdict (and its repair); the detail says which and why."""
    import dataclasses

    by_id = {s.id: s for s in steps}
    out = []
    for res, spec in zip(steps, specs, strict=True):
        conds = [by_id[c] for c in spec.conditions if c in by_id]
        failing = [c for c in conds if c.verdict in FAILING
                   and _SEVERITY[c.verdict] > _SEVERITY[res.verdict]]
        if failing:
            c = max(failing, key=lambda s: _SEVERITY[s.verdict])
            res = dataclasses.replace(
                res, verdict=c.verdict, repair=res.repair or c.repair, inherited_from=c.id,
                detail=f"{res.detail} Relies on {c.id}, which is {c.verdict.value} in this "
                "context, so this step is too" + (f" (repair: {c.repair})" if c.repair else "")
                + ".")
        out.append(res)
    return out


def run_claim(c: Claim, instance: Mapping[str, Any] | None = None, *, dps: int = 30,
              seed: int = 0, budget: float = 1.0) -> dict:
    """Run every step and the numeric check of ``c`` on ``instance`` (default: its example).

    Returns a JSON-able dict: the claim summary, ``steps`` (each a ``StepResult.to_dict()``),
    ``check``, ``premises`` (which hold on the instance) and the aggregated ``verdict``.
    """
    if instance is None:
        instance = c.example(n=4, d=5, k=2, m=200, seed=seed)
    ctx = Context(instance=instance, dps=dps, seed=seed, budget=budget)
    steps = apply_conditions([run_step(s, ctx) for s in c.steps], c.steps)
    chk = c.check(instance, dps)
    prem = {p.name: bool(p.holds(instance)) for p in c.premises}
    verdicts = [s.verdict for s in steps]
    if all(prem.values()) and not chk.holds and not c.probabilistic:
        verdicts.append(Verdict.ERROR)
    out = c.summary()
    out.update({
        "verdict": worst(verdicts).value,
        "steps": [s.to_dict() for s in steps],
        "check": chk.to_dict(),
        "premises_hold": prem,
    })
    return out
