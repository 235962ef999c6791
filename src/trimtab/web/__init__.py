"""The HTTP front end of ``trimtab serve``: the JSON API (and, on top of it, the web pages).

It calls the application layer (:mod:`trimtab.app`) like the command line does, never the command line."""
