"""Operations on stored data, shared by UI, API and CLI.

They take a SQLAlchemy session, never Flask.
"""
