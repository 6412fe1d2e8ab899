// The model's files: Download (weights or the whole training state),
// Import (a weights file or a checkpoint, refused whole if any worker
// refuses it), and the copy saved in this browser as it trains (autosave,
// restore on a reload, Start fresh, revert after a divergence; the bytes
// go between the workers and IndexedDB, js/store.js, never through here),
// and the trained models the site ships (assets/models/index.json), each
// fetched only when chosen.
import * as ui from './ui.js';
import {fmtNum} from './views.js';

const $ = id => document.getElementById(id);

/** MODELS_URL lists the trained models the site ships; cmd/latentlab's TestShippedModels checks each file and its figure. */
export const MODELS_URL = 'assets/models/index.json';

/**
 * createFiles wires the file controls on page (js/app.js's page: the
 * model, its loss curves, the workers, the saved copy and the page's
 * transitions).
 */
export function createFiles(page) {
  const ctx = page;
  async function onDownload() {
    const dtype = $('dtype').value;
    try {
      const r = dtype === 'checkpoint' ? await ctx.checkpoint() : await ctx.request(0, 'exportWeights', {dtype});
      const url = URL.createObjectURL(new Blob([r.bytes], {type: 'application/octet-stream'}));
      const a = document.createElement('a');
      a.href = url;
      a.download = r.filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      if (!e.fatal) ui.showError(`Download failed: ${e.message}`);
    }
  }

  /**
   * importInto loads a weights file into every worker: worker 0 first (if it
   * refuses, the current model is unchanged), then the others.
   */
  async function importInto(bytes) {
    const r = await ctx.request(0, 'importWeights', {bytes: bytes.slice(0)});
    await ctx.pool.replicate('importWeights', () => ({bytes: bytes.slice(0)}), r);
    return r;
  }

  /**
   * adoptImported shows the model the workers took from a file: its step and
   * epoch and, from a training checkpoint, its loss curves.
   */
  async function adoptImported(r, {clear}) {
    if (clear || r.curves) ctx.clearReadouts();
    ctx.adoptModel(r);
    ctx.position(r);
    if (r.curves) {
      for (const [key, c] of Object.entries(JSON.parse(r.curves) || {})) {
        const h = ctx.loss[key] = new ui.History();
        h.x = c.x;
        h.y = c.y;
      }
      const first = ctx.model().caps.lossNames.find(k => ctx.loss[k] && ctx.loss[k].last !== null);
      if (first !== undefined) ui.setValue('recon-loss', fmtNum(ctx.loss[first].last), ctx.loss[first].last);
      ctx.views.scheduleDraw();
    }
    ctx.setState(ctx.machine.settled());
    await ctx.refreshSnapshot();
  }

  /** curvesJSON is the loss curves shown, as the Go core keeps them in a checkpoint ({name: {x, y}}). */
  function curvesJSON() {
    return JSON.stringify(Object.fromEntries(Object.entries(ctx.loss).map(([k, h]) => [k, {x: h.x, y: h.y}])));
  }

  /**
   * autosave saves the model in the browser if it has trained since it was
   * last saved (or force), and says so in the Weights card; a failure (a full
   * storage quota) is shown once, and training goes on.
   */
  async function autosave(opts) {
    const r = await ctx.persist.save(opts);
    if (!r) return;
    if (r.error) {
      $('saved-note').textContent = `Not saved in this browser: ${r.error}. Download the model to keep it.`;
      $('saved-note').classList.add('warn');
      if (r.first) ui.showError(`The model could not be saved in this browser (${r.error}); training goes on. Download it to keep it.`);
      return;
    }
    $('saved-note').classList.remove('warn');
    $('saved-note').textContent = `Saved in this browser at step ${ui.fmtInt(r.step)} (${new Date(r.at).toLocaleTimeString()}); a reload continues from there.`;
    document.body.dataset.savedStep = String(r.step);
  }

  /**
   * restoreSaved loads the model saved in this browser into the workers and
   * shows it, with a note and a Start fresh button; it resolves to whether
   * it did. A saved model that no longer loads is removed, and said so.
   */
  async function restoreSaved({revert = false, want = null} = {}) {
    let rec;
    try {
      rec = await ctx.building(async () => {
        await ctx.stopTraining();
        const r = await ctx.request(0, 'restore', {want});
        if (r === null || r.differs) throw Object.assign(new Error('nothing saved'), {none: true});
        await ctx.pool.replicate('restore', () => ({want}), r);
        await adoptImported(r, {clear: true});
        return r;
      });
    } catch (e) {
      if (e.none) return false;
      if (e.fatal) throw e;
      await ctx.persist.forget();
      ui.showError(`The model saved in this browser could not be restored (${e.message}); it was removed.`);
      return false;
    }
    ctx.persist.adopt(rec.step, rec.savedAt);
    document.body.dataset.savedStep = String(rec.step);
    document.body.dataset.restoredStep = String(rec.step);
    $('restored-text').textContent = `${revert ? 'Reverted' : 'Restored'} to the model saved in this browser at step ${ui.fmtInt(rec.step)} (${new Date(rec.savedAt).toLocaleString()}).`;
    $('restored').hidden = false;
    $('saved-note').textContent = `Saved in this browser at step ${ui.fmtInt(rec.step)}.`;
    return true;
  }

  /** onStartFresh forgets the saved model and builds a new one from the form's configuration. */
  async function onStartFresh() {
    $('restored').hidden = true;
    await ctx.persist.forget();
    delete document.body.dataset.savedStep;
    $('saved-note').textContent = '';
    await ctx.onReset();
  }

  async function onImport() {
    const input = $('import');
    const file = input.files && input.files[0];
    input.value = ''; // the same file can be chosen again
    if (!file) return;
    if (!ctx.can('import')) {
      ui.showError(`${file.name} was not imported: the page is ${ctx.state()}; choose it again when it is ready.`);
      return;
    }
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      ui.showError(`Could not read ${file.name}: ${e.message}`);
      return;
    }
    try {
      await ctx.building(async () => {
        await ctx.stopTraining();
        await adoptImported(await importInto(bytes), {clear: true});
      });
      await autosave({force: true});
    } catch (e) {
      if (!e.fatal) ui.showError(`Import of ${file.name} failed: ${e.message}. The current model is unchanged.`);
    }
  }

  let trained = []; // the entries of MODELS_URL, once listed

  /**
   * listTrained fills the "Load a trained model" menu from MODELS_URL: each
   * entry's row, figure and size. Without the listing the menu says so.
   */
  async function listTrained() {
    const sel = $('trained-model');
    try {
      const res = await fetch(MODELS_URL);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const list = await res.json();
      if (!Array.isArray(list.models)) throw new Error('no models listed');
      trained = list.models;
    } catch (e) {
      sel.replaceChildren(new Option('No trained models on this site', ''));
      sel.title = `The list of trained models could not be read (${e.message}).`;
      return;
    }
    sel.replaceChildren(new Option('Choose…', ''), ...trained.map(m =>
      new Option(`${m.row}: ${m.figure} (${ui.fmtBytes(m.bytes)})`, m.file)));
    sel.dataset.count = String(trained.length);
  }

  /**
   * fetchTrained downloads entry's file, showing its progress in the Weights
   * card, and checks its size and SHA-256 against the listing.
   */
  async function fetchTrained(entry) {
    const bar = $('trained-bar');
    bar.hidden = false;
    ui.setBar('trained-progress', 0);
    try {
      let res;
      try {
        res = await fetch(`assets/models/${entry.file}`);
      } catch (e) {
        throw new Error(`network error (${e.message})`);
      }
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      const out = new Uint8Array(entry.bytes);
      const reader = res.body.getReader();
      let n = 0;
      for (;;) {
        const {done, value} = await reader.read();
        if (done) break;
        if (n + value.byteLength > out.byteLength) {
          await reader.cancel().catch(() => {});
          throw new Error(`more than the ${ui.fmtInt(entry.bytes)} bytes listed`);
        }
        out.set(value, n);
        n += value.byteLength;
        ui.setBar('trained-progress', n / out.byteLength);
        $('trained-note').textContent = `Fetching ${entry.row}: ${ui.fmtBytes(n)} of ${ui.fmtBytes(out.byteLength)}…`;
      }
      if (n !== out.byteLength) throw new Error(`${ui.fmtInt(n)} bytes arrived, ${ui.fmtInt(entry.bytes)} listed`);
      if (globalThis.crypto && crypto.subtle) {
        const hex = [...new Uint8Array(await crypto.subtle.digest('SHA-256', out))].map(b => b.toString(16).padStart(2, '0')).join('');
        if (hex !== entry.sha256) throw new Error('the file is damaged: its SHA-256 is not the one listed');
      }
      return out;
    } finally {
      bar.hidden = true;
    }
  }

  /**
   * onLoadTrained loads the trained model chosen in the menu as Import loads
   * a file; a failed fetch or a damaged file leaves the current model.
   */
  async function onLoadTrained() {
    const sel = $('trained-model');
    const entry = trained.find(m => m.file === sel.value);
    sel.value = '';
    if (!entry) return;
    if (!ctx.can('import')) {
      ui.showError(`${entry.row} was not loaded: the page is ${ctx.state()}; choose it again when it is ready.`);
      return;
    }
    const note = $('trained-note');
    let bytes;
    try {
      bytes = await fetchTrained(entry);
    } catch (e) {
      note.textContent = '';
      ui.showError(`The trained model ${entry.row} could not be fetched: ${e.message}. The current model is unchanged.`);
      return;
    }
    try {
      await ctx.building(async () => {
        await ctx.stopTraining();
        await adoptImported(await importInto(bytes), {clear: true});
      });
      note.textContent = `Loaded ${entry.row}, trained for the paper's table: ${entry.figure}.`;
      document.body.dataset.trained = entry.row;
      await autosave({force: true});
    } catch (e) {
      note.textContent = '';
      if (!e.fatal) ui.showError(`The trained model ${entry.row} could not be loaded: ${e.message}. The current model is unchanged.`);
    }
  }

  return {onDownload, importInto, adoptImported, curvesJSON, autosave, restoreSaved, onStartFresh, onImport, listTrained, onLoadTrained};
}
