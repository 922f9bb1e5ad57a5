"""The browser tier: headless Chromium opens the report file and Airflow's report view."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.browser import Page, chromium, chromium_binary


@pytest.fixture(scope="session")
def browser() -> Iterator[Page]:
    binary = chromium_binary()
    if binary is None and os.environ.get("AVROLAKE_REQUIRE_BROWSER"):
        pytest.fail("AVROLAKE_REQUIRE_BROWSER is set (.ci/run) but no Chromium is installed")
    if binary is None:
        pytest.skip(
            "headless Chromium is not installed (Debian: apt-get install chromium; or set "
            "AVROLAKE_CHROMIUM); .ci/run installs it and runs this tier"
        )
    with chromium(binary) as page:
        yield page


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """$AVROLAKE_SCREENSHOTS (e.g. docs/ to refresh the committed ones), else a temp folder."""
    chosen = os.environ.get("AVROLAKE_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
