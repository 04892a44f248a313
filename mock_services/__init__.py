"""Mock ICANN services (MoSAPI and RRI) that enforce the stored TLS client policy."""
