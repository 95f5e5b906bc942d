"""The page beyond the happy path: drop and paste, phone width, keyboard, labels, expired links."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from local_stack.testing.launcher import RunningStack
from tests.browser.page_watch import PageWatch
from tests.browser.sample_files import pdf_bytes, png_bytes
from tests.browser.upload_page import UploadPage
from tests.helpers.stack_fixtures import StackFactory

ADD_BY_EVENT = """
async ({ kind, name, type, bytes }) => {
  const file = new File([new Uint8Array(bytes)], name, { type });
  const data = new DataTransfer();
  data.items.add(file);
  if (kind === "paste") {
    document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
    return;
  }
  const target = document.querySelector(".filepond--drop-label");
  const box = target.getBoundingClientRect();
  const at = { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
  for (const type of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(
      new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true, ...at }),
    );
  }
}
"""


def test_files_can_be_dropped_and_pasted(upload_page: UploadPage) -> None:
    page = upload_page.page
    page.evaluate(
        ADD_BY_EVENT,
        {
            "kind": "drop",
            "name": "dropped.pdf",
            "type": "application/pdf",
            "bytes": list(pdf_bytes()),
        },
    )
    page.evaluate(
        ADD_BY_EVENT,
        {
            "kind": "paste",
            "name": "pasted.png",
            "type": "image/png",
            "bytes": list(png_bytes(60, 40)),
        },
    )
    upload_page.wait_uploaded(["dropped.pdf", "pasted.png"])
    assert len(upload_page.submit()) == 2


def test_the_page_fits_a_phone_and_works_from_the_keyboard(
    page: Page, local_stack: RunningStack
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    UploadPage(page, local_stack.web_url).open()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the upload form")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".filepond--browser")).to_be_focused()
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('.filepond--panel-root')).outlineStyle"
    )
    assert outline == "solid"  # the drop area shows keyboard focus

    toggle = page.get_by_role("button", name="Administration")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("API key")).to_be_focused()
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input:not([type=hidden]), textarea, button")]
            .filter((el) => el.labels?.length === 0 && !el.getAttribute("aria-label")
                && !el.textContent.trim())
            .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []
    browse_labels = page.locator(".filepond--browser").evaluate(
        "(el) => [...el.labels].map((label) => label.textContent.trim())"
    )
    assert "Files" in browse_labels
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


def test_an_expired_upload_link_is_explained(
    page: Page, local_stack_factory: StackFactory, watch: PageWatch, tmp_path: Path
) -> None:
    stack = local_stack_factory({"SignedUrlExpiration": "1"})
    watch.allow(r"status of 403")
    upload_page = UploadPage(page, stack.web_url).open()

    def hold_put(route: Route) -> None:
        time.sleep(2.5)  # the link lives one second
        route.continue_()

    page.route(lambda url: url.startswith(stack.s3_url), hold_put)
    image = tmp_path / "late.png"
    image.write_bytes(png_bytes(40, 30))
    upload_page.add_files([image])

    expect(upload_page.item_state(image.name)).to_have_attribute(
        "data-filepond-item-state", "processing-error", timeout=20_000
    )
    expect(upload_page.item(image.name)).to_contain_text("Link expired")
    expect(page.locator("#upload-problems")).to_have_text(
        f"{image.name}: The upload link expired before the upload started. Please try again."
    )
