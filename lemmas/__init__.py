"""One module per claim of the paper; each registers itself with ``proofkit.claims.claim``.

Import ``proofkit.claims.all_claims()`` rather than these modules directly.
"""
