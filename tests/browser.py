"""A real headless Chromium for page tests: Debian's ``chromium`` driven by Playwright.

Playwright's own browser download cannot be used here, so the system's Chromium is
launched by path. :func:`chromium_or_reason` installs it (apt-get, as root) when it is
missing, and says why not when it cannot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_reason() -> str | None:
    """None when :data:`CHROMIUM` can run (installing it if need be), else why not."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        return f"no browser: {CHROMIUM} is missing and this system has no apt-get to install it"
    if os.geteuid() != 0:
        return f"no browser: {CHROMIUM} is missing; install it as root (apt-get install chromium)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt_get, "install", "-y", "-q", "--no-install-recommends", "chromium"]
    done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        subprocess.run([apt_get, "update", "-q"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
        return f"no browser: apt-get install chromium failed: {done.stderr.strip()[-500:]}"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system's Chromium, headless, closed on exit."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
