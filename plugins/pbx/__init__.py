"""Built-in pbx plugin (in progress)."""
