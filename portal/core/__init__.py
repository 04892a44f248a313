"""Pure logic shared by the portal, the API, the CLI, the mocks and the bulk upload.

Nothing in this package imports Flask.
"""
