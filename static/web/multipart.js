// Multipart uploads straight to S3 through Filestore's API: each part hashed in the page
// (WebCrypto), signed a few at a time just before it is sent, four sent at once, each retried.
// No FilePond here: the page's FilePond adapter (filepond-server.js) drives it.
import { FilestoreError, putToStorage } from "./api.js";

/** Parts in flight at once. */
export const PARALLEL_PARTS = 4;
/** Attempts per part (and for the completion) before the upload fails; it can still be resumed. */
export const MAX_ATTEMPTS = 5;
/** The first retry waits about this long, each next one twice as long, up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 500;
export const RETRY_MAX_MS = 8000;
/** The most parts one POST /file/{id}/parts signs (the API's limit). */
const SIGN_BATCH_LIMIT = 100;

/** base64 of the SHA-256 of `blob`'s bytes: S3's `x-amz-checksum-sha256`. */
export async function sha256Base64(blob) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The parts the API planned for a file of `size` bytes: part n covers bytes
 * [(n - 1) * partSize, min(n * partSize, size)). Refuses a plan that does not cover the file.
 */
export function planParts(size, partSize, partCount) {
  const fits =
    Number.isSafeInteger(partSize) && partSize > 0 && Math.ceil(size / partSize) === partCount;
  if (!fits) {
    throw new FilestoreError("The API planned parts that do not fit this file.", {
      retryable: false,
    });
  }
  return Array.from({ length: partCount }, (_, index) => {
    const start = index * partSize;
    const end = Math.min(start + partSize, size);
    return { number: index + 1, start, end, size: end - start };
  });
}

function abortError() {
  return new DOMException("Upload cancelled", "AbortError");
}

function throwIfAborted(signal) {
  if (signal?.aborted) throw abortError();
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    throwIfAborted(signal);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The wait before attempt `attempt + 1`: exponential, with jitter so parts do not retry in step. */
export function retryDelay(attempt) {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

/** Runs `send` until it succeeds, fails for good (not `retryable`) or MAX_ATTEMPTS have failed. */
async function withRetries(send, signal) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (err) {
      const again = err instanceof FilestoreError && err.retryable && attempt < MAX_ATTEMPTS;
      if (!again || signal?.aborted) throw err;
      await sleep(retryDelay(attempt), signal);
    }
  }
}

/**
 * What to do with a multipart upload saved by an earlier visit (`saved`: id, revert_token,
 * part_size, part_count), from GET /file/{id}/parts:
 * - `{ state: "resumable", held }`: S3 holds the parts numbered in `held`, each with this very
 *   file's size and checksum (re-hashed here), so only the others need sending;
 * - `{ state: "gone" }`: the API no longer has it for this token (403, 404, 409: reverted,
 *   expired, completed elsewhere): start a new upload;
 * - `{ state: "differs" }`: a part in S3 is not this file's (the file changed on disk with the
 *   same name, size and date): abort that upload and start a new one.
 */
export async function checkSavedUpload(api, file, saved, signal) {
  let plan;
  try {
    plan = planParts(file.size, saved.part_size, saved.part_count);
  } catch {
    return { state: "gone" }; // a saved record that does not fit this file: nothing to resume
  }
  let listed;
  try {
    listed = await api.listParts(saved.id, saved.revert_token, signal);
  } catch (err) {
    if (err instanceof FilestoreError && [403, 404, 409].includes(err.status)) {
      return { state: "gone" };
    }
    throw err; // the network or the API's trouble: the saved upload may still be there
  }
  const held = new Set();
  for (const part of listed.parts || []) {
    const planned = plan[part.number - 1];
    if (!planned || part.size !== planned.size) return { state: "differs" };
    throwIfAborted(signal);
    const local = await sha256Base64(file.slice(planned.start, planned.end));
    if (local !== part.checksum_sha256) return { state: "differs" };
    held.add(part.number);
  }
  return { state: "resumable", held };
}

/**
 * Signs part URLs for one upload just before they are sent: the parts asked for in the same
 * turn of the event loop (the parts in flight starting together) share one POST /file/{id}/parts.
 */
class PartSigner {
  constructor(api, upload, signal) {
    this.api = api;
    this.upload = upload;
    this.signal = signal;
    this.waiting = [];
  }

  /** The signed `{ number, url, method, headers }` for `part` with its base64 SHA-256. */
  sign(part, checksum) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ part, checksum, resolve, reject });
      if (this.waiting.length === 1) setTimeout(() => this.flush(), 0);
    });
  }

  async flush() {
    const batch = this.waiting.splice(0, SIGN_BATCH_LIMIT);
    if (this.waiting.length > 0) setTimeout(() => this.flush(), 0);
    const parts = batch.map(({ part, checksum }) => ({
      number: part.number,
      checksum_sha256: checksum,
    }));
    try {
      const { id, revert_token: token } = this.upload;
      const answer = await this.api.signParts(id, token, parts, this.signal);
      const signed = new Map((answer.parts || []).map((entry) => [entry.number, entry]));
      for (const { part, resolve, reject } of batch) {
        if (signed.has(part.number)) resolve(signed.get(part.number));
        else reject(new FilestoreError(`The API signed no link for part ${part.number}.`));
      }
    } catch (err) {
      for (const { reject } of batch) reject(err);
    }
  }
}

/** PUTs `blob` to the signed part URL with exactly its headers; `signal` aborts it in flight. */
function putPart(signed, blob, onLoaded, signal) {
  throwIfAborted(signal);
  const upload = putToStorage(signed, blob, (computable, loaded) => onLoaded(loaded));
  const onAbort = () => upload.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  return upload.promise.finally(() => signal?.removeEventListener("abort", onAbort));
}

/**
 * Sends the parts of `file` that S3 lacks, PARALLEL_PARTS at a time, then completes the upload.
 *
 * `upload` is POST /file's multipart answer (id, revert_token, part_size, part_count); `held`
 * the part numbers S3 already holds (a resumed upload). Each part is hashed once, then every
 * attempt signs it afresh (a retry never holds an expired link) and PUTs exactly the signed
 * headers, so S3 refuses other bytes or another length. `onProgress(loaded, total)` follows the
 * whole file and never goes back. Resolves with POST /file/{id}/complete's
 * `{ id, status, rejected }`; rejects with the first part that failed for good (the others in
 * flight are stopped), or an AbortError once `signal` aborts (every part in flight is cut off).
 */
export async function sendMultipart({ api, file, upload, held = new Set(), onProgress, signal }) {
  const plan = planParts(file.size, upload.part_size, upload.part_count);
  const stop = new AbortController(); // the caller's abort, or the first failure, stops every part
  const forward = () => stop.abort();
  signal?.addEventListener("abort", forward, { once: true });

  // Bytes sent by part number; the held parts count in full from the start.
  const loaded = new Map(plan.filter((p) => held.has(p.number)).map((p) => [p.number, p.size]));
  // The bar never moves back: a part sent again (a retry, or the browser resending a request on
  // a fresh connection, which restarts its upload progress) holds it until it passes the mark.
  let shown = 0;
  const report = () => {
    let sum = 0;
    for (const bytes of loaded.values()) sum += bytes;
    shown = Math.max(shown, sum);
    if (onProgress) onProgress(shown, file.size);
  };
  const setLoaded = (number, bytes) => {
    loaded.set(number, bytes);
    report();
  };
  report();

  const queue = plan.filter((part) => !held.has(part.number));
  const signer = new PartSigner(api, upload, stop.signal);
  let failure = null;
  // Parts are hashed one at a time: WebCrypto reads a whole part into memory, and four parts of
  // a large file's size (up to 5 GiB each) at once could exhaust the tab.
  let hashing = Promise.resolve();
  const hashPart = (blob) => {
    const checksum = hashing.then(() => sha256Base64(blob));
    hashing = checksum.catch(() => {});
    return checksum;
  };

  const sendPart = async (part) => {
    const blob = file.slice(part.start, part.end);
    const checksum = await hashPart(blob);
    await withRetries(async () => {
      throwIfAborted(stop.signal);
      setLoaded(part.number, 0); // a retry sends the whole part again
      const signed = await signer.sign(part, checksum);
      const onLoaded = (bytes) => setLoaded(part.number, Math.min(bytes, part.size));
      await putPart(signed, blob, onLoaded, stop.signal);
    }, stop.signal);
    setLoaded(part.number, part.size);
  };

  const worker = async () => {
    while (!stop.signal.aborted && queue.length > 0) {
      const part = queue.shift();
      try {
        await sendPart(part);
      } catch (err) {
        failure ??= err;
        stop.abort();
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, worker));
  } finally {
    signal?.removeEventListener("abort", forward);
  }
  throwIfAborted(signal);
  if (failure) throw failure;
  return withRetries(() => api.completeUpload(upload.id, upload.revert_token, signal), signal);
}
