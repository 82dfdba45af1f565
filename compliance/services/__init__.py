"""Services: the use cases of the compliance service, as plain functions over a database session.

Layer rule: services import ``compliance`` core modules and ``compliance.storage``; never
``web``, ``flask`` or ``celery``. The web API, the dashboard, the Celery tasks and the CLI all
call these functions, so they are the contract between storage and delivery.

Transactions: functions that take a ``session`` never commit; the caller owns the transaction
(``compliance.storage.db.session_scope`` or the web request's session) and every person-made
change is audited through :func:`compliance.services.audit.record` in that same transaction,
so the change and its audit event commit or vanish together. Long-running functions
(:func:`~compliance.services.checks.run_check`, :func:`~compliance.services.scans.run_scan`)
take a ``session_factory`` instead and commit in steps, so a killed worker loses no finished
work and a re-delivered task resumes where it stopped.

Modules: ``checks`` (submit, run, read), ``scans`` (registry scans, re-evaluation, progress,
changes), ``changes`` (what changed and why), ``targets`` and ``schedules`` (what to scan and
when; ``cron`` evaluates crontab strings), ``waivers``, ``tokens``, ``users``, ``roles``,
``audit``; ``options`` and ``uploads`` validate check inputs; ``ports`` holds the interfaces
of the hub adapters the checks and scans take; ``paging`` the :class:`Page` listings return.
Functions return table rows (``compliance.storage.tables``); their attributes stay readable
after the session closes.
"""
