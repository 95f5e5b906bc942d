// The admin panel: list, store, download and delete files with an API key held in memory only.
import { FilestoreError, formatBytes, formatExactBytes } from "./api.js";

const ID_PATTERN = /^[0-9a-f]{32}$/;

/** The ids typed in the textarea: split on whitespace or commas, duplicates dropped, order kept. */
export function parseIds(text) {
  return [...new Set(String(text).toLowerCase().split(/[\s,;]+/).filter(Boolean))];
}

/** The size cell: the page's one human format, the exact byte count in its tooltip. */
function sizeCell(bytes) {
  if (typeof bytes !== "number") return cell("—", { className: "admin-size", label: "Size" });
  const td = cell(formatBytes(bytes), { className: "admin-size", label: "Size" });
  td.title = formatExactBytes(bytes);
  return td;
}

/** A table cell showing `text` (always as text, never HTML: names come from uploaders). */
function cell(text, { className = "", label = "" } = {}) {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (label) td.dataset.label = label; // shown before the value when rows stack on phones
  td.textContent = text;
  return td;
}

/** The link's URL when it is a web address (http/https); anything else is never made a link. */
function safeDownloadUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : "";
  } catch {
    return "";
  }
}

/** The admin panel; `maxBatchSize` is GET /config's `max_batch_size` (ids per request). */
export function setupAdmin({ api, getFinishedIds, maxBatchSize }) {
  const toggle = document.getElementById("admin-toggle");
  const panel = document.getElementById("admin-panel");
  const form = document.getElementById("admin-form");
  const keyInput = document.getElementById("api-key");
  const idsInput = document.getElementById("admin-ids");
  const fillButton = document.getElementById("admin-fill");
  const table = document.getElementById("admin-table");
  const tbody = table.querySelector("tbody");
  const status = document.getElementById("admin-status");
  const selectAll = document.getElementById("admin-select-all");
  const storeButton = document.getElementById("admin-store");
  const deleteButton = document.getElementById("admin-delete");
  document.getElementById("admin-max-ids").textContent = String(maxBatchSize);

  let apiKey = ""; // In memory only: never written to storage, cookies, URLs or logs.
  let listedIds = [];

  const say = (message, kind = "info") => {
    status.textContent = message;
    status.dataset.kind = kind;
  };

  const fillIds = () => {
    const ids = getFinishedIds();
    if (ids.length > 0) idsInput.value = ids.join("\n");
  };

  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
    if (open) {
      if (!idsInput.value.trim()) fillIds();
      keyInput.focus();
    }
  });
  fillButton.addEventListener("click", () => {
    fillIds();
    idsInput.focus();
  });

  const readKey = () => {
    apiKey = keyInput.value.trim();
    if (!apiKey) throw new FilestoreError("Enter the API key first.");
  };

  const readInputs = () => {
    readKey();
    const ids = parseIds(idsInput.value);
    if (ids.length === 0) throw new FilestoreError("Enter at least one file id.");
    if (ids.length > maxBatchSize) {
      throw new FilestoreError(`At most ${maxBatchSize} ids at a time.`);
    }
    const bad = ids.filter((id) => !ID_PATTERN.test(id));
    if (bad.length > 0) {
      throw new FilestoreError(`Not a file id (32 hex characters): ${bad.slice(0, 3).join(", ")}`);
    }
    return ids;
  };

  const selectedIds = () =>
    [...tbody.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);

  const updateActions = () => {
    const count = selectedIds().length;
    storeButton.disabled = count === 0;
    deleteButton.disabled = count === 0;
    selectAll.checked = count > 0 && count === listedIds.length;
    selectAll.indeterminate = count > 0 && count < listedIds.length;
  };

  const render = (files) => {
    const keepSelected = new Set(selectedIds());
    listedIds = files.map((file) => file.id);
    tbody.replaceChildren(
      ...files.map((file) => {
        const row = document.createElement("tr");
        row.dataset.id = file.id;
        const pick = document.createElement("td");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = file.id;
        box.checked = keepSelected.has(file.id);
        box.setAttribute("aria-label", `Select ${file.name}`);
        box.addEventListener("change", updateActions);
        pick.append(box);

        const name = cell(file.name, { className: "admin-name" });
        const id = document.createElement("code");
        id.textContent = file.id;
        name.append(document.createElement("br"), id);

        const state = cell(file.status + (file.expired ? " (expired)" : ""));
        const badge = document.createElement("span");
        badge.className = `badge badge--${file.status}`;
        badge.textContent = state.textContent;
        state.replaceChildren(badge);
        if (file.rejected) {
          // Why the content check removed it (server text: set as text, never HTML).
          const reason = document.createElement("small");
          reason.className = "admin-rejected";
          reason.textContent = `Rejected: ${file.rejected}`;
          state.append(document.createElement("br"), reason);
        }
        state.dataset.label = "Status";

        const download = document.createElement("td");
        download.className = "admin-download";
        const url = safeDownloadUrl(file.url);
        if (url) {
          const link = document.createElement("a");
          link.href = url;
          link.textContent = "Download";
          link.rel = "noopener noreferrer";
          // S3 answers with Content-Disposition: attachment; `download` says so for same-origin URLs.
          link.download = file.name;
          link.setAttribute("aria-label", `Download ${file.name}`);
          download.append(link);
        } else {
          download.textContent = "—";
          download.dataset.empty = "true";
        }
        const size = sizeCell(file.size);
        const type = cell(file.type || "—", { className: "admin-type", label: "Type" });
        row.append(pick, name, state, size, type, download);
        return row;
      }),
    );
    table.hidden = files.length === 0;
    document.getElementById("admin-actions").hidden = files.length === 0;
    updateActions();
  };

  const list = async (ids) => {
    const files = await api.describeFiles(ids, apiKey);
    render(files);
    return files;
  };

  // One request at a time. Busy buttons are aria-disabled, not disabled: a disabled button drops
  // the keyboard focus to the page's start, and the user would lose their place.
  let busy = false;
  const run = async (button, action) => {
    if (busy) return;
    busy = true;
    button.setAttribute("aria-disabled", "true");
    panel.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (err) {
      say(err instanceof FilestoreError ? err.message : `Request failed: ${err.message}`, "error");
    } finally {
      busy = false;
      button.removeAttribute("aria-disabled");
      panel.removeAttribute("aria-busy");
      updateActions();
    }
  };

  const describeOutcome = (verb, outcome) => {
    const done = outcome.result?.length ?? 0;
    const problems = Object.entries(outcome.problems ?? {});
    const parts = [`${verb} ${done} file${done === 1 ? "" : "s"}.`];
    if (problems.length > 0) {
      parts.push(`Not done: ${problems.map(([id, why]) => `${id.slice(0, 8)}… ${why}`).join("; ")}.`);
    }
    return { message: parts.join(" "), kind: problems.length > 0 ? "warning" : "success" };
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(form.querySelector("button[type=submit]"), async () => {
      const ids = readInputs();
      const files = await list(ids);
      const missing = ids.length - files.length;
      say(
        `${files.length} file${files.length === 1 ? "" : "s"} found` +
          (missing > 0 ? `, ${missing} unknown id${missing === 1 ? "" : "s"}.` : "."),
        files.length > 0 ? "success" : "warning",
      );
    });
  });

  selectAll.addEventListener("change", () => {
    for (const box of tbody.querySelectorAll("input[type=checkbox]")) box.checked = selectAll.checked;
    updateActions();
  });

  const bulk = (button, verb, call) =>
    button.addEventListener("click", () =>
      run(button, async () => {
        const ids = selectedIds();
        readKey();
        const outcome = await call(ids, apiKey);
        await list(listedIds);
        const { message, kind } = describeOutcome(verb, outcome);
        say(message, kind);
      }),
    );
  bulk(storeButton, "Stored", (ids, key) => api.storeFiles(ids, key));
  bulk(deleteButton, "Deleted", (ids, key) => api.deleteFiles(ids, key));
}
