"""Storage: table definitions, engines, migrations and versioned-table helpers."""
