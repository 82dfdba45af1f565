"""Celery worker and beat: thin tasks over ``compliance.services``; never imports Flask."""
