"""The official koji CLI and client library, run against a real hub."""
