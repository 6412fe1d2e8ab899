// Unit tests of the page's model store (js/store.js) and autosave
// (js/persist.js) under Node, with IndexedDB absent, failing on quota, or
// faked in memory: whatever the browser's storage does, they resolve with
// a message and never throw. The modules are the page's own files, loaded
// as ES modules from a scratch copy (js/ has no package.json of its own).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'js');
let dir, store, Persistence;
let fresh = 0;

/** reload imports store.mjs anew, so that it opens the IndexedDB now installed. */
async function reload() {
  store = await import(pathToFileURL(path.join(dir, 'store.mjs')) + `?${++fresh}`);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-store-'));
  fs.copyFileSync(path.join(JS, 'store.js'), path.join(dir, 'store.mjs'));
  fs.writeFileSync(path.join(dir, 'persist.mjs'), fs.readFileSync(path.join(JS, 'persist.js'), 'utf8').replace("'./store.js'", "'./store.mjs'"));
  store = await import(pathToFileURL(path.join(dir, 'store.mjs')));
  ({Persistence} = await import(pathToFileURL(path.join(dir, 'persist.mjs'))));
});

after(() => {
  delete globalThis.indexedDB;
  fs.rmSync(dir, {recursive: true, force: true});
});

/** fakeIndexedDB is an in-memory IndexedDB enough for store.js; failPut makes every put abort with that DOMException name. */
function fakeIndexedDB({failPut = null} = {}) {
  const data = new Map();
  const later = f => setTimeout(f, 0);
  return {
    data,
    open() {
      const req = {};
      later(() => {
        req.result = {
          createObjectStore() {},
          transaction() {
            const tx = {};
            const run = op => {
              const r = {};
              later(() => {
                if (failPut && op.put) {
                  tx.error = new DOMException('quota', failPut);
                  tx.onabort && tx.onabort();
                  return;
                }
                r.result = op.run();
                tx.oncomplete && tx.oncomplete();
              });
              return r;
            };
            tx.objectStore = () => ({
              put: (v, k) => run({put: true, run: () => data.set(k, structuredClone(v))}),
              get: k => run({run: () => data.get(k)}),
              delete: k => run({run: () => data.delete(k)}),
            });
            return tx;
          },
        };
        req.onupgradeneeded && req.onupgradeneeded();
        req.onsuccess && req.onsuccess();
      });
      return req;
    },
  };
}

test('without IndexedDB every call resolves to an error message', async () => {
  delete globalThis.indexedDB;
  for (const r of [await store.save({bytes: new Uint8Array(4), step: 1}), await store.load(), await store.clear()]) {
    assert.match(r.error, /no IndexedDB/);
  }
});

test('a full quota is a message for the visitor, not an exception', async () => {
  globalThis.indexedDB = fakeIndexedDB({failPut: 'QuotaExceededError'});
  await reload();
  const r = await store.save({bytes: new Uint8Array(4), step: 1});
  assert.equal(r.error, 'the browser\'s storage for this page is full');
});

test('save, load and clear round-trip the record', async () => {
  const db = globalThis.indexedDB = fakeIndexedDB();
  await reload();
  assert.equal(await store.load(), null);
  const saved = await store.save({bytes: new Uint8Array([1, 2, 3]), step: 7});
  assert.ok(saved.savedAt > 0);
  const r = await store.load();
  assert.deepEqual([...r.bytes], [1, 2, 3]);
  assert.equal(r.step, 7);
  db.data.set('current', {bytes: 'not bytes', step: 7});
  assert.equal(await store.load(), null, 'a malformed record reads as none');
  assert.deepEqual(await store.clear(), {});
  assert.equal(await store.load(), null);
});

test('autosave: dirty only after training, saved once, a quota error reported once', async () => {
  let step = 0, id = 1, answer = {step: 0, savedAt: 1};
  let calls = 0;
  const p = new Persistence({store: async () => { calls++; if (answer instanceof Error) throw answer; return answer; }, current: () => ({id, step})});
  assert.equal(p.dirty(), false, 'an untrained model is no work');
  step = 5;
  assert.equal(p.dirty(), true);
  assert.equal(p.due(), true, 'the first save is due at once');
  answer = {step: 5, savedAt: 2};
  assert.deepEqual(await p.save(), {step: 5, at: 2});
  assert.equal(p.dirty(), false);
  assert.equal(await p.save(), null, 'nothing new to save');
  assert.equal(calls, 1);
  step = 9;
  assert.equal(p.due(), false, 'the next autosave waits its interval');
  answer = {error: 'the browser\'s storage for this page is full'};
  assert.deepEqual(await p.save(), {error: answer.error, first: true});
  assert.deepEqual(await p.save(), {error: answer.error, first: false}, 'the visitor is told once');
  assert.equal(p.dirty(), true, 'a failed save leaves the work unsaved');
  answer = new Error('model: tensor x holds NaN');
  assert.equal(await p.save(), null, 'diverged weights are not saved, and no error reaches the page');
  answer = Object.assign(new Error('The Go core stopped'), {fatal: true});
  await assert.rejects(p.save(), /Go core stopped/, 'a dead worker is not hidden');
  id = 2;
  step = 9;
  answer = {step: 9, savedAt: 3};
  assert.deepEqual(await p.save(), {step: 9, at: 3});
  id = 3;
  assert.equal(p.dirty(), true, 'another model at the same step is unsaved');
});
