"""Helpers every app may use: form errors and fields, single-line text rules, limits, private
files, markdown, photo cleaning, CSV export, reconnecting after a lost database or broker, the
client's address, and the registry of periodic steps that `manage.py tick` runs.

The lowest layer of the project (see docs/architecture.md): nothing here imports an app.
"""
