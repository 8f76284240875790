"""The RPM content type: reading package headers (and, later, repo metadata and dependency solving)."""
