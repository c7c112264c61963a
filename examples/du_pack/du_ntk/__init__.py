"""An example claim pack for proofkit: the k = 0 (non-Sobolev) case, Du et al. (2019).

Each non-underscore submodule registers one claim with ``@proofkit.claims.claim``; the
``proofkit.claims`` entry point in pyproject.toml makes ``proofkit`` load the package.
"""
