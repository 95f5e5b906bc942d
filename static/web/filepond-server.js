// FilePond's `server` option for Filestore: one presigned PUT for a small file, a resumable
// multipart upload (multipart.js) for a large one, and the revert of either.
import { FilestoreError, putToStorage } from "./api.js";
import { checkSavedUpload, sendMultipart, sha256Base64 } from "./multipart.js";

/** Mime types by extension, for files the browser gives no type (the server guesses the same way). */
const TYPES_BY_EXTENSION = {
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  heic: "image/heic",
  txt: "text/plain",
  csv: "text/csv",
  json: "application/json",
  zip: "application/zip",
  mp4: "video/mp4",
  mp3: "audio/mpeg",
};

export function guessType(file) {
  if (file.type) return file.type;
  const extension = (file.name || "").split(".").pop().toLowerCase();
  return TYPES_BY_EXTENSION[extension] || "application/octet-stream";
}

/** How long a POST /file cancelled in flight may still answer (to be reverted) before it is cut. */
export const CREATE_GRACE_MS = 2000;

/**
 * Where AllowedTypes is not `*`, the server checks each upload's first bytes when S3 reports it:
 * after a single PUT the page asks GET /file/{id} this often, for at most this long, before it
 * calls a file done. An answer still pending by then leaves the file shown as uploaded (the check
 * still runs). A multipart upload needs no polling: POST /file/{id}/complete runs the check.
 */
export const CONTENT_CHECK_POLL_MS = 250;
export const CONTENT_CHECK_WAIT_MS = 15000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The file's status once the server has handled its upload, or null if it has not in time. */
async function settledStatus(api, ticket, isCancelled) {
  const deadline = Date.now() + CONTENT_CHECK_WAIT_MS;
  while (!isCancelled()) {
    const current = await api.getFileStatus(ticket.id, ticket.revert_token);
    if (current.status !== "pending") return current;
    if (Date.now() >= deadline) return null;
    await sleep(CONTENT_CHECK_POLL_MS);
  }
  return null;
}

/** The failure of a file the content check refused, with the server's reason. */
function refusal(reason) {
  return new FilestoreError(`Refused: its ${reason}.`, {
    code: "Rejected",
    summary: "Content refused",
  });
}

const KEPT_FOR_RETRY = "The parts already sent are kept: retrying continues from there.";

/**
 * FilePond's `server` option for Filestore. `process` sends a file under `multipartThreshold`
 * bytes (GET /config's `multipart_threshold`) as one PUT signed with its SHA-256, and a larger
 * one as a multipart upload that `resumeStore` (resume.js) remembers until it completes, so
 * adding the same file again (a retry, a reload, a new tab) continues from the parts S3 holds.
 * `revert` (and any cancelled upload) deletes the object, or aborts the multipart upload, and
 * marks the record deleted with the file's revert token, kept in memory for small uploads.
 * With `checksContent` (AllowedTypes is not `*`) a file is done only once the server's content
 * check has passed it; a file it rejected fails with the server's reason.
 * `discard(file)` does the same for a failed multipart upload whose item the user removed.
 *
 * `onStarted(file)` runs as each attempt (a retry too) begins, before `onFailed` can run for it.
 * A revert from the page (FilePond's remove button) calls `onRemoved(id)` once the record is gone
 * or `onRevertFailed(id, message)` when it stays, before FilePond hears of either.
 */
export function createFilestoreServer(
  api,
  {
    multipartThreshold = Infinity,
    resumeStore,
    checksContent = false,
    onStarted = () => {},
    onReverted = () => {},
    onFailed = () => {},
    onRemoved = () => {},
    onRevertFailed = () => {},
  } = {},
) {
  const revertTokens = new Map(); // id -> revert token
  const failedUploads = new Map(); // File -> id of its failed multipart upload, kept for a retry
  const isLarge = (file) => Number.isFinite(multipartThreshold) && file.size >= multipartThreshold;

  async function revertById(id) {
    const token = revertTokens.get(id);
    if (!token) {
      throw new FilestoreError("This upload can no longer be removed from this page.", {
        summary: "Not removed",
      });
    }
    try {
      await api.revertFile(id, token);
    } catch (err) {
      // Branches on the API's stable codes (README, "Error codes"), never on the status alone.
      if (err.code === "FileNotFound") {
        // Unknown to the API: nothing left to remove.
      } else if (err.code === "AlreadyStored") {
        throw new FilestoreError(
          "Not removed: this file is already stored. Ask an administrator to delete it.",
          { status: err.status, code: err.code, summary: "Already stored" },
        );
      } else if (err instanceof FilestoreError) {
        const summary = err.summary === "Upload failed" ? "Not removed" : err.summary;
        throw new FilestoreError(`Not removed: ${err.message}`, {
          status: err.status,
          code: err.code,
          summary,
        });
      } else {
        throw err;
      }
    }
    revertTokens.delete(id);
    onReverted(id);
  }

  /**
   * The part numbers S3 holds of `saved`, the multipart upload an earlier attempt or visit kept
   * for `file`, or null when it cannot be continued: an upload that is gone or not this file's
   * is forgotten (and aborted when it still exists), and a new one starts.
   */
  async function resumableParts(file, saved, signal) {
    const found = await checkSavedUpload(api, file, saved, signal);
    if (found.state === "resumable") return found.held;
    resumeStore.forget(file);
    if (found.state === "differs") await revertById(saved.id).catch(() => {});
    revertTokens.delete(saved.id);
    return null;
  }

  function process(fieldName, file, metadata, load, error, progress, abort) {
    let cancelled = false;
    let upload = null; // the single PUT in flight
    let ticket = null; // the upload the API knows of: {id, revert_token, upload, ...}
    let graceTimer = 0;
    const creation = new AbortController(); // POST /file, cut a grace after a cancel
    const transfer = new AbortController(); // hashing, part signing, listing, the PUTs
    const large = isLarge(file);
    failedUploads.delete(file);
    onStarted(file);

    const cleanUp = () => {
      if (!ticket) return;
      if (ticket.upload === "multipart") resumeStore?.forget(file);
      revertById(ticket.id).catch(() => {});
    };

    (async () => {
      let held = new Set();
      const saved = large ? resumeStore?.get(file) : null;
      if (saved) {
        // Known from here on, so a cancel while its parts are checked still aborts it.
        ticket = { ...saved, upload: "multipart" };
        revertTokens.set(saved.id, saved.revert_token);
        held = await resumableParts(file, saved, transfer.signal);
        if (held === null) [ticket, held] = [null, new Set()];
      }
      if (cancelled) return undefined;
      if (!ticket) {
        const request = { name: file.name, size: file.size, type: guessType(file) };
        // A small file's SHA-256 is signed into its PUT, so S3 refuses any other bytes.
        if (!large) request.checksumSha256 = await sha256Base64(file);
        if (cancelled) return undefined;
        const created = await api.createFile(request, creation.signal);
        clearTimeout(graceTimer);
        ticket = created;
        revertTokens.set(created.id, created.revert_token);
        if (cancelled) return cleanUp();
        if (created.upload === "multipart") resumeStore?.save(file, created);
      }
      let settled = null; // {status, rejected} once the content check has run
      if (ticket.upload === "multipart") {
        const onProgress = (loaded, total) => progress(true, loaded, total);
        const { signal } = transfer;
        // Its answer is the content check's verdict: POST /file/{id}/complete runs it.
        settled = await sendMultipart({ api, file, upload: ticket, held, onProgress, signal });
        resumeStore?.forget(file);
      } else {
        upload = putToStorage(ticket, file, progress);
        await upload.promise;
        if (checksContent) settled = await settledStatus(api, ticket, () => cancelled);
      }
      if (settled?.rejected) throw refusal(settled.rejected);
      if (!cancelled) load(ticket.id);
    })().catch((err) => {
      if (cancelled) return;
      const known = err instanceof FilestoreError;
      let message = known ? err.message : `Upload failed: ${err.message || err}`;
      const refused = known && err.code === "Rejected"; // the content check removed it
      if (ticket?.upload === "multipart" && !refused) {
        // Kept (in resumeStore too): a retry, or adding the file again, sends only what is missing.
        failedUploads.set(file, ticket.id);
        message = `${message} ${KEPT_FOR_RETRY}`;
      } else {
        // A failed PUT leaves a pending record: revert it so a retry starts clean (a refused
        // file's record is deleted already, and a multipart one has nothing left to resume).
        cleanUp();
      }
      // FilePond's status has one short line: it gets the summary, the page shows the message.
      onFailed(file, message);
      error(known ? err.summary : "Upload failed");
    });

    return {
      abort: () => {
        cancelled = true;
        transfer.abort(); // every part in flight, its signing and any retry waiting
        if (upload) {
          upload.abort();
        } else if (!ticket) {
          // Cancelled during the POST: its answer carries the revert token that removes the
          // record it creates, so it gets a short grace to arrive before it is cut off too.
          graceTimer = setTimeout(() => creation.abort(), CREATE_GRACE_MS);
        }
        cleanUp();
        abort();
      },
    };
  }

  // FilePond (with forceRevert) keeps the item when `error` is called: its status shows the few
  // words (revertErrorLabel), its revert button offers a retry, and onRevertFailed the rest.
  function revert(id, load, error) {
    revertById(id).then(
      () => {
        onRemoved(id);
        load();
      },
      (err) => {
        const known = err instanceof FilestoreError;
        onRevertFailed(id, known ? err.message : `Not removed: ${err.message || err}`);
        lastRevertSummary = known ? err.summary : "Not removed";
        error(lastRevertSummary);
      },
    );
  }

  /** The user removed `file`'s item after its multipart upload failed: abort that upload. */
  function discard(file) {
    const id = failedUploads.get(file);
    if (!id) return;
    failedUploads.delete(file);
    resumeStore?.forget(file);
    revertById(id).catch(() => {});
  }

  // FilePond builds a failed revert's status inside `error` without handing the label the error:
  // this label (labelFileProcessingRevertError) reads the few words just given to `error`.
  let lastRevertSummary = "Not removed";
  const revertErrorLabel = () => lastRevertSummary;

  return { process, revert, discard, revertErrorLabel };
}
