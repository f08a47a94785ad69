"""Governance pages. Views parse input, call services and show their errors; every rule and
permission is in services.

Who may not know a BIN exists gets 404 on every page about it; who sees the BIN but may
not take an action gets 403. The permission check comes before the form is read, so that
a refused person learns nothing from a form's errors. Every page that runs a service does
so through `base.form_action`.

One module per section, as in services: `overview` (the overview and a BIN's page),
`founding`, `area` (the zone's staff change a BIN's area), `agreements` (with the
registration and the evaluation), `cases` (screening, hand-over, a coordinator's case),
`meetings`, `votes` (with the officer's review of a function given), `consultations`;
`base` holds what they share.
"""
