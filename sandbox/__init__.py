"""Local stand-ins for the outside world, shared by tests, the demo and the benchmark.

`sandbox.pki` generates certificate authorities and chains, `sandbox.issuers` serves OIDC issuers
over real TLS on loopback. Nothing under `lambda/` imports this package.
"""
