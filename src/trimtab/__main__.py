"""``python -m trimtab`` is the ``trimtab`` command."""

from trimtab.cli import main

main()
