"""The service around the core: JSON API and web app, Celery worker and beat, service commands.

Layer rule: ``web`` depends on ``compliance`` (services, storage, settings), never the other
way. The worker (:mod:`web.worker`) never imports Flask or builds the app; only
:func:`web.app.create_app` imports ``web.dashboard``, and only when it is installed.
"""
