"""Infrastructure both the portal and the mocks stand on: configuration, the database handle,
the harness PKI, the client-certificate TLS listener and the DNS TLSA source.

Nothing here imports the portal's web packages or the mocks.
"""
