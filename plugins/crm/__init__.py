"""Built-in crm plugin (in progress)."""
