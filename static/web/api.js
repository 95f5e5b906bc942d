// Filestore's HTTP clients for the page: the API (fetch) and the presigned S3 PUT (XHR, for progress).

/**
 * An error whose message is ready to show to the user; `summary` says the same in a few words
 * (what FilePond's one-line status has room for); `code` is the API's stable error code (README,
 * "Error codes") or, for an upload, S3's.
 */
export class FilestoreError extends Error {
  constructor(message, { status = 0, code = "", summary = "Upload failed", retryable } = {}) {
    super(message);
    this.name = "FilestoreError";
    this.status = status;
    this.code = code;
    this.summary = summary;
    // Whether the same request may succeed if sent again: a network failure, throttling, a
    // server's trouble, an expired link (signed afresh) or a body damaged on the way.
    this.retryable = retryable ?? isTransientStatus(status);
  }
}

/** Statuses worth another attempt: none at all (the network), a timeout, throttling, 5xx. */
function isTransientStatus(status) {
  return status === 0 || status === 408 || status === 429 || status >= 500;
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
   * max_batch_size, multipart_threshold, part_size.
   */
  getConfig() {
    return this.request("GET", "/config");
  }

  /**
   * POST /file: one file's upload. `upload` in the answer says which: "single" (id, url,
   * headers, revert_token...) or "multipart" (id, part_size, part_count, revert_token, no url).
   * `checksumSha256` (base64 SHA-256 of the whole file, single uploads only) is signed into the URL.
   */
  createFile({ name, size, type, checksumSha256 }, signal) {
    const body = { name, size };
    if (type) body.type = type;
    if (checksumSha256) body.checksum_sha256 = checksumSha256;
    return this.request("POST", "/file", { body, signal });
  }

  /**
   * POST /file/{id}/parts: a presigned PUT for each of `parts` ([{number, checksum_sha256}]),
   * each signing its part's length and checksum: {parts: [{number, url, method, headers}]}.
   */
  signParts(id, revertToken, parts, signal) {
    return this.request("POST", `/file/${encodeURIComponent(id)}/parts`, {
      body: { parts },
      headers: { "X-Revert-Token": revertToken },
      signal,
    });
  }

  /** GET /file/{id}/parts: the parts S3 holds, {parts: [{number, size, checksum_sha256}]}. */
  listParts(id, revertToken, signal) {
    return this.request("GET", `/file/${encodeURIComponent(id)}/parts`, {
      headers: { "X-Revert-Token": revertToken },
      signal,
    });
  }

  /** POST /file/{id}/complete: S3 assembles the parts; {id, status}. Completing twice is fine. */
  completeUpload(id, revertToken, signal) {
    return this.request("POST", `/file/${encodeURIComponent(id)}/complete`, {
      headers: { "X-Revert-Token": revertToken },
      signal,
    });
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
 * Turns an S3 PUT failure into `{ summary, message, retryable? }`: a few words, a sentence that
 * says what went wrong and, when the status alone does not tell, whether sending again may help.
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
      retryable: true,
    };
  }
  if (code === "BadDigest" || code === "InvalidDigest") {
    return {
      summary: "Checksum mismatch",
      message:
        "Storage refused the file: its bytes do not match the checksum computed before sending " +
        "(the file changed on disk, or was damaged on the way). Please try again.",
      retryable: true,
    };
  }
  if (code === "NoSuchUpload") {
    return {
      summary: "Upload expired",
      message: "Storage no longer knows this upload (it expired or was removed). Please try again.",
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
    // S3's 400 for a body that arrived too slowly: sending it again is what S3 asks for.
    retryable: code === "RequestTimeout" ? true : undefined,
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
        const { summary, message, retryable } = describeStorageError(xhr.status, xhr.responseText);
        reject(new FilestoreError(message, { status: xhr.status, code, summary, retryable }));
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
