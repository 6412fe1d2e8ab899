// Latent Lab's model store: the page's last training state, kept in
// IndexedDB so that a reload or a closed tab finds the model again. Worker 0
// writes it and every worker reads it (js/worker.js imports this module), so
// the checkpoint's bytes never cross the page's thread; the page only
// forgets it. One
// record, replaced at every save: the checkpoint bytes the Go core wrote
// (train.Session.Checkpoint), its step, its config and when it was saved.
//
// Every function resolves; none throws. A failure (no IndexedDB, a private
// window, the storage quota) resolves to {error} with a message for the
// visitor, so that saving can never stop training.

const DB_NAME = 'latentlab';
const DB_VERSION = 1;
const STORE = 'models';
const KEY = 'current';

let opened = null; // promise of the database, once asked for

function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      if (typeof indexedDB === 'undefined') {
        reject(new Error('this browser gives the page no IndexedDB'));
        return;
      }
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error || new Error('IndexedDB would not open'));
      req.onblocked = () => reject(new Error('IndexedDB is held by another tab of this page'));
    });
    opened.catch(() => { opened = null; }); // try again next time
  }
  return opened;
}

/** run performs fn(store) in one transaction and resolves with its request's result once the transaction is done. */
async function run(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onabort = tx.onerror = () => reject(tx.error || req.error || new Error('the transaction failed'));
  });
}

/** message says what went wrong, in the visitor's terms. */
function message(e) {
  if (e && e.name === 'QuotaExceededError') return 'the browser\'s storage for this page is full';
  return (e && e.message) || String(e);
}

/**
 * save replaces the stored model by record {bytes (Uint8Array), step,
 * config (its JSON)}; it resolves to {savedAt} or {error}.
 */
export async function save({bytes, step, config}) {
  const savedAt = Date.now();
  try {
    await run('readwrite', s => s.put({bytes, step, config, savedAt}, KEY));
    return {savedAt};
  } catch (e) {
    return {error: message(e)};
  }
}

/** load resolves to the stored record {bytes, step, config, savedAt}, null if there is none, or {error}. */
export async function load() {
  try {
    const r = await run('readonly', s => s.get(KEY));
    if (!r || !(r.bytes instanceof Uint8Array) || typeof r.step !== 'number') return null;
    return r;
  } catch (e) {
    return {error: message(e)};
  }
}

/** clear removes the stored model; it resolves to {} or {error}. */
export async function clear() {
  try {
    await run('readwrite', s => s.delete(KEY));
    return {};
  } catch (e) {
    return {error: message(e)};
  }
}
