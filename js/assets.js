// Downloads what the workers need, from the page, as soon as it starts: the
// Go core (compiled while it streams in) and the four gzipped MNIST idx files
// (gunzipped while they stream in), all at once. The workers start meanwhile
// and get the compiled module and the bytes by postMessage, so nothing waits
// for a worker to start before the network is busy, and the bytes are
// written once: straight from the gunzip stream into a buffer of the size the
// idx header announces, shared by every worker when SharedArrayBuffer is
// available (else one worker gets it transferred, without a copy).

import * as ui from './ui.js';

/** DATA_FILES are the MNIST idx files, in the order latentlab.setData takes them. */
export const DATA_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

const WASM_URL = new URL('../assets/latentlab.wasm', import.meta.url);
const MNIST_URL = name => new URL(`../assets/mnist/${name}.gz`, import.meta.url);
const MAX_IDX_BYTES = 1 << 30; // more than any MNIST file; a corrupt header must not allocate gigabytes

/**
 * compileWasm fetches and compiles the Go core while it streams in and
 * resolves with the WebAssembly.Module; span(name, t0) records its duration.
 */
export async function compileWasm(span) {
  const t0 = performance.now();
  try {
    const res = await fetch(WASM_URL);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    const module = await WebAssembly.compileStreaming(res);
    span('page: wasm fetch + compileStreaming', t0);
    return module;
  } catch (e) {
    throw new Error(`latentlab.wasm: ${e.message}`);
  }
}

/**
 * fetchData downloads and gunzips the four MNIST files in parallel and
 * resolves with four Uint8Arrays (over SharedArrayBuffers if shared).
 * onProgress(files) gets [{name, loaded, total}] (gzipped bytes) as they
 * arrive; span(name, t0) records each file's duration.
 */
export function fetchData({shared, onProgress, span}) {
  const files = DATA_FILES.map(name => ({name, loaded: 0, total: 0}));
  onProgress(files);
  return Promise.all(files.map(async f => {
    const t0 = performance.now();
    const out = await fetchIdx(MNIST_URL(f.name), `${f.name}.gz`, shared, (loaded, total) => {
      f.loaded = loaded;
      f.total = total;
      onProgress(files);
    });
    span(`page: fetch + gunzip ${f.name} (${(out.byteLength / 2 ** 20).toFixed(1)} MiB)`, t0);
    return out;
  }));
}

/**
 * fetchIdx downloads one gzipped idx file and gunzips it into a buffer of
 * exactly the size its header announces (magic 0, 0, type, dims; then dims
 * big-endian uint32 sizes), reporting gzipped bytes as they arrive.
 */
async function fetchIdx(url, name, shared, onBytes) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`${name}: network error (${e.message})`);
  }
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${res.statusText}`.trim());
  const total = Number(res.headers.get('Content-Length')) || 0;
  onBytes(0, total);
  let loaded = 0;
  const counter = new TransformStream({
    transform(chunk, ctl) {
      loaded += chunk.byteLength;
      onBytes(loaded, total);
      ctl.enqueue(chunk);
    },
  });
  let out = null;       // the whole file, once the header is known
  let head = new Uint8Array(0); // the first bytes, until the header is complete
  let n = 0;            // bytes written to out
  try {
    const reader = res.body.pipeThrough(counter).pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      let chunk = value;
      if (!out) {
        const joined = new Uint8Array(head.byteLength + chunk.byteLength);
        joined.set(head);
        joined.set(chunk, head.byteLength);
        const size = idxSize(joined, name);
        if (size === null) {
          head = joined;
          continue;
        }
        out = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
        chunk = joined;
      }
      if (n + chunk.byteLength > out.byteLength) {
        await reader.cancel().catch(() => {});
        throw new Error(`more than the ${out.byteLength} bytes its idx header announces`);
      }
      out.set(chunk, n);
      n += chunk.byteLength;
    }
  } catch (e) {
    throw new Error(`${name}: download or gunzip failed (${e.message})`);
  }
  if (!out) throw new Error(`${name}: too short for an idx header (${head.byteLength} bytes gunzipped)`);
  if (n !== out.byteLength) throw new Error(`${name}: ${n} bytes gunzipped, its idx header announces ${out.byteLength}`);
  return out;
}

/**
 * idxSize returns the total size an idx file announces in its header, or
 * null if head is too short to tell; it throws on a header that is not idx.
 */
function idxSize(head, name) {
  if (head.byteLength < 4) return null;
  if (head[0] !== 0 || head[1] !== 0) throw new Error(`${name}: not an idx file (magic ${[...head.subarray(0, 4)].join(' ')})`);
  const width = {0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8}[head[2]];
  const dims = head[3];
  if (!width || dims === 0) throw new Error(`${name}: not an idx file (type ${head[2]}, ${dims} dimensions)`);
  const headerBytes = 4 + 4 * dims;
  if (head.byteLength < headerBytes) return null;
  const view = new DataView(head.buffer, head.byteOffset, headerBytes);
  let size = width;
  for (let d = 0; d < dims; d++) size *= view.getUint32(4 + 4 * d);
  size += headerBytes;
  if (size > MAX_IDX_BYTES) throw new Error(`${name}: its idx header announces ${size} bytes, more than ${MAX_IDX_BYTES}`);
  return size;
}

/**
 * Loader fetches the Go core and MNIST once for the page's life and hands
 * them to the workers of pool as soon as each arrives, showing the
 * download's progress; shared says the idx buffers can be shared by every
 * worker (SharedArrayBuffer), else worker 0 gets them transferred and a
 * later set of workers downloads them again; span(name, t0) times phases.
 */
export class Loader {
  constructor({pool, shared, span}) {
    Object.assign(this, {pool, shared, span});
    this.module = null;  // promise of the compiled Go core
    this.data = null;    // promise of the four idx files
  }

  /** fetch starts the downloads that are not done or under way and returns the promises. */
  fetch() {
    if (!this.module) {
      const p = this.module = compileWasm(this.span);
      p.catch(() => { if (this.module === p) this.module = null; });
    }
    if (!this.data) {
      let last = 0;
      const p = this.data = fetchData({
        shared: this.shared,
        span: this.span,
        onProgress(files) {
          const now = performance.now();
          if (now - last < 100 && files.some(f => f.loaded < f.total)) return;
          last = now;
          showLoadProgress('Downloading MNIST', files);
        },
      });
      p.then(() => { document.getElementById('loading-phase').textContent = 'Starting the Go core…'; }, () => { if (this.data === p) this.data = null; });
    }
    return {module: this.module, data: this.data};
  }

  /** load hands the Go core and MNIST to every worker as each arrives and resolves with worker 0's start result (js/pool.js). */
  async load() {
    const {module, data} = this.fetch();
    const t0 = performance.now();
    if (!this.shared) data.then(() => { this.data = null; }); // transferred: a later worker downloads it again
    const r = await this.pool.load({module, data, shared: this.shared});
    this.span('page: workers have the Go core and MNIST', t0);
    return r;
  }
}

/** showLoadProgress shows the download's phase and how much of the files has come. */
function showLoadProgress(phase, files) {
  const loaded = files.reduce((s, f) => s + f.loaded, 0);
  const total = files.reduce((s, f) => s + f.total, 0);
  const known = files.every(f => f.total > 0);
  document.getElementById('loading-phase').textContent = `${phase}…`;
  ui.setBar('loading-progress', known ? loaded / total : 0);
  document.getElementById('loading-detail').textContent = known
    ? `${ui.fmtBytes(loaded)} of ${ui.fmtBytes(total)} (4 files, gzipped)`
    : `${ui.fmtBytes(loaded)}`;
}
