"""``python -m trimtab`` is the ``trimtab`` command."""

from trimtab.console import main

main()
