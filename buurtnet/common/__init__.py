"""Helpers every app may use: form errors, single-line text rules, limits, private files,
markdown, photo cleaning, CSV export and reconnecting after a lost database or broker.

The lowest layer of the project (see docs/architecture.md): nothing here imports an app.
"""
