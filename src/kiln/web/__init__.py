"""kiln's web UI (Koji's kojiweb): pages at Koji's addresses, a client of the hub through kiln.client.

It never imports the hub nor opens the database (tests/unit/test_layers.py):
like kojiweb, it can run on another machine than the hub.
"""
