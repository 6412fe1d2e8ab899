// How many workers train, and why: the Workers select (1 to the machine's
// cores, at most 8), its count and notes (one worker when the browser gives
// no SharedArrayBuffer, or when the model cannot be split among workers),
// and a change of the count, which restarts the workers and carries the
// model over, its whole training state when it has one.
import * as ui from './ui.js';

const $ = id => document.getElementById(id);
/**
 * MAX_WORKERS is the most workers the page runs: the machine's cores, at
 * most 8. More workers than cores only make the replicas take turns (and
 * cost a replica's memory each).
 */
const MAX_WORKERS = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
/** DEFAULT_WORKERS is one a core, at most 4. */
export const DEFAULT_WORKERS = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));

/** clamp returns n as a worker count the page runs. */
export function clamp(n) {
  return Math.max(1, Math.min(MAX_WORKERS, Math.floor(n) || 1));
}

/**
 * createParallel wires the Workers select on page (js/app.js's page: the
 * model, shared (SharedArrayBuffer usable) and forced (?noshared=1), the
 * workers, and what the page does to them and the model).
 */
export function createParallel(page) {
  const ctx = page;
  /** show shows how many workers there are and train the model, and says why only one does. */
  function show() {
    const {model} = ctx.current();
    const n = ctx.pool.count === 1 ? '1 worker' : ctx.pool.active < ctx.pool.count ? `${ctx.pool.active} of ${ctx.pool.count} workers` : `${ctx.pool.count} workers`;
    $('workers-count').textContent = `(${n})`;
    $('workers').value = String(ctx.pool.count);
    document.body.dataset.workers = String(ctx.pool.count);
    document.body.dataset.active = String(ctx.pool.active);
    const note = $('workers-note');
    if (!ctx.shared) return; // the fallback note (setup) stays
    const one = model && ctx.pool.count > 1 && ctx.pool.active === 1;
    note.hidden = !one;
    const why = model && (model.config.batchnorm || model.config.dropout > 0)
      ? 'its batch normalisation or dropout needs each batch whole'
      : 'its training step cannot be split among workers';
    note.textContent = one ? `one worker: a ${model.config.model} model trains in worker 1 alone (${why})` : '';
  }

  /**
   * onChange restarts the workers with the chosen count and carries the
   * model over: its training checkpoint (the weights alone if it has none worth
   * keeping) goes from the old workers into the new ones, so that training
   * continues with its optimizer's moments, batch order and curves.
   */
  async function onChange() {
    const {model} = ctx.current();
    const k = clamp(Number($('workers').value));
    if (k === ctx.pool.count) return;
    const wasTraining = ctx.trainer.running;
    let bytes = null;
    try {
      await ctx.trainer.stop();
      if (model) bytes = await ctx.checkpoint().then(r => r.bytes, e => {
        if (e.fatal) throw e;
        return ctx.request(0, 'exportWeights', {dtype: 'F32'}).then(r => r.bytes);
      });
    } catch (e) {
      if (!e.fatal) ui.showError(`Could not keep the model: ${e.message}`);
      return;
    }
    ctx.startWorkers(k);
    ctx.setState('loading');
    try {
      await ctx.loadWorkers();
      if (bytes) {
        await ctx.files.adoptImported(await ctx.files.importInto(bytes), {clear: false});
        ctx.trainer.samplesPerSec = null;
        ui.setValue('samples-per-sec', '–', null);
      } else {
        await ctx.buildModel(ctx.form.readStored() || ctx.current().defaults);
      }
      if (wasTraining) ctx.trainer.start();
    } catch (e) {
      ctx.died(`Could not restart with ${k} workers: ${e.message}`);
    }
  }

  /** setup fills the Workers select and explains a one-worker fallback. */
  function setup() {
    const sel = $('workers');
    const opts = [];
    for (let k = 1; k <= MAX_WORKERS; k++) opts.push(new Option(k === DEFAULT_WORKERS ? `${k} (default)` : String(k), String(k)));
    sel.replaceChildren(...opts);
    sel.onchange = onChange;
    const note = $('workers-note');
    if (!ctx.shared) {
      sel.value = '1';
      sel.title = 'Several workers need SharedArrayBuffer, which this page does not have';
      note.hidden = false;
      note.textContent = ctx.forced
        ? 'one worker: SharedArrayBuffer turned off by ?noshared=1'
        : 'one worker: this browser gives the page no SharedArrayBuffer (it needs cross-origin isolation)';
    }
  }

  return {show, setup};
}
