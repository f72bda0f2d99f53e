"""The report's Jinja2 templates (a package only so that the build ships the ``*.j2`` files)."""
