"""Built-in suppliers plugin (in progress)."""
