"""Alembic environment: runs on the connection kiln hands it (see db/migrate.py)."""

from __future__ import annotations

from alembic import context

from kiln.hub.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("kiln runs its migrations through kiln.hub.db.migrate, with a connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
