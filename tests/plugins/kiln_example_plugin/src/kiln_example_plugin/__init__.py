"""An example kiln plugin (hub, builder and CLI sides), used by the tests and as a model for real ones."""
