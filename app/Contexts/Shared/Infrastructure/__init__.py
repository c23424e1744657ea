"""Shared adapters: the gRPC client library, wrapped at the import paths this service uses."""
