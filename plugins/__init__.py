"""The built-in plugins. Installed as ``dsr_plugins`` (see setup.py)."""
