"""Browser test wiring: Debian's Chromium driven by Playwright, local stacks, a watched page.

Chromium comes from ``$CHROMIUM`` or ``/usr/bin/chromium``; when it is missing every test fails
with a message saying how to install it (never a skip). Each page is watched: any console error,
uncaught exception or CSP violation fails the test, except the HTTP failures a test expects.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from local_stack.testing.launcher import RunningStack
from tests.browser.page_watch import PageWatch, watched_tab
from tests.browser.upload_page import UploadPage
from tests.helpers.stack_fixtures import StackFactory

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_CHROMIUM = "/usr/bin/chromium"

# A stack with tight limits, for the refusals in the page and in S3.
LIMITED_PARAMS = {"MaxFileSize": "1000000", "AllowedTypes": "image/*,application/pdf"}
# A stack sending files from 5 MiB up in 5 MiB parts (S3's smallest), so 11 MiB makes 3 parts.
MULTIPART_PARAMS = {"MultipartThreshold": "5242880", "PartSize": "5242880"}
# The same, checking each upload's bytes against AllowedTypes (the content check).
CHECKED_MULTIPART_PARAMS = {**MULTIPART_PARAMS, "AllowedTypes": "image/*"}


def chromium_path() -> str:
    """The Chromium binary to drive; fails the test with the fix when there is none."""
    path = os.environ.get("CHROMIUM", "").strip() or DEFAULT_CHROMIUM
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {path}: install it (apt-get install chromium) or set "
            "CHROMIUM to its path. The browser tests need a real browser.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def limited_stack(local_stack_factory: StackFactory) -> RunningStack:
    """A local stack refusing files over 1 MB (decimal) and types other than images and PDF."""
    return local_stack_factory(LIMITED_PARAMS)


@pytest.fixture(scope="session")
def multipart_stack(local_stack_factory: StackFactory) -> RunningStack:
    """A local stack uploading files of 5 MiB and more in parts of 5 MiB."""
    return local_stack_factory(MULTIPART_PARAMS)


@pytest.fixture(scope="session")
def checked_multipart_stack(local_stack_factory: StackFactory) -> RunningStack:
    """A multipart stack taking only images, their bytes checked."""
    return local_stack_factory(CHECKED_MULTIPART_PARAMS)


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser: Browser, watch: PageWatch, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1100, "height": 900}, accept_downloads=True, locale="en-US"
    )
    context.set_default_timeout(15_000)
    tab = watched_tab(context, watch)
    yield tab
    context.close()
    unexpected = watch.unexpected_errors()
    assert not unexpected, "the page logged errors:\n" + "\n".join(unexpected)


@pytest.fixture
def upload_page(page: Page, local_stack: RunningStack) -> UploadPage:
    return UploadPage(page, local_stack.web_url).open()


@pytest.fixture
def limited_page(page: Page, limited_stack: RunningStack) -> UploadPage:
    return UploadPage(page, limited_stack.web_url).open()


@pytest.fixture
def multipart_page(page: Page, multipart_stack: RunningStack) -> UploadPage:
    return UploadPage(page, multipart_stack.web_url).open()


@pytest.fixture
def checked_multipart_page(page: Page, checked_multipart_stack: RunningStack) -> UploadPage:
    return UploadPage(page, checked_multipart_stack.web_url).open()
