"""Built-in techdossier plugin (in progress)."""
