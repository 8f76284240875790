"""An example kiln hub plugin, used by the tests and as a model for real ones."""
