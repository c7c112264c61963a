"""``proofkit list``, ``proofkit check CLAIM`` and ``proofkit new-claim ID``: the claim registry
on the command line."""

from __future__ import annotations

import argparse

from .audit_command import add_claims_from, load_claims_from


def register(sub) -> None:
    p = sub.add_parser("list", help="list the registered claims with locations, dependencies "
                       "and premises")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_claims_from(p)
    p.set_defaults(func=_list)

    c = sub.add_parser("check", help="run every proof step of one claim on one instance")
    c.add_argument("claim", help="claim id, e.g. lemma4 (see `proofkit list`)")
    c.add_argument("--n", type=int, default=4, help="number of points (default 4)")
    c.add_argument("--d", type=int, default=5, help="input dimension (default 5)")
    c.add_argument("--k", type=int, default=2, help="directions per point (default 2)")
    c.add_argument("--m", type=int, default=200, help="network width (default 200)")
    c.add_argument("--seed", type=int, default=0, help="seed of the instance (default 0)")
    c.add_argument("--dps", type=int, default=30, help="mpmath digits (default 30)")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    add_claims_from(c)
    c.set_defaults(func=_check)

    w = sub.add_parser("new-claim", help="scaffold a claim module DIR/ID.py and its property "
                       "test DIR/test_ID.py (never overwrites)")
    w.add_argument("id", metavar="ID", help="claim id, a Python identifier, e.g. my_lemma")
    w.add_argument("--out", required=True, metavar="DIR",
                   help="folder for ID.py and test_ID.py (made if missing)")
    w.set_defaults(func=_new_claim)


def _list(args: argparse.Namespace) -> int:
    import json

    from .claims import all_claims

    load_claims_from(args)
    claims = [c.summary() for c in all_claims().values()]
    if args.json:
        print(json.dumps({"claims": claims}, indent=2))
        return 0
    for c in claims:
        deps = ", ".join(c["depends_on"]) or "-"
        prem = ", ".join(c["premises"]) or "-"
        print(f"{c['id']:<12} {c['location']:<32} steps={len(c['steps']):<3} "
              f"depends on: {deps}; premises: {prem}")
    return 0


def _validate_sizes(args) -> None:
    from . import limits

    limits.sizes(args.n, args.d, args.k, args.m, max_rows=limits.MAX_CHECK_ROWS,
                 what="check runs mpmath on N×N matrices, so ")
    limits.integer("dps", args.dps, 15, limits.MAX_DPS)
    limits.seed("seed", args.seed)


def _check(args: argparse.Namespace) -> int:
    import json

    from .claims import get_claim, run_claim
    from .errors import InputError

    _validate_sizes(args)
    load_claims_from(args)
    try:
        c = get_claim(args.claim)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    inst = c.example(n=args.n, d=args.d, k=args.k, m=args.m, seed=args.seed)
    result = run_claim(c, inst, dps=args.dps, seed=args.seed)
    result["instance"] = {"n": args.n, "d": args.d, "k": args.k, "m": args.m, "seed": args.seed,
                          "dps": args.dps}
    from .report.environment import environment

    result["provenance"] = {"command": ["proofkit", *getattr(args, "argv", [])], "seed": args.seed,
                            "environment": environment()}
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    from .report.unicode import formula

    print(f"{c.id}: {c.title} ({c.location}) -> {result['verdict']}")
    for s in result["steps"]:
        print(f"  [{s['verdict']:<12}] {s['id']} ({s['location']})")
        print(f"      paper:   {formula(s['paper'])}")
        print(f"      derived: {formula(s['derived']) if s['derived'] else '–'}")
        print(f"      detail:  {formula(s['detail'])}")
    ch = result["check"]
    rel = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">"}.get(ch["relation"],
                                                                   ch["relation"])
    print(f"  check: {ch['lhs']:.10g} {rel} {ch['rhs']:.10g} -> "
          f"{'holds' if ch['holds'] else 'FAILS'}, slack {ch['slack']:.4g}, ratio "
          f"{ch['ratio']:.4g}, float64 and mpmath agree to {ch['agree_digits']:.3g} digits")
    for line in _statement_lines(c, inst):
        print("    " + line)
    print("  premises: " + ", ".join(f"{p} {'holds' if h else 'FAILS'}"
                                     for p, h in result["premises_hold"].items()))
    return 0


def _statement_lines(c, instance) -> list[str]:
    """Each part of the claim's SymPy statement on the instance (which fails, by how much)."""
    from .report.unicode import conjuncts, describe_conjuncts

    try:
        return ["statement " + line for line in describe_conjuncts(conjuncts(c, instance))]
    except Exception as exc:  # a statement that cannot be evaluated here: say so, go on
        return [f"statement: not evaluated ({type(exc).__name__}: {exc})"]


def _new_claim(args: argparse.Namespace) -> int:
    from .scaffold import new_claim

    for p in new_claim(args.id, args.out):
        print(p)
    return 0
