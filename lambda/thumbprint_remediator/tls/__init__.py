"""Observing TLS: the probe, the shared endpoint pool, and offline verification of what was captured."""
