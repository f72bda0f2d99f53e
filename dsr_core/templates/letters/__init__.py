"""The subject's letters (a package so that a wheel ships the templates)."""
