"""Output files written all or none: each goes to a temporary file in its folder first and is
renamed into place once every one is complete, so a refusal or an error leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click

PUBLIC_MODE = 0o644
SECRET_MODE = 0o600


def refuse_existing(paths: Iterable[Path], force: bool) -> None:
    """Refuse a folder in the way, and (without --force) any file that already exists."""
    paths = list(paths)
    folders = [str(p) for p in paths if p.is_dir()]
    if folders:
        raise click.ClickException(f"{', '.join(folders)}: a folder is in the way.")
    if force:
        return
    existing = [str(p) for p in paths if p.exists() or p.is_symlink()]
    if existing:
        raise click.ClickException(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "nothing was written (use --force to overwrite)."
        )


def write_all(files: list[tuple[Path, bytes, int]], force: bool) -> None:
    """Write (path, content, mode) files all or none: temporary files, then renames."""
    refuse_existing((p for p, _, _ in files), force)
    temps: list[tuple[str, Path]] = []
    made_dirs: list[Path] = []
    try:
        for path, content, mode in files:
            if not path.parent.is_dir():
                missing = [path.parent, *(p for p in path.parent.parents if not p.exists())]
                path.parent.mkdir(parents=True)
                made_dirs += [p for p in missing if p not in made_dirs]
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), mode)
                fh.write(content)
        refuse_existing((p for p, _, _ in files), force)
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException as exc:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for folder in made_dirs:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise click.ClickException(
                f"could not write the files: {exc}; nothing was written."
            ) from exc
        raise
