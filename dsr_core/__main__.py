"""``python -m dsr_core`` runs the ``dsr`` command line."""

from .cli import main

main()
