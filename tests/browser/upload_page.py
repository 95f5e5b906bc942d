"""Page object for the Filestore upload page: what a user does, in FilePond's and the page's DOM."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

UPLOAD_TIMEOUT_MS = 30_000
ITEM_STATE = "data-filepond-item-state"


class UploadPage:
    """The upload form (FilePond) and the admin panel of the page served at `web_url`."""

    def __init__(self, page: Page, web_url: str) -> None:
        self.page = page
        self.web_url = web_url.rstrip("/") + "/"

    def open(self) -> UploadPage:
        self.page.goto(self.web_url)
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")
        return self

    # ---- uploads ------------------------------------------------------------------------------
    def add_files(self, paths: Sequence[Path]) -> None:
        """Pick files as the browse button would."""
        self.page.set_input_files(".filepond--browser", [str(path) for path in paths])

    def add_file_for_id(self, path: Path) -> str:
        """Add one file and return the id its POST /file was given."""
        with self.page.expect_response(
            lambda response: response.url.endswith("/file") and response.request.method == "POST"
        ) as created:
            self.add_files([path])
        file_id: str = created.value.json()["id"]
        return file_id

    def item(self, name: str) -> Locator:
        """FilePond's entry for the file called `name`."""
        return self.page.locator(".filepond--item").filter(
            has=self.page.locator(".filepond--file-info-main", has_text=name)
        )

    def revert_button(self, name: str) -> Locator:
        """The button removing the finished upload `name` (its revert, a retry after a failure).

        Its accessible name is "Remove", as is the button dropping an unsent item, which FilePond
        keeps in the DOM while it fades: this names the revert button by its class."""
        return self.item(name).locator(".filepond--action-revert-item-processing")

    def item_state(self, name: str) -> Locator:
        """The element carrying FilePond's state for the file called `name` (its list item)."""
        return self.item(name)

    def wait_uploaded(self, names: Sequence[str]) -> None:
        for name in names:
            expect(self.item_state(name)).to_have_attribute(
                ITEM_STATE, "processing-complete", timeout=UPLOAD_TIMEOUT_MS
            )

    def expect_item(
        self, name: str, state: str, *status_texts: str, timeout: float | None = None
    ) -> None:
        """FilePond's entry for `name` reaches `state` (within `timeout` ms, else expect's
        default); its status line shows each of the texts."""
        expect(self.item_state(name)).to_have_attribute(ITEM_STATE, state, timeout=timeout)
        status = self.item(name).locator(".filepond--file-status")
        for text in status_texts:
            expect(status).to_contain_text(text)

    def item_status_text(self, name: str) -> str:
        return self.item(name).locator(".filepond--file-status").inner_text()

    def submit(self) -> list[str]:
        """Submit the form; return the ids it shows for the finished uploads."""
        self.page.get_by_role("button", name="Submit").click()
        expect(self.page.locator("#submit-result")).to_be_visible()
        return self.page.locator("#submitted-ids code").all_inner_texts()

    def hidden_ids(self) -> list[str]:
        value = self.page.locator("#file-ids").input_value()
        return [part for part in value.split(",") if part]

    # ---- admin panel --------------------------------------------------------------------------
    def open_admin(self, api_key: str) -> None:
        self.page.get_by_role("button", name="Administration").click()
        self.page.get_by_label("API key").fill(api_key)

    def list_files(self, ids: Sequence[str] | None = None) -> None:
        if ids is not None:
            self.page.get_by_label("File ids").fill("\n".join(ids))
        self.page.get_by_role("button", name="List files").click()
        expect(self.page.locator("#admin-status")).to_contain_text("found")

    def admin_row(self, file_id: str) -> Locator:
        return self.page.locator(f'#admin-table tbody tr[data-id="{file_id}"]')

    # ---- files made in the page -----------------------------------------------------------------
    def add_made_file(
        self,
        name: str,
        mime_type: str,
        *,
        text: str | None = None,
        size: int = 0,
        declared_size: int | None = None,
        page_type_check: bool = True,
    ) -> None:
        """Hand FilePond a file made in the page, as a drop would: ``text``, or ``size`` bytes.

        ``declared_size`` makes the file claim another size than it has, and
        ``page_type_check=False`` turns off the page's type check, so a test can push a file
        past the page's own refusals to meet the API's or S3's.
        """
        self.page.evaluate(
            ADD_MADE_FILE,
            {
                "name": name,
                "type": mime_type,
                "text": text,
                "size": size,
                "declaredSize": declared_size,
                "typeCheck": page_type_check,
            },
        )


# FilePond's own API: the instance on the page's root element, given a File as a drop gives it.
ADD_MADE_FILE = """
async ({ name, type, text, size, declaredSize, typeCheck }) => {
  const pond = FilePond.find(document.querySelector(".filepond--root"));
  pond.setOptions({ allowFileTypeValidation: typeCheck });
  const parts = text === null ? [new Uint8Array(size).fill(137)] : [text];
  const file = new File(parts, name, { type });
  if (declaredSize !== null) Object.defineProperty(file, "size", { value: declaredSize });
  // addFile's promise rejects for a file FilePond refuses; the item shows why, so tests look there.
  await pond.addFile(file).catch(() => {});
}
"""
