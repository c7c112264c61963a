"""``proofkit new-claim ID --out DIR``: a small working claim module and its property test.

The scaffold claims ``log(1 + x) ≤ x`` for ``x ≥ 0``: one premise (droppable: without it,
instances range over ``x > −1``), one step whose verdict SymPy earns (``f = x − log(1 + x)``
has ``f(0) = 0`` and ``f′ = x/(1 + x)``, and ``solveset`` finds no ``x ≥ 0`` with ``f′ < 0``),
a float64-plus-mpmath check, Hypothesis instances and a deterministic example.  Replace the
mathematics, keep the shape (docs/adding-a-claim.md).
"""

from __future__ import annotations

import keyword
from pathlib import Path

from .errors import InputError

__all__ = ["new_claim"]

CLAIM_TEMPLATE = '''"""{id}: log(1 + x) <= x for x >= 0 (scaffolded by `proofkit new-claim`).

Audit it with ``proofkit audit --claims-from {id}.py --claims {id} --budget quick``;
docs/adding-a-claim.md lists the rules a claim follows.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare

X = sp.Symbol("x", real=True)


@functools.lru_cache(maxsize=1)
def _monotone_from_zero() -> tuple[str, bool]:
    """SymPy: f = x - log(1 + x) has f(0) = 0 and f' = x/(1 + x) >= 0 on [0, oo)."""
    f = X - sp.log(1 + X)
    fprime = sp.simplify(sp.diff(f, X))
    negative = sp.solveset(sp.StrictLessThan(fprime, 0), X, sp.Interval(0, sp.oo))
    return str(fprime), bool(f.subs(X, 0) == 0 and negative == sp.S.EmptySet)


def _derive(ctx: Context) -> Outcome:
    fprime, ok = _monotone_from_zero()
    x = float(ctx.instance["x"])
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"x - \\log(1+x) = \\int_0^x \\frac{{t}}{{1+t}}\\,dt \\ge 0",
        f"SymPy: f = x − log(1 + x) has f(0) = 0 and f′ = {{fprime}}, and solveset finds "
        f"{{'no' if ok else 'some'}} x ≥ 0 with f′ < 0, so f ≥ 0 on [0, ∞) "
        f"(instance x = {{x:.6g}}).",
        {{"f_prime": fprime, "x": x}},
    )


def _check(inst, dps: int) -> Check:
    x = float(inst["x"])
    with mpmath.workdps(dps):
        lhs_mp = mpmath.log1p(mpmath.mpf(x))
    return compare(math.log1p(x), x, relation="<=", lhs_mp=lhs_mp, rhs_mp=x, dps=dps,
                   detail="log(1 + x) against x")


def _nonnegative(inst) -> bool:
    return float(inst["x"]) >= 0


def _instances(*, drop: str | None = None):
    if drop not in (None, "x_nonnegative"):
        raise ValueError(f"{id} premises: ['x_nonnegative']; cannot drop {{drop!r}}")
    low = 0.0 if drop is None else -0.999  # without the premise: any x > -1 (log defined)
    return st.floats(low, 1e6).map(lambda v: {{"x": v}})


def _example(*, n: int = 4, d: int = 5, k: int = 2, m: int = 0, seed: int = 0):
    return {{"x": float(np.random.default_rng(seed).uniform(0.0, 10.0))}}


@claim
def {id}() -> Claim:
    lhs, rhs = sp.Symbol("lhs", real=True), sp.Symbol("rhs", real=True)
    return Claim(
        id="{id}",
        title="log(1 + x) <= x for x >= 0",
        location="(scaffold) replace with the paper's location",
        kind="lemma",
        premises=(Premise("x_nonnegative", "x >= 0", _nonnegative),),
        depends_on=(),
        statement=lambda: sp.Le(lhs, rhs),
        bind=lambda inst: {{"lhs": math.log1p(float(inst["x"])), "rhs": float(inst["x"])}},
        steps=(Step("{id}.monotone", "(scaffold) proof", r"\\log(1+x) \\le x",
                    _derive, ("x_nonnegative",)),),
        check=_check,
        instances=_instances,
        example=_example,
    )
'''

TEST_TEMPLATE = '''"""Property test of the scaffolded claim {id} (``python -m pytest test_{id}.py``)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings

from proofkit.claims import get_claim, run_claim
from proofkit.packs import load_claims_from

load_claims_from(Path(__file__).with_name("{id}.py"))  # once per process, however imported
CLAIM = get_claim("{id}")


@settings(max_examples=50, deadline=None)
@given(CLAIM.instances())
def test_check_holds_and_agrees_with_the_statement(inst):
    assert CLAIM.premises_hold(inst)
    chk = CLAIM.check(inst, 30)
    assert chk.holds
    assert CLAIM.statement_holds(inst) == chk.holds


@settings(max_examples=20, deadline=None)
@given(CLAIM.instances(drop="x_nonnegative"))
def test_instances_honour_drop(inst):
    assert float(inst["x"]) > -1


def test_example_runs_and_earns_its_verdict():
    res = run_claim(CLAIM, CLAIM.example(n=4, d=5, k=2, m=200, seed=0))
    assert res["verdict"] == "verified", res
'''


def new_claim(claim_id: str, out) -> list[Path]:
    """Write ``out/ID.py`` and ``out/test_ID.py``; refuse a bad id or an existing file
    (``InputError``, nothing written)."""
    if (not isinstance(claim_id, str) or not claim_id.isidentifier() or keyword.iskeyword(claim_id)
            or claim_id.startswith(("_", "test")) or not claim_id.isascii()):
        raise InputError(f"new-claim ID {claim_id!r}; it must be an ASCII Python identifier not "
                         "starting with '_' or 'test' (it names the module ID.py)")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {str(out)!r} is a file; it must be a folder")
    files = {folder / f"{claim_id}.py": CLAIM_TEMPLATE, folder / f"test_{claim_id}.py": TEST_TEMPLATE}
    existing = [str(p) for p in files if p.exists() or p.is_symlink()]
    if existing:
        raise InputError(f"new-claim: {', '.join(existing)} already exist(s); new-claim never "
                         "overwrites (choose another ID or --out)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for p, template in files.items():
            with open(p, "x", encoding="utf-8") as fh:
                fh.write(template.format(id=claim_id))
    except OSError as exc:
        raise InputError(f"--out {str(out)!r}: cannot write there ({exc.strerror or exc})") from None
    return list(files)
