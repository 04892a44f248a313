"""The mock MoSAPI: deterministic answers per TLD, overridable by a per-TLD scenario.

The generator modules (``monitoring``, ``measurements``, ``metrica``, ``rdap``) are pure: no
Flask, no database, no clock. Every function takes ``now`` (naive values are read as UTC), so
the same inputs always give the same output, and returns a plain JSON-ready dict; ``None`` means
"not found" (the server answers 404). Service names are accepted in either case (paths use
``dns``, JSON uses ``DNS``); an unknown service gives ``None``. ``views`` is the Flask layer.
"""
