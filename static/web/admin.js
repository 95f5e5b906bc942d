// The admin panel: list, store, download and delete files with an API key held in memory only.
import { FilestoreError } from "./api.js";

const ID_PATTERN = /^[0-9a-f]{32}$/;
const MAX_IDS = 100;

/** The ids typed in the textarea: split on whitespace or commas, duplicates dropped, order kept. */
export function parseIds(text) {
  return [...new Set(String(text).toLowerCase().split(/[\s,;]+/).filter(Boolean))];
}

function formatSize(bytes) {
  if (typeof bytes !== "number") return "—";
  return new Intl.NumberFormat(undefined, { style: "unit", unit: "byte", unitDisplay: "long" })
    .format(bytes)
    .replace(/\bbytes?\b/, bytes === 1 ? "byte" : "bytes");
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

export function setupAdmin({ api, getFinishedIds }) {
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
    if (ids.length > MAX_IDS) throw new FilestoreError(`At most ${MAX_IDS} ids at a time.`);
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
    listedIds = files.map((file) => file.id);
    tbody.replaceChildren(
      ...files.map((file) => {
        const row = document.createElement("tr");
        row.dataset.id = file.id;
        const pick = document.createElement("td");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = file.id;
        box.setAttribute("aria-label", `Select ${file.name}`);
        box.addEventListener("change", updateActions);
        pick.append(box);

        const name = cell(file.name, "admin-name");
        const id = document.createElement("code");
        id.textContent = file.id;
        name.append(document.createElement("br"), id);

        const state = cell(file.status + (file.expired ? " (expired)" : ""));
        const badge = document.createElement("span");
        badge.className = `badge badge--${file.status}`;
        badge.textContent = state.textContent;
        state.replaceChildren(badge);
        state.dataset.label = "Status";

        const download = document.createElement("td");
        if (file.url) {
          const link = document.createElement("a");
          link.href = file.url;
          link.textContent = "Download";
          link.rel = "noopener noreferrer";
          link.setAttribute("aria-label", `Download ${file.name}`);
          download.append(link);
        } else {
          download.textContent = "—";
        }
        row.append(pick, name, state, cell(formatSize(file.size)), cell(file.type || "—"), download);
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

  const run = async (button, action) => {
    button.disabled = true;
    panel.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (err) {
      say(err instanceof FilestoreError ? err.message : `Request failed: ${err.message}`, "error");
    } finally {
      button.disabled = false;
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
