"""Tenant id → validated tenant with its settings and keys; the one issuer function."""
