"""The registry, the ``lemmas`` package and ``docs/claims/`` list the same claims, and the
generated pages match the registry's steps.  Regenerate with ``python -m proofkit.report.docs``."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import lemmas
from proofkit.claims import Verdict, all_claims
from proofkit.report.docs import cli_reference, page_step_ids

DOCS = Path(__file__).resolve().parents[1] / "docs"
HINT = "regenerate with `python -m proofkit.report.docs` (docs/ is generated from the registry)"


def test_registry_modules_and_pages_list_the_same_claims():
    registry = set(all_claims())
    modules = {m.name for m in pkgutil.iter_modules(lemmas.__path__) if not m.name.startswith("_")}
    pages = {p.stem for p in (DOCS / "claims").glob("*.md")}
    assert registry == modules, "every lemmas/ module registers the claim named like it"
    assert pages == registry, HINT
    index = (DOCS / "claims.md").read_text()
    for cid in registry:
        assert f"(claims/{cid}.md)" in index, HINT


def test_pages_match_the_registry_steps():
    verdicts = {v.value for v in Verdict} | {"not run"}
    for cid, c in all_claims().items():
        page = (DOCS / "claims" / f"{cid}.md").read_text()
        assert page_step_ids(page) == [s.id for s in c.steps], f"{cid}: {HINT}"
        assert f"# {cid}\n" in page and c.location in page, f"{cid}: {HINT}"
        for p in c.premises:
            assert f"- `{p.name}`:" in page, f"{cid}/{p.name}: {HINT}"
        for s in c.steps:
            assert s.paper.replace("\n", " ").strip() in page, f"{s.id}: {HINT}"
            assert s.location in page, f"{s.id}: {HINT}"
        heading_verdicts = [line.rsplit("— ", 1)[1] for line in page.splitlines()
                            if line.startswith("### `")]
        assert set(heading_verdicts) <= verdicts


def test_cli_reference_is_current():
    assert (DOCS / "cli.md").read_text() == cli_reference(), HINT


def test_hand_written_guides_exist():
    for name in ("quickstart.md", "adding-a-claim.md", "audit-schema.md", "findings.md"):
        assert (DOCS / name).is_file(), name
    findings = (DOCS / "findings.md").read_text()
    for cid in all_claims():
        assert f"## {cid}" in findings, f"findings.md lacks {cid}: rerun the default audit"
