"""The application layer the front ends call (the CLI now, a web server and a notifier next).

- :mod:`trimtab.app.service`: the :class:`~trimtab.app.service.Bot`. Reads (``portfolio``, ``plan``,
  ``history``, ``run_detail``, ``now``, ``next_check``) and runs (``rebalance``, ``harvest``), which
  take turns when several asyncio tasks share one bot; what they return is plain data
  (:mod:`trimtab.app.outcomes`), with the ledger's ``RunStatus`` and ``RunMode``.
- :mod:`trimtab.app.assembly`: a bot built from a config; :mod:`trimtab.app.parts` what it is made of.
- :mod:`trimtab.app.scheduler`: the ``run`` loop's schedule (check, wait, stop between runs), reporting
  each check and wait as plain data; :mod:`trimtab.app.history` reads past runs without a bot.
- :mod:`trimtab.app.portfolio_home`: where a portfolio lives (data folder, ledger and its PostgreSQL
  schema) and its lock: :mod:`trimtab.app.portfolio_lock` (files) or
  :mod:`trimtab.ledger.driver_lock` (a PostgreSQL ledger's advisory lock) keeps two processes off one
  portfolio; :mod:`trimtab.app.fleet` serves several, on standby where another process drives them;
  :mod:`trimtab.app.reset`
  starts a paper account over; :mod:`trimtab.app.demo_files` is the demo's folder.

Nothing here prints or imports a front end: it may import every floor below it, and none of them imports it.
"""
