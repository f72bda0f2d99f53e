"""Package layout only: the built-in plugins live in ``plugins/`` but install as ``dsr_plugins``.

Everything else is in pyproject.toml. The mapping keeps the checkout's folder name short while
the installed import name cannot clash with another distribution's top-level ``plugins``.
"""

from setuptools import find_packages, setup

core = find_packages(include=["dsr_core", "dsr_core.*"])
plugins = ["dsr_plugins"] + [f"dsr_plugins.{name}" for name in find_packages("plugins")]

setup(
    packages=core + plugins,
    package_dir={"dsr_plugins": "plugins"},
    package_data={"": ["*.j2", "*.html", "*.txt", "*.toml", "*.css"]},
)
