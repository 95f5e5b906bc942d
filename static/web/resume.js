// Where the page keeps a multipart upload's id and revert token between visits (localStorage),
// until it completes or is reverted, so adding the same file again after a crash, a reload or a
// closed tab resumes it. README, "Resuming large uploads", says what this trades.

const KEY_PREFIX = "filestore.upload:";
const ID_PATTERN = /^[0-9a-f]{32}$/;

/** The key of `file`'s saved upload: the API it went to, and the file's name, size and date. */
export function resumeKey(apiUrl, file) {
  return KEY_PREFIX + JSON.stringify([apiUrl, file.name, file.size, file.lastModified]);
}

/** Whether `value` is a saved multipart upload as `save` writes it. */
function isSavedUpload(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    ID_PATTERN.test(String(value.id)) &&
    typeof value.revert_token === "string" &&
    value.revert_token !== "" &&
    Number.isSafeInteger(value.part_size) &&
    Number.isSafeInteger(value.part_count)
  );
}

/** localStorage, or null where the browser refuses it (storage disabled, some private modes). */
function browserStorage() {
  try {
    const storage = window.localStorage;
    storage.getItem(KEY_PREFIX); // throws where storage is disabled
    return storage;
  } catch {
    return null;
  }
}

/**
 * The saved multipart uploads of the API at `apiUrl`, by file. Without localStorage they are
 * kept in memory: uploads still resume within the page (a retry), not after a reload.
 */
export function createResumeStore(apiUrl, storage = browserStorage()) {
  const memory = new Map();
  const read = (key) => (storage ? storage.getItem(key) : (memory.get(key) ?? null));
  const write = (key, text) => (storage ? storage.setItem(key, text) : memory.set(key, text));
  const remove = (key) => (storage ? storage.removeItem(key) : memory.delete(key));

  return {
    /** The upload saved for `file` ({id, revert_token, part_size, part_count}), or null. */
    get(file) {
      const key = resumeKey(apiUrl, file);
      let saved = null;
      try {
        saved = JSON.parse(read(key) ?? "null");
      } catch {
        // Not JSON: written by something else, dropped below.
      }
      if (isSavedUpload(saved)) return saved;
      if (saved !== null) remove(key);
      return null;
    },

    /** Keeps `upload` (POST /file's multipart answer) for `file`; false when storage is full. */
    save(file, upload) {
      const { id, revert_token, part_size, part_count } = upload;
      const record = { id, revert_token, part_size, part_count, saved_at: Date.now() };
      try {
        write(resumeKey(apiUrl, file), JSON.stringify(record));
        return true;
      } catch {
        return false; // quota exceeded: this upload works, it just cannot resume after a reload
      }
    },

    /** Forgets `file`'s upload (completed, reverted, or gone). */
    forget(file) {
      remove(resumeKey(apiUrl, file));
    },
  };
}
