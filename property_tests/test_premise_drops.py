"""Premises whose drop is meaningless say why (the audit records the message)."""

import pytest

from proofkit.claims import get_claim


@pytest.mark.parametrize("cid, premise, why", [
    ("lemma5", "unit", "validation rejects"),
    ("section32", "unit", "validation rejects"),
    ("section32", "delta_range", "failure probability"),
    ("section21", "k_positive", "undefined at k = 0"),
    ("theorem2", "k_positive", "undefined at k = 0"),
])
def test_undroppable_premise_explains(cid, premise, why):
    c = get_claim(cid)
    assert premise in c.premise_names
    with pytest.raises(ValueError, match=why):
        c.instances(drop=premise)
