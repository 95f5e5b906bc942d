// The upload page: FilePond with Filestore's adapter (filepond-server.js), plus the form around it.
import { FILE_SIZE_BASE, FilestoreApi, formatBytes } from "./api.js";
import { setupAdmin } from "./admin.js";
import { createFilestoreServer, guessType } from "./filepond-server.js";
import { createResumeStore } from "./resume.js";

const { FilePond } = window;

/**
 * A FilePond plugin refusing a file whose name is longer than `maxNameLength` (GET /config's
 * `max_name_length`, counted in code points as the API counts), the way FilePond's size and
 * type plugins refuse a file: before any request, with a short reason on the item.
 */
export function nameLengthPlugin(maxNameLength) {
  return ({ addFilter }) => {
    addFilter(
      "LOAD_FILE",
      (file) =>
        new Promise((resolve, reject) => {
          const length = [...(file.name || "")].length;
          if (length <= maxNameLength) {
            resolve(file);
          } else {
            reject({
              status: { main: "Name too long", sub: `At most ${maxNameLength} characters` },
            });
          }
        }),
    );
    return { options: {} };
  };
}

/** The allowed types as FilePond's acceptedFileTypes: an empty list (any type) for `*`. */
export function acceptedTypes(allowedTypes) {
  const list = Array.isArray(allowedTypes)
    ? allowedTypes
    : String(allowedTypes || "*").split(",");
  const types = list.map((type) => type.trim()).filter(Boolean);
  return types.includes("*") || types.includes("*/*") ? [] : types;
}

function describeTypes(types) {
  if (types.length === 0) return "any type";
  const names = types.map((type) => {
    if (type === "application/pdf") return "PDF";
    if (type.endsWith("/*")) return `${type.slice(0, -2)} files`;
    return type;
  });
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

function announce(message) {
  document.getElementById("status").textContent = message;
}

function showFatal(message) {
  const banner = document.getElementById("page-error");
  banner.textContent = message;
  banner.hidden = false;
}

function renderLimits(config, types) {
  document.getElementById("limits").textContent =
    `Up to ${formatBytes(config.max_file_size)} per file · ${describeTypes(types)}`;
  const mode = document.getElementById("mode-note");
  if (config.store_on_upload) {
    mode.textContent = "Files are kept as soon as their upload completes.";
  } else {
    mode.textContent =
      "Files are kept only once they are stored after you submit: uploads that are never " +
      "stored are removed automatically.";
    mode.classList.add("note--warning");
  }
}

/** The full error of each failed upload, under the drop area (FilePond's status is one line). */
function createProblemList(list) {
  const problems = new Map(); // File -> message
  const render = () => {
    list.replaceChildren(
      ...[...problems].map(([file, message]) => {
        const li = document.createElement("li");
        const name = document.createElement("strong");
        name.textContent = file.name; // user-controlled: text, never HTML
        li.append(name, `: ${message}`);
        return li;
      }),
    );
    list.hidden = problems.size === 0;
  };
  return {
    add(file, message) {
      problems.set(file, message);
      render();
    },
    has: (file) => problems.has(file),
    remove(file) {
      if (problems.delete(file)) render();
    },
  };
}

function finishedIds(pond) {
  return pond
    .getFiles()
    .filter((item) => item.status === FilePond.FileStatus.PROCESSING_COMPLETE)
    .map((item) => item.serverId);
}

const busyStatuses = () => [
  FilePond.FileStatus.PROCESSING,
  FilePond.FileStatus.PROCESSING_QUEUED,
  FilePond.FileStatus.LOADING,
  FilePond.FileStatus.IDLE,
];

/**
 * The form's submit: the finished ids go into the hidden field and the "ready to send" box. Once
 * shown, the box keeps in step with the uploads (a removed file leaves it, a finished one joins
 * it) without waiting for another submit.
 */
function setupForm(form, pond) {
  const hidden = document.getElementById("file-ids");
  const list = document.getElementById("submitted-ids");
  const result = document.getElementById("submit-result");
  const heading = document.getElementById("submit-heading");

  const render = () => {
    const busy = pond.getFiles().some((item) => busyStatuses().includes(item.status));
    const ids = finishedIds(pond);
    hidden.value = ids.join(",");
    list.replaceChildren(
      ...ids.map((id) => {
        const li = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = id;
        li.append(code);
        return li;
      }),
    );
    if (ids.length === 0) {
      heading.textContent = busy ? "Uploads still in progress" : "No finished uploads yet";
    } else {
      heading.textContent = `${ids.length} file${ids.length === 1 ? "" : "s"} ready to send`;
    }
    return { ids, busy };
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { ids, busy } = render();
    result.hidden = false;
    const waiting = busy ? " Some uploads are still in progress: submit again when they finish." : "";
    announce(`${heading.textContent}.${waiting}`);
    form.dispatchEvent(new CustomEvent("filestore:submit", { detail: { ids } }));
  });

  const refresh = () => {
    if (!result.hidden) render();
  };
  for (const name of ["processfile", "processfilerevert", "processfileabort", "removefile"]) {
    pond.on(name, refresh);
  }
}

async function main() {
  const apiUrl = window.FILESTORE_CONFIG?.apiUrl;
  if (!FilePond) {
    showFatal("The upload component failed to load. Run the web build (make setup).");
    return;
  }
  if (!apiUrl) {
    showFatal("This page is not configured: config.js must set window.FILESTORE_CONFIG.apiUrl.");
    return;
  }
  const api = new FilestoreApi(apiUrl);
  let config;
  try {
    config = await api.getConfig();
  } catch (err) {
    showFatal(`Uploads are unavailable: ${err.message}`);
    return;
  }
  const types = acceptedTypes(config.allowed_types);
  renderLimits(config, types);

  FilePond.registerPlugin(
    window.FilePondPluginFileValidateSize,
    window.FilePondPluginFileValidateType,
    window.FilePondPluginImagePreview,
    nameLengthPlugin(config.max_name_length),
  );

  const problems = createProblemList(document.getElementById("upload-problems"));
  const server = createFilestoreServer(api, {
    // Files from this size up go in parts, resumable: an API without multipart sends none.
    multipartThreshold: config.multipart_threshold ?? Infinity,
    resumeStore: createResumeStore(api.apiUrl),
    // AllowedTypes is not "*": the server checks each upload's first bytes before it is done.
    checksContent: types.length > 0,
    // A retry clears the file's old problem; done here, not on FilePond's processfilestart
    // event, which can arrive after a fast refusal and would wipe its message.
    onStarted: (file) => problems.remove(file),
    onFailed: (file, message) => {
      problems.add(file, message);
      announce(`${file.name}: ${message}`);
    },
    // FilePond calls the item idle (and fires processfilerevert) as soon as a revert starts, so
    // the page says "removed" only once the API has said so, and why not when it has not.
    onRemoved: (id) => {
      const item = itemByServerId(id);
      if (item) {
        problems.remove(item.file);
        announce(`${item.filename} removed.`);
      }
    },
    onRevertFailed: (id, message) => {
      const item = itemByServerId(id);
      if (item) {
        problems.add(item.file, message);
        announce(`${item.filename}: ${message}`);
      }
    },
  });
  // Set once FilePond is created below; the callbacks above run only after that.
  let pond = null;
  const itemByServerId = (id) => pond?.getFiles().find((item) => item.serverId === id);
  const form = document.getElementById("upload-form");
  const input = document.getElementById("files");
  pond = FilePond.create(input, {
    name: "file_id",
    allowMultiple: true,
    allowPaste: true,
    allowDrop: true,
    allowBrowse: true,
    allowRevert: true,
    forceRevert: true, // a revert that fails keeps the item (and its retry), never drops it
    instantUpload: true,
    credits: false,
    maxParallelUploads: 3,
    maxFileSize: config.max_file_size,
    minFileSize: 1, // the API refuses empty files: say so before any request
    fileSizeBase: FILE_SIZE_BASE,
    acceptedFileTypes: types,
    fileValidateTypeDetectType: (file, type) => Promise.resolve(type || guessType(file)),
    imagePreviewMaxHeight: 220,
    server: { process: server.process, revert: server.revert },
    labelIdle:
      'Drag &amp; drop files, paste, or <span class="filepond--label-action">browse</span>',
    labelMaxFileSizeExceeded: "File too large",
    labelMaxFileSize: "Max. {filesize}",
    labelMinFileSizeExceeded: "File is empty",
    labelMinFileSize: "Nothing to upload",
    labelFileTypeNotAllowed: "Type not allowed",
    fileValidateTypeLabelExpectedTypes: `Allowed: ${describeTypes(types)}`,
    labelFileProcessingError: (err) => (err && err.body) || "Upload failed",
    labelFileProcessingRevertError: server.revertErrorLabel,
    labelTapToCancel: "click to cancel",
    labelTapToRetry: "click to retry",
    labelTapToUndo: "click to remove",
  });

  // FilePond replaces the input: point the form's "Files" label at its browse input (which
  // gets its id once FilePond has rendered).
  pond.on("init", () => {
    const browse = pond.element.querySelector(".filepond--browser");
    if (browse?.id) document.querySelector('label[for="files"]').htmlFor = browse.id;
  });

  pond.on("processfile", (err, item) => {
    if (!err) announce(`${item.filename} uploaded.`);
  });
  pond.on("processfileabort", (item) => announce(`Upload of ${item.filename} cancelled.`));
  pond.on("error", (err, item) => {
    // Failed uploads were announced in full by onFailed; this covers files refused in the page.
    if (item && !problems.has(item.file)) {
      announce(`${item.filename}: ${err.main || ""} ${err.sub || ""}`.trim());
    }
  });
  pond.on("removefile", (err, item) => {
    problems.remove(item.file);
    server.discard(item.file); // a failed multipart upload the user gave up on: abort it
  });

  setupForm(form, pond);
  setupAdmin({
    api,
    getFinishedIds: () => finishedIds(pond),
    maxBatchSize: config.max_batch_size,
  });

  document.body.dataset.ready = "true";
}

main();
