// Filestore's HTTP clients for the page: the API (fetch) and the presigned S3 PUT (XHR, for progress).

/**
 * An error whose message is ready to show to the user; `summary` says the same in a few words
 * (what FilePond's one-line status has room for); `code` is the API's stable error code (README,
 * "Error codes") or, for an upload, S3's.
 */
export class FilestoreError extends Error {
  constructor(message, { status = 0, code = "", summary = "Upload failed" } = {}) {
    super(message);
    this.name = "FilestoreError";
    this.status = status;
    this.code = code;
    this.summary = summary;
  }
}

/** Bytes in a kilobyte, for the page's and FilePond's size labels ("100 MB" = 104857600). */
export const FILE_SIZE_BASE = 1024;

/**
 * "100 MB", "976 KB": the same units, base and rounding as FilePond's own size labels. The one
 * size format of the page: the drop area's limit and the admin table's sizes.
 */
export function formatBytes(bytes) {
  const kb = FILE_SIZE_BASE;
  const mb = kb * kb;
  const gb = mb * kb;
  const trim = (value, digits) => value.toFixed(digits).replace(/\.0+$/, "");
  const n = Math.round(Math.abs(Number(bytes)));
  if (n < kb) return n === 1 ? "1 byte" : `${n} bytes`;
  if (n < mb) return `${Math.floor(n / kb)} KB`;
  if (n < gb) return `${trim(n / mb, 1)} MB`;
  return `${trim(n / gb, 2)} GB`;
}

/** "1,234,567 bytes": the exact count, for a tooltip beside `formatBytes`'s rounded one. */
export function formatExactBytes(bytes) {
  const n = Math.round(Math.abs(Number(bytes)));
  return `${new Intl.NumberFormat("en-US").format(n)} byte${n === 1 ? "" : "s"}`;
}

const NETWORK_MESSAGE = "Network error: the server could not be reached. Check your connection and try again.";

/** Reads `{"message", "code"}` from an API error response; empty strings for what it lacks. */
async function readApiError(response) {
  try {
    const body = await response.json();
    const text = (value) => (typeof value === "string" ? value : "");
    return { message: text(body && body.message), code: text(body && body.code) };
  } catch {
    // Not JSON (a proxy or gateway page): the status is all we know.
    return { message: "", code: "" };
  }
}

/**
 * The sentence to show for an API refusal. Branches on the stable `code` (README, "Error
 * codes"), never on the wording of `message`, which may change.
 */
function apiErrorMessage(response, { message, code }) {
  if (code === "Forbidden" || (response.status === 403 && message === "")) {
    return "Access denied (403): the API key or token is missing or wrong.";
  }
  if (code === "Throttled" || code === "QuotaExceeded" || response.status === 429) {
    return "Too many requests: please wait a moment and try again.";
  }
  const text = message || response.statusText || "unexpected response";
  // The API's messages start in lower case ("type 'text/plain' is not allowed..."): make a sentence.
  return `${text.charAt(0).toUpperCase()}${text.slice(1)} (HTTP ${response.status})`;
}

/** A few words for an API refusal, by its code (the message itself says the rest). */
const API_ERROR_SUMMARIES = {
  TypeNotAllowed: "Type not allowed",
  FileTooLarge: "File too large",
  Throttled: "Too many requests",
  QuotaExceeded: "Too many requests",
};

function apiErrorSummary(status, code) {
  if (Object.hasOwn(API_ERROR_SUMMARIES, code)) return API_ERROR_SUMMARIES[code];
  if (status === 403) return "Access denied";
  if (status === 429) return "Too many requests";
  return "Upload failed";
}

/** The Filestore API rooted at `apiUrl` (stage included, e.g. http://127.0.0.1:3000/dev). */
export class FilestoreApi {
  constructor(apiUrl) {
    this.apiUrl = String(apiUrl).replace(/\/+$/, "");
  }

  async request(method, path, { body, headers = {}, signal } = {}) {
    const init = { method, headers: { ...headers }, signal, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.apiUrl + path, init);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new FilestoreError(NETWORK_MESSAGE, { summary: "Network error" });
    }
    if (!response.ok) {
      const refusal = await readApiError(response);
      const message = apiErrorMessage(response, refusal);
      const summary = apiErrorSummary(response.status, refusal.code);
      throw new FilestoreError(message, { status: response.status, code: refusal.code, summary });
    }
    return response.json();
  }

  /**
   * GET /config: max_file_size, allowed_types, store_on_upload, url_expiration, max_name_length,
   * max_batch_size.
   */
  getConfig() {
    return this.request("GET", "/config");
  }

  /** POST /file: a presigned upload for one file (id, url, headers, revert_token...). */
  createFile({ name, size, type }, signal) {
    const body = { name, size };
    if (type) body.type = type;
    return this.request("POST", "/file", { body, signal });
  }

  /** DELETE /file/{id} with the revert token handed out by POST /file. */
  revertFile(id, revertToken) {
    return this.request("DELETE", `/file/${encodeURIComponent(id)}`, {
      headers: { "X-Revert-Token": revertToken },
    });
  }

  /** GET /file/{id} with the revert token: `{ id, status, rejected }` of the uploader's file. */
  getFileStatus(id, revertToken, signal) {
    return this.request("GET", `/file/${encodeURIComponent(id)}`, {
      headers: { "X-Revert-Token": revertToken },
      signal,
    });
  }

  /** POST /files?deleted=yes&nonstored=yes: every known id, whatever its status. */
  describeFiles(ids, apiKey) {
    return this.request("POST", "/files?deleted=yes&nonstored=yes", {
      body: ids,
      headers: { "x-api-key": apiKey },
    });
  }

  /** PUT /files: mark uploaded files stored. */
  storeFiles(ids, apiKey) {
    return this.request("PUT", "/files", { body: ids, headers: { "x-api-key": apiKey } });
  }

  /** DELETE /files: remove objects, records keep deleted_at. */
  deleteFiles(ids, apiKey) {
    return this.request("DELETE", "/files", { body: ids, headers: { "x-api-key": apiKey } });
  }
}

const XML_ENTITIES = { "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&" };

/**
 * Reads S3's XML error body (`<Error><Code/><Message/></Error>`); empty strings when absent.
 * Not DOMParser: on an empty or non-XML body (a network error, a proxy's HTML page) it builds a
 * <parsererror> element with an inline style, which the page's CSP reports as a violation.
 */
export function parseS3Error(text) {
  const field = (name) => {
    const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(String(text || ""));
    return match ? match[1].replace(/&(lt|gt|quot|apos|amp);/g, (e) => XML_ENTITIES[e]) : "";
  };
  return { code: field("Code"), message: field("Message") };
}

/**
 * Turns an S3 PUT failure into `{ summary, message }`: a few words, and a sentence that says what
 * went wrong.
 */
export function describeStorageError(status, responseText) {
  const { code, message } = parseS3Error(responseText);
  if (status === 0) {
    return {
      summary: "Network error",
      message: "Network error: the upload to storage failed. Check your connection and try again.",
    };
  }
  if (code === "AccessDenied" && /expired/i.test(message)) {
    return {
      summary: "Link expired",
      message: "The upload link expired before the upload started. Please try again.",
    };
  }
  if (code === "SignatureDoesNotMatch") {
    return {
      summary: "Refused by storage",
      message: "Storage refused the file: its size or type differs from what was announced.",
    };
  }
  if (code === "EntityTooLarge" || status === 413) {
    return { summary: "File too large", message: "Storage refused the file: it is too large." };
  }
  if (code === "PreconditionFailed" || status === 412) {
    return {
      summary: "Already uploaded",
      message: "Storage refused the file: this upload link was already used.",
    };
  }
  const detail = [code, message].filter(Boolean).join(": ");
  return {
    summary: "Refused by storage",
    message: `Storage refused the file (HTTP ${status}${detail ? `, ${detail}` : ""}).`,
  };
}

/**
 * PUTs `file` to a presigned URL with exactly the signed headers (but Content-Length, which the
 * browser forbids scripts to set and sets itself from the body). Returns `{ promise, abort }`.
 */
export function putToStorage({ url, method = "PUT", headers = {} }, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open(method, url, true);
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === "content-length") continue;
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onProgress(event.lengthComputable, event.loaded, event.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else {
        const { code } = parseS3Error(xhr.responseText);
        const { summary, message } = describeStorageError(xhr.status, xhr.responseText);
        reject(new FilestoreError(message, { status: xhr.status, code, summary }));
      }
    };
    xhr.onerror = () => {
      const { summary, message } = describeStorageError(0, "");
      reject(new FilestoreError(message, { summary }));
    };
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}
