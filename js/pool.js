// The workers and the page's side of their protocol (the Go core names its
// requests, js/worker.js defines its own): a Pool starts and stops the Web Workers, sends requests and
// matches replies, hands them the Go core and MNIST, makes them replicas of
// one model and gives them the SharedArrayBuffer their gradients are summed
// through. It knows nothing of the page's views or controls: what it must
// tell the page goes through the callbacks it is built with.

/** fatal marks an error after which the workers cannot go on (the page offers a restart). */
export function fatal(message) {
  return Object.assign(new Error(message), {fatal: true});
}

export class Pool {
  /**
   * onNotice(i, m) takes worker i's messages that answer no request
   * (evalProgress, sampleProgress); onTiming(i, list) the phases it timed;
   * onDied(message) a worker or Go program that died, or replicas that no
   * longer agree; onChange() a change of the worker count or of how many
   * train the model.
   */
  constructor({onNotice, onTiming, onDied, onChange}) {
    Object.assign(this, {onNotice, onTiming, onDied, onChange});
    this.workers = [];       // the Worker objects; worker 0 serves snapshots, evaluation and export
    this.count = 1;          // workers started
    this.active = 1;         // workers training the model: all if it is sharded (a model.Sharder), else worker 0 alone
    this.epoch = 0;          // bumped when the workers are replaced; messages of older ones are dropped
    this.layout = null;      // the reducer buffer's layout, from the workers' start reply (worker.js owns it)
    this.requests = null;    // the names of the requests the workers answer, from their start reply (the Go core names its own)
    this.reducerSab = null;  // the gradient buffer of the current model (several workers only)
    this.pending = new Map(); // request id → {resolve, reject}
    this.nextId = 1;
  }

  /** start replaces the workers by k new ones (not yet loaded). */
  start(k) {
    this.stop();
    const e = ++this.epoch;
    this.count = k;
    this.workers = Array.from({length: k}, (_, i) => {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.onmessage = ev => { if (e === this.epoch) this.message(i, ev.data); };
      w.onerror = ev => {
        ev.preventDefault();
        if (e === this.epoch) this.onDied(`Worker ${i + 1} of ${k} crashed: ${ev.message || 'script error'}.`);
      };
      return w;
    });
    this.onChange();
  }

  /** stop ends every worker; replicas waiting at a gradient sum are released first, requests in flight fail. */
  stop(reason = 'the workers were stopped') {
    if (this.reducerSab) {
      const ctl = new Int32Array(this.reducerSab, 0, this.layout.headerBytes / 4);
      Atomics.store(ctl, this.layout.ctlAbort, 1);
      Atomics.notify(ctl, this.layout.ctlGen);
      this.reducerSab = null;
    }
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.epoch++;
    for (const p of this.pending.values()) p.reject(fatal(reason));
    this.pending.clear();
  }

  /** request sends one request to worker i and resolves with its result (rejects with its error). */
  request(i, type, payload = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.workers[i]) {
        reject(fatal('no worker'));
        return;
      }
      if (this.requests && !this.requests.has(type)) {
        reject(new Error(`the workers answer no request ${JSON.stringify(type)} (they answer ${[...this.requests].join(', ')})`));
        return;
      }
      this.pending.set(id, {resolve, reject});
      this.workers[i].postMessage({id, type, ...payload}, transfer);
    });
  }

  /** all sends the same request to every worker (payload(i) each) and resolves with their results in worker order. */
  all(type, payload = () => ({})) {
    return Promise.all(this.workers.map((_, i) => this.request(i, type, payload(i))));
  }

  /** training sends the same request to the workers training the model (see active), in worker order. */
  training(type, payload = () => ({})) {
    return Promise.all(this.workers.slice(0, this.active).map((_, i) => this.request(i, type, payload(i))));
  }

  message(i, m) {
    if (m.type !== 'reply') {
      this.onNotice(i, m);
      return;
    }
    if (m.timing && m.timing.length) this.onTiming(i, m.timing);
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(Object.assign(new Error(m.error), {fatal: m.fatal}));
    if (m.fatal) this.onDied(this.count > 1 ? `Worker ${i + 1}: ${m.error}` : m.error);
  }

  /**
   * load hands the Go core (module, a promise of a compiled
   * WebAssembly.Module) and MNIST (data, a promise of the idx files) to
   * every worker as soon as each arrives (the Go core starts while MNIST
   * still downloads) and makes the workers replicas; shared says the idx
   * buffers are SharedArrayBuffers every worker can read, else they are
   * transferred to worker 0 alone. It resolves with worker 0's start result
   * (defaults, presets, options, figures, kinds, features).
   */
  async load({module, data, shared}) {
    // start is posted in a reaction to module registered before the one that
    // posts data (Promise.all reacts later still): every worker gets start first.
    const started = module.then(m => this.all('start', () => ({module: m})));
    const fed = Promise.all([data, module]).then(([d]) => {
      if (shared) return this.all('data', () => ({data: d}));
      return this.request(0, 'data', {data: d}, d.map(a => a.buffer));
    });
    const [starts] = await Promise.all([started, fed]);
    this.layout = starts[0].reducer;
    this.requests = new Set(starts[0].requests);
    if (this.count > 1) await this.all('shard', i => ({index: i, count: this.count}));
    return starts[0];
  }

  /**
   * replicate repeats on workers 1.. the request that worker 0 has just
   * accepted (init or import), if worker 0 holds a replica (r.sharded), then
   * gives all workers a fresh gradient buffer sized for a model of r.params
   * parameters; a model that cannot be sharded trains in worker 0 alone. A
   * replica that refuses what worker 0 took is a fatal error: the replicas
   * would no longer match.
   */
  async replicate(type, payload, r) {
    this.active = r.sharded ? this.count : 1;
    this.onChange();
    if (this.active === 1) return;
    try {
      await Promise.all(this.workers.slice(1).map((_, j) => this.request(j + 1, type, payload())));
      await this.newReducer(r.params);
    } catch (e) {
      if (!e.fatal) this.onDied(`The workers disagree: worker 1 accepted a model that another refused (${e.message}).`);
      throw Object.assign(e, {fatal: true});
    }
  }

  /** newReducer gives all workers a fresh gradient buffer sized for a model of params parameters. */
  async newReducer(params) {
    // Each slot holds one network's gradient: at most the whole model's parameters.
    const slotBytes = Math.ceil(params * 4 / 64) * 64;
    this.reducerSab = new SharedArrayBuffer(this.layout.headerBytes + 2 * this.count * slotBytes);
    await this.all('reducer', () => ({sab: this.reducerSab, slotBytes}));
  }

  /**
   * initAll builds the model of config json in every worker at once and
   * resolves with worker 0's result. It is for workers that hold no model yet:
   * there is nothing to keep should worker 0 refuse the config, so the replicas
   * need not wait for it. All refusing is an ordinary error (worker 0's); some
   * refusing is fatal, as in replicate. A model that cannot be sharded trains
   * in worker 0 alone (the others hold an idle copy).
   */
  async initAll(json) {
    const rs = await Promise.allSettled(this.workers.map((_, i) => this.request(i, 'init', {config: json})));
    const bad = rs.filter(x => x.status === 'rejected').map(x => x.reason);
    const fatalOne = bad.find(e => e.fatal);
    if (fatalOne) throw fatalOne;
    if (bad.length === rs.length) throw bad[0];
    try {
      if (bad.length) throw new Error(bad[0].message);
      this.active = rs[0].value.sharded ? this.count : 1;
      this.onChange();
      if (this.active > 1) await this.newReducer(rs[0].value.params);
    } catch (e) {
      if (!e.fatal) this.onDied(`The workers disagree: some accepted a model that another refused (${e.message}).`);
      throw Object.assign(e, {fatal: true});
    }
    return rs[0].value;
  }
}
