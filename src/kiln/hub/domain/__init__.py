"""The hub's real work in plain Python: each module takes an explicit context."""
