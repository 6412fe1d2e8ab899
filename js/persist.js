// Latent Lab's autosave: when the page's model is saved in the browser
// (store.js, written by worker 0 so that the page's thread never holds the
// bytes), and whether there is training not yet saved. The page gives it
// two functions and calls save() between training rounds, on pause, when
// the tab is hidden and after an import; restore is the workers' (their
// `restore` request), from load().
//
// The saved bytes are a training checkpoint (the Go core's
// train.Session.Checkpoint, with the loss curves), so a restored model
// continues exactly where it was, optimizer moments and batch order
// included.
import * as store from './store.js';

const AUTOSAVE_MS = 10_000; // at most this long of training is lost
const SAVE_SHARE = 20;      // and saving takes at most 1/20 of the time

export class Persistence {
  /**
   * store() saves the model now and resolves to {step, savedAt} or {error}
   * (a message for the visitor), or rejects (a model whose weights are not
   * finite has nothing worth keeping). current() returns {id, step} of the
   * model shown ({id} changes whenever the model is replaced), or null.
   */
  constructor({store, current}) {
    this.store = store;
    this.current = current;
    this.saved = null;   // {id, step, at}: what the store holds, if it holds the model shown
    this.next = 0;       // performance.now() of the next autosave
    this.saving = null;  // the save in flight
    this.error = null;   // the last save's error, shown once
  }

  /** dirty reports whether the model shown has trained since it was last saved. */
  dirty() {
    const c = this.current();
    if (!c || c.step === 0) return false;
    return !this.saved || this.saved.id !== c.id || this.saved.step !== c.step;
  }

  /** due reports whether an autosave is due (call it between training rounds). */
  due() {
    return performance.now() >= this.next && this.dirty();
  }

  /** adopt records that the store holds the model shown at step (after a restore). */
  adopt(step, at) {
    const c = this.current();
    this.saved = c && {id: c.id, step, at};
  }

  /**
   * save stores the model's training state unless it is saved already (or
   * force), and resolves to {step, at}, {error} (a message for the
   * visitor, e.g. a full storage quota) or null (nothing to save). It
   * never rejects, except for a dead worker (fatal).
   */
  save({force = false} = {}) {
    if (this.saving) return this.saving;
    if (!force && !this.dirty()) return Promise.resolve(null);
    this.saving = (async () => {
      const id = this.current() && this.current().id;
      const t0 = performance.now();
      let s;
      try {
        s = await this.store();
      } catch (e) {
        if (e.fatal) throw e;
        return null; // diverged weights: nothing to keep
      }
      const took = performance.now() - t0;
      this.next = performance.now() + Math.max(AUTOSAVE_MS, SAVE_SHARE * took);
      if (s.error) {
        const first = this.error === null;
        this.error = s.error;
        return {error: s.error, first};
      }
      this.error = null;
      this.saved = {id, step: s.step, at: s.savedAt};
      return {step: s.step, at: s.savedAt};
    })().finally(() => { this.saving = null; });
    return this.saving;
  }

  /** forget removes the stored model. */
  async forget() {
    this.saved = null;
    return store.clear();
  }
}
