"""The layer rules of ``.importlinter`` hold (``lint-imports`` over proofkit and lemmas).

Every import counts, also those inside functions: a lazy import that runs upward is still an
edge of the graph.  The second test shows the linter can fail here: a contract that the
current code breaks (the audit driver does import the claim model) is reported broken.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_layer_contracts_hold(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True,
                        no_logo=True) == 0


def test_a_broken_contract_is_reported(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    cfg = tmp_path / "broken.ini"
    cfg.write_text("[importlinter]\nroot_packages =\n    proofkit\n    lemmas\n"
                   "[importlinter:contract:x]\nname = audit without claims\ntype = forbidden\n"
                   "source_modules =\n    proofkit.claim_audit\n"
                   "forbidden_modules =\n    proofkit.claims\n")
    assert lint_imports(config_filename=str(cfg), no_cache=True, no_logo=True) == 1
    assert "proofkit.claim_audit is not allowed to import proofkit.claims" in capsys.readouterr().out
