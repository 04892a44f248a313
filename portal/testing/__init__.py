"""The harness as a test fixture: start or attach to a running harness, seed it over HTTP, make
client certificates in the test process, and the pytest plugin that offers all of it
(`tlsauth_harness`, `tlsauth_seed`, `tlsauth_client_cert`, Playwright contexts).

Nothing of the harness itself imports this package; it drives the harness from outside, as a
QA engineer's test suite would (subprocesses, HTTP, files)."""
