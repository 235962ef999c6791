"""The command line: the ``trimtab`` command (:mod:`trimtab.cli.main.main`) and everything that prints for a
terminal. The only package that imports rich.
"""
