"""Fixtures shared by the whole suite."""

from tests.dbservers import mariadb_url, postgres_url

__all__ = ["mariadb_url", "postgres_url"]
