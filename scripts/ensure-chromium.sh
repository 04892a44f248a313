#!/usr/bin/env bash
# The e2e suite needs a Chromium: Playwright's own if installed, otherwise the OS package.
# `playwright install` cannot download on our machines, so install Debian's chromium when we can.
set -euo pipefail
if compgen -G "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}/chromium*" >/dev/null; then
  exit 0
fi
for candidate in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  [ -x "$candidate" ] && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing the OS package chromium for the Playwright tests" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "No Chromium found. Install the OS package 'chromium' (or run 'playwright install chromium')." >&2
exit 1
