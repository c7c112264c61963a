"""``proofkit audit``, ``search``, ``replay``, ``report`` and ``docs`` on the command line.

Exit codes: 0 when the command ran (a claim that fails is a finding, not a failure);
1 from ``replay`` when the numbers do not reproduce bit for bit; 2 with one line on stderr
for bad usage or input (raised as :class:`~proofkit.errors.InputError`), checked before any
work (:mod:`proofkit.limits`, :mod:`proofkit.outdir`); 130 after Ctrl-C, 143 after SIGTERM.
"""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    a = sub.add_parser("audit", help="audit every claim: proof steps, numeric checks, "
                       "counterexample searches, Theorem 1-2 flows; write the reports")
    a.add_argument("--out", default="proofkit-report", metavar="DIR",
                   help="output directory (default ./proofkit-report): new, empty or made by "
                   "proofkit; replaced in one atomic step (docs/safety.md)")
    a.add_argument("--budget", default="default", choices=("quick", "default", "deep"),
                   help="quick ~15 s, default ~40 s (measured on 2 cores), deep: hours")
    a.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    a.add_argument("--claims", nargs="+", metavar="CLAIM", help="audit only these claim ids")
    a.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: number of CPUs, at most 8; more than the "
                   "CPUs is clamped)")
    a.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    a.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_claims_from(a)
    a.set_defaults(func=_audit)

    s = sub.add_parser("search", help="search one claim for a counterexample (Hypothesis + "
                       "target + shrinking, then Nelder-Mead refinement)")
    s.add_argument("claim", help="claim id (see `proofkit list`)")
    s.add_argument("--drop-premise", metavar="NAME", help="search without this premise")
    s.add_argument("--max-examples", type=int, default=100, metavar="N",
                   help="Hypothesis examples (default 100)")
    s.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    s.add_argument("--out", metavar="FILE", help="counterexample file (default "
                   "counterexamples/<claim>--<premise>.json)")
    s.add_argument("--dps", type=int, default=30, help="mpmath digits (default 30)")
    s.add_argument("--refine-evals", type=int, default=200, metavar="N",
                   help="Nelder-Mead evaluations (default 200; 0 disables)")
    s.add_argument("--shrink-evals", type=int, default=100, metavar="N",
                   help="evaluations spent shrinking a failure (default 100)")
    s.add_argument("--time-limit", type=float, default=600.0, metavar="S",
                   help="safety stop in seconds (default 600); the work is set by the counts")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    s.set_defaults(func=_search)

    r = sub.add_parser("replay", help="re-evaluate a counterexample file bit for bit")
    r.add_argument("file", help="counterexample JSON written by `proofkit search`/`audit`")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(func=_replay)

    p = sub.add_parser("report", help="re-render a saved audit.json without recomputing")
    p.add_argument("audit_json", metavar="audit.json")
    p.add_argument("--format", choices=("md", "tex", "json"), action="append",
                   help="md, tex or json (repeatable; default all three)")
    p.add_argument("--out", metavar="DIR", help="output directory (default: beside audit.json)")
    p.add_argument("--no-figures", action="store_true", help="do not redraw figures")
    p.set_defaults(func=_report)

    d = sub.add_parser("docs", help="generate docs/claims/*.md (and docs/findings.md from an "
                       "audit.json) from the claim registry")
    d.add_argument("--out", default="docs", metavar="DIR", help="docs directory (default docs)")
    d.add_argument("--audit", metavar="audit.json",
                   help="take verdicts from this audit and write findings.md")
    d.set_defaults(func=_docs)


def add_claims_from(parser) -> None:
    parser.add_argument("--claims-from", action="append", default=[], metavar="MODULE_OR_FILE",
                        help="also load the claims this module registers: a dotted module "
                        "name, a .py file or a package directory (repeatable; "
                        "docs/adding-a-claim.md)")


def load_claims_from(args) -> None:
    """Load ``--claims-from`` packs (bad values: one-line InputError, before any output)."""
    from .packs import ensure_loaded

    ensure_loaded(getattr(args, "claims_from", None))


def _audit(args: argparse.Namespace) -> int:
    from .audit import run_audit
    from .limits import seed
    from .workers import resolve_jobs

    seed("seed", args.seed)
    jobs, note = resolve_jobs(args.jobs)  # run_audit checks --out, then loads the packs
    if note:
        print(f"proofkit: note: {note}", file=sys.stderr)
    res = run_audit(args.out, budget=args.budget, seed=args.seed, claims=args.claims,
                    jobs=jobs, command=["proofkit", *getattr(args, "argv", [])],
                    progress=not args.quiet, figures=not args.no_figures,
                    claims_from=args.claims_from)
    s = res.summary
    print(f"audited {s['claims']} claims ({s['steps']} steps) at budget {res.budget}, seed "
          f"{res.seed}: " + ", ".join(f"{n} {v}" for v, n in s["claims_by_verdict"].items() if n)
          + f"; {s['counterexamples']} counterexample file(s); wrote {args.out}/")
    return 0


def _search(args: argparse.Namespace) -> int:
    import json

    from . import limits
    from .claims import get_claim
    from .errors import InputError
    from .outdir import check_file
    from .search import default_path, search

    limits.seed("seed", args.seed)
    limits.integer("refine-evals", args.refine_evals, 0, limits.MAX_COUNT)
    limits.integer("max-examples", args.max_examples, 1, limits.MAX_COUNT)
    limits.integer("dps", args.dps, 15, limits.MAX_DPS)
    limits.positive("time-limit", args.time_limit, high=limits.MAX_T_MAX)
    limits.integer("shrink-evals", args.shrink_evals, 0, limits.MAX_COUNT)
    try:
        c = get_claim(args.claim)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    from .progress import bar

    out = args.out if args.out is not None else default_path(c.id, args.drop_premise)
    check_file(out, "--out", schema_prefix="proofkit.counterexample/")
    with bar(args.max_examples, f"search {c.id}", quiet=args.quiet, unit="instance") as b:
        def tick(done: int) -> None:
            b.update(done - b.n)
            if done == args.max_examples:
                b.set_description(f"search {c.id}: shrinking and refining")

        r = search(c, args.drop_premise, max_examples=args.max_examples, seed=args.seed,
                   out=out, dps=args.dps, refine_evals=args.refine_evals,
                   shrink_evals=args.shrink_evals,
                   time_limit=args.time_limit, progress=tick)
    if args.json:
        print(json.dumps(r.to_dict(), indent=2))
        return 0
    what = "all premises" if r.drop_premise is None else f"premise {r.drop_premise!r} dropped"
    print(f"{c.id} ({what}): {r.evaluations} evaluations, {r.held} held; smallest slack "
          f"{r.worst_slack:.6g}")
    if r.found:
        kind = " (only by float64 rounding)" if r.marginal else ""
        ref = r.refinement
        print(f"counterexample{kind}: slack {r.worst_slack!r} (before refinement "
              f"{ref.get('slack_before')!r}, shrunk case {r.shrunk_slack!r}); wrote {r.file}")
    else:
        print("no counterexample found")
    if r.note:
        print(f"note: {r.note}")
    if r.safety_stop:
        print(f"proofkit search: safety stop ({args.time_limit:g} s) fired; the result is "
              "not reproducible", file=sys.stderr)
    return 0


def _replay(args: argparse.Namespace) -> int:
    import json

    from .search import replay

    r = replay(args.file)
    if args.json:
        print(json.dumps(r.to_dict(), indent=2))
    else:
        k = r.check
        rel = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">"}.get(k["relation"],
                                                                       k["relation"])
        print(f"{r.claim}: lhs {k['lhs']!r} {rel} rhs {k['rhs']!r}: "
              + ("holds" if k["holds"] else f"FAILS by {-float(k['slack']):.6g}")
              + f" (slack {k['slack']!r})")
        for line in _replay_statement(args.file):
            print("  " + line)
        print("reproduced bit for bit" if r.reproduced else "NOT reproduced:\n  "
              + "\n  ".join(r.mismatches))
        cmd = (k.get("extra") or {}).get("confirm_command")
        if isinstance(cmd, str):
            print("rerun the finite-width GD confirmation: " + cmd.replace("{file}", args.file))
        if r.version_changes:
            print("versions changed since the file was written: " + ", ".join(
                f"{n} {v['stored']} -> {v['now']}" for n, v in r.version_changes.items()))
    return 0 if r.reproduced else 1


def _replay_statement(path) -> list[str]:
    """Which part of the claim's statement fails on the stored instance, and by how much."""
    from .claims import get_claim
    from .commands import _statement_lines
    from .counterexample import load_counterexample
    from .instance_io import decode_instance

    data = load_counterexample(path)
    return _statement_lines(get_claim(data["claim"]), decode_instance(data["instance"]))


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .audit import load_audit
    from .outdir import check_folder, record_files
    from .report import FORMATS, render

    if args.out is not None:  # a bad --out is refused before the file is read
        check_folder(args.out, "--out", replace=False)
    res = load_audit(args.audit_json)
    out = Path(args.audit_json).parent if args.out is None else Path(args.out)
    if args.out is None:
        check_folder(out, "--out (default: the folder of audit.json)", replace=False)
    out.mkdir(parents=True, exist_ok=True)
    written = render(res.to_dict(), out, tuple(args.format or FORMATS),
                     figures=not args.no_figures)
    record_files(out, written, "report", seed=res.seed)
    for p in written:
        print(p)
    return 0


def _docs(args: argparse.Namespace) -> int:
    from .report.docs import generate

    for p in generate(args.out, audit_json=args.audit):
        print(p)
    return 0
