"""The portal: pure rules (`core`), models, services, and the Flask web app (`app.create_app`).

Importing this package loads nothing else, so the mocks and the CLI can use `portal.core`,
`portal.models` and `portal.services` without the web app's extensions.
"""
