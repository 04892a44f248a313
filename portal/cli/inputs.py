"""What commands read besides their arguments: secrets from a prompt or standard input, and
files the services check (read only far enough for a service to refuse an oversized one)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..core import certificates as cw


def read_secret(prompt: str, what: str) -> str:
    """One secret: a hidden, confirmed prompt on a terminal, else the next line of stdin."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException(f"No {what} on standard input.")
    return line


def read_upload(path: Path) -> bytes:
    """The file's bytes, up to one byte more than the services accept."""
    try:
        with path.open("rb") as fh:
            return fh.read(cw.MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from exc
