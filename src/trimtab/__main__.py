"""``python -m trimtab`` is the ``trimtab`` command."""

from trimtab.cli.console import main

main()
