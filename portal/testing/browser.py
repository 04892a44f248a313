"""Which Chromium Playwright launches: its own build when installed, else the OS package
(`playwright install` cannot download on every machine; Debian's chromium can be installed)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# What the OS Chromium needs to run headless as root in a container, and quietly.
SYSTEM_CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


class NoChromium(RuntimeError):
    """Neither Playwright's Chromium nor the OS one is installed."""


def playwright_chromium_present(executable_path: str, headless: bool) -> bool:
    """Whether Playwright's own Chromium build is installed (it honours
    PLAYWRIGHT_BROWSERS_PATH when it names the path). Headless runs use the headless shell
    build that sits next to it."""
    exe = Path(executable_path)
    if not exe.exists():
        return False
    if not headless:
        return True
    build = next((p for p in exe.parents if p.name.startswith("chromium-")), None)
    if build is None:
        return True  # an unusual layout: trust Playwright
    revision = build.name.split("-", 1)[1]
    return (build.parent / f"chromium_headless_shell-{revision}").is_dir()


def system_chromium() -> str | None:
    return next((p for p in SYSTEM_CHROMIUMS if Path(p).exists()), None) or shutil.which("chromium")


def launch_args(args: dict[str, Any], browser_name: str, executable_path: str) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the OS Chromium when Playwright's own
    is missing; unchanged for other browsers or a channel or executable already chosen."""
    if browser_name != "chromium" or args.get("channel") or args.get("executable_path"):
        return args
    if playwright_chromium_present(executable_path, args.get("headless", True)):
        return args
    system = system_chromium()
    if system is None:
        raise NoChromium(
            "No Chromium for the Playwright tests: Playwright's own build is not installed "
            f"(expected {executable_path}) and none of {', '.join(SYSTEM_CHROMIUMS)} exists. "
            "Install one: `playwright install chromium` or `apt-get install chromium`."
        )
    return {
        **args,
        "executable_path": system,
        "args": [*args.get("args", []), *SYSTEM_CHROMIUM_ARGS],
    }
