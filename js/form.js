// The config form: one field per config field of the Go core's option
// table (model.Options: label, doc, allowed values, bounds), laid out here
// (how wide a field is, and when it shows), the preset menu, the config
// remembered across reloads (localStorage) and the address that carries a
// set-up (?preset=NAME&key=value...). It holds no model: app.js builds what
// the form describes.
import * as ui from './ui.js';

const $ = id => document.getElementById(id);
const STORAGE_KEY = 'latentlab.config.v1';

/**
 * createForm wires the form. core() returns what the Go core said at start:
 * {defaults, presets, kinds, optionTable}; model() the model in the workers
 * ({config, ...}) or null; onPreset(name) is called when a visitor chooses a
 * preset in the menu.
 */
export function createForm({core, model, onPreset}) {
  const params = new URLSearchParams(location.search);
  // How each config field is laid out, and shown for which configs (show(kind,
  // config); no show: always). Which kinds a field is for is the Go core's:
  // each kind lists the fields it reads (Kind.Fields), which the option table
  // gives as Option.Kinds; this form names no kind. Fields the Go core adds
  // later without an entry here still appear (labelled by their key, typed by
  // their default value).
  const LAYOUT = {
    model: {full: true},
    encoder: {full: true},
    discriminator: {full: true},
    noise: {show: (k, c) => c.posterior === 'universal'},
    lr_schedule: {full: true},
    beta1: {show: (k, c) => c.optimizer === 'adam'},
    beta2: {show: (k, c) => c.optimizer === 'adam'},
    momentum: {show: (k, c) => c.optimizer === 'sgd'},
  };

  /**
   * field returns the form's description of config field key: the Go core's
   * option and its layout here; a field the Go core gives kinds (Option.Kinds)
   * is shown for those alone.
   */
  function field(key) {
    const o = core().optionTable.find(x => x.key === key) || {key, label: key, doc: key};
    const layout = LAYOUT[key] || {};
    const show = o.kinds
      ? (k, c) => (!k || o.kinds.includes(k.name)) && (!layout.show || layout.show(k, c))
      : layout.show;
    return {
      label: o.label, tip: o.doc, list: !!o.list, text: !!o.text, placeholder: o.example || '',
      options: o.choices ? Object.fromEntries(o.choices.map(c => [c.value, c.label])) : undefined,
      min: o.min, step: o.integer ? 1 : 'any',
      ...layout, show,
    };
  }



  function buildForm() {
    const form = $('config');
    form.replaceChildren();
    const known = core().optionTable.map(o => o.key).filter(k => k in core().defaults);
    for (const key of [...known, ...Object.keys(core().defaults).filter(k => !known.includes(k))]) {
      const meta = field(key);
      const def = core().defaults[key];
      const wrap = document.createElement('label');
      wrap.className = 'field' + (meta.full ? ' full' : '');
      wrap.title = meta.tip || key;
      const name = document.createElement('span');
      name.textContent = meta.label;
      let input;
      if (key === 'model') {
        input = document.createElement('select');
        for (const k of Object.values(core().kinds)) {
          const o = new Option(k.name, k.name);
          o.title = k.doc;
          input.add(o);
        }
      } else if (meta.text) {
        input = document.createElement('input');
        input.type = 'text';
        input.placeholder = meta.placeholder || '';
      } else if (meta.options || (typeof def === 'string' && !meta.list) || typeof def === 'boolean') {
        input = document.createElement('select');
        const opts = meta.options || (typeof def === 'boolean' ? {false: 'off', true: 'on'} : {[def]: def});
        for (const [v, text] of Object.entries(opts)) input.add(new Option(text, v));
      } else if (meta.list || Array.isArray(def)) {
        input = document.createElement('input');
        input.type = 'text';
        input.pattern = '\\s*\\d+(\\s*,\\s*\\d+)*\\s*';
        input.placeholder = 'e.g. 512, 256';
      } else {
        input = document.createElement('input');
        input.type = 'number';
        input.step = meta.step ?? 'any';
        if (meta.min !== undefined) input.min = meta.min;
        input.required = true;
      }
      input.id = `cfg-${key}`;
      input.name = key;
      wrap.append(name, input);
      form.append(wrap);
    }
    form.oninput = onFormChange;
    form.onsubmit = e => e.preventDefault();
    const sel = $('preset');
    sel.replaceChildren(...presetNames().map(name => {
      const o = new Option(name, name);
      const k = core().kinds[core().presets[name].model];
      o.title = k ? `${k.name}: ${k.doc}` : core().presets[name].model;
      return o;
    }), new Option('custom', 'custom'));
    sel.onchange = () => {
      if (core().presets[sel.value]) {
        setForm(core().presets[sel.value]);
        onFormChange();
        onPreset(sel.value);
      }
    };
  }

  /** presetNames lists the presets: default and paper first, then by name. */
  function presetNames() {
    const first = ['default', 'paper'].filter(n => n in core().presets);
    return [...first, ...Object.keys(core().presets).filter(n => !first.includes(n)).sort()];
  }

  function setForm(config) {
    for (const key of Object.keys(core().defaults)) {
      const input = $(`cfg-${key}`);
      const v = key in config ? config[key] : core().defaults[key];
      input.value = Array.isArray(v) ? v.join(', ') : String(v);
    }
    updateFormHints();
  }

  /**
   * parseValue reads the text of a config field (a form input, an address
   * parameter) as the type of its default def: a list of positive integers
   * (comma-separated), a number, a boolean, or the text itself. It returns
   * {value} or, for text that is none of these, {wrong: what was expected}.
   */
  function parseValue(def, raw) {
    const text = raw.trim();
    if (Array.isArray(def)) {
      const nums = text === '' ? [] : text.split(',').map(s => Number(s.trim()));
      return nums.every(n => Number.isInteger(n) && n > 0) ? {value: nums} : {wrong: `expected comma-separated positive integers, got "${text}"`};
    }
    if (typeof def === 'number') {
      const n = Number(text);
      return text !== '' && Number.isFinite(n) ? {value: n} : {wrong: `expected a number, got "${text}"`};
    }
    if (typeof def === 'boolean') {
      return text === 'true' || text === 'false' ? {value: text === 'true'} : {wrong: `expected true or false, got "${text}"`};
    }
    return {value: raw};
  }

  /**
   * readForm returns the config the form describes, or throws an Error naming
   * the bad fields. A field the Go core gives other kinds (Option.Kinds),
   * hidden for this one, reads as its default: the Go core refuses it set.
   */
  function readForm() {
    const config = {};
    const bad = [];
    const kindName = $('cfg-model') ? $('cfg-model').value : core().defaults.model;
    for (const key of Object.keys(core().defaults)) {
      const input = $(`cfg-${key}`);
      const meta = field(key);
      const def = core().defaults[key];
      const o = core().optionTable.find(x => x.key === key);
      if (o && o.kinds && !o.kinds.includes(kindName)) {
        config[key] = def;
        continue;
      }
      const {value, wrong} = parseValue(def, input.value);
      if (wrong) bad.push(`${meta.label}: ${wrong}`);
      config[key] = value;
    }
    if (bad.length) throw new Error(bad.join('; '));
    return config;
  }

  function onFormChange() {
    updateFormHints();
    try {
      saveConfig(readForm());
    } catch {
      // an unfinished edit: keep the last good config stored
    }
  }

  function updateFormHints() {
    let c;
    try {
      c = readForm();
    } catch {
      c = null;
    }
    // Show the fields the chosen kind uses (see LAYOUT).
    const kindName = $('cfg-model') ? $('cfg-model').value : core().defaults.model;
    const kind = core().kinds[kindName];
    const form = {optimizer: $('cfg-optimizer') ? $('cfg-optimizer').value : '', posterior: $('cfg-posterior') ? $('cfg-posterior').value : ''};
    for (const key of Object.keys(core().defaults)) {
      const input = $(`cfg-${key}`);
      const {show} = field(key);
      if (!input) continue;
      input.parentElement.hidden = !!show && !show(kind, form);
    }
    if ($('cfg-encoder')) {
      const enc = kind && kind.caps && kind.caps.encoder;
      $('cfg-encoder').previousElementSibling.textContent = enc ? 'Encoder widths' : 'Hidden widths';
    }
    const doc = $('kind-doc');
    doc.textContent = kind ? kind.doc : '';
    doc.title = kind ? `Kind "${kind.name}"` : '';
    const same = (a, b) => a && b && Object.keys(core().defaults).every(k => JSON.stringify(a[k]) === JSON.stringify(b[k]));
    $('preset').value = presetNames().find(name => same(c, {...core().defaults, ...core().presets[name]})) || 'custom';
    $('preset').title = kind ? `${$('preset').value}: ${kind.name}, ${kind.doc}. Press Reset to build it.` : 'Fill the form with a named configuration; press Reset to build it';
    const m = model();
    const dirty = !!m && !same(c, m.config);
    // Only fields the model may change as it trains (model.Tunable): Apply
    // changes them live, keeping the weights and the optimizers' state.
    const differ = dirty ? Object.keys(core().defaults).filter(k => JSON.stringify(c[k]) !== JSON.stringify(m.config[k])) : [];
    const live = differ.length > 0 && differ.every(k => (core().optionTable.find(o => o.key === k) || {}).tunable);
    const note = $('config-note');
    note.textContent = live ? 'changed — Apply keeps training with it, Reset starts afresh' : dirty ? 'changed — press Reset to apply' : 'applies on Reset';
    note.classList.toggle('dirty', dirty);
    $('apply-live').hidden = !live;
  }

  /** readStoredConfig returns the remembered config if it is well formed, else null (and forgets it). */
  function readStoredConfig() {
    let raw;
    try {
      raw = localStorage.getItem(STORAGE_KEY);
    } catch {
      return null;
    }
    if (raw === null) return null;
    try {
      const c = JSON.parse(raw);
      if (!c || typeof c !== 'object' || Array.isArray(c)) throw new Error('not an object');
      const out = {...core().defaults};
      for (const [k, def] of Object.entries(core().defaults)) {
        if (!(k in c)) continue;
        const v = c[k];
        const ok = Array.isArray(def)
          ? Array.isArray(v) && v.every(n => Number.isInteger(n) && n > 0)
          : typeof v === typeof def && (typeof v !== 'number' || Number.isFinite(v));
        if (!ok) throw new Error(`bad ${k}`);
        out[k] = v;
      }
      return out;
    } catch {
      try { localStorage.removeItem(STORAGE_KEY); } catch { /* storage unavailable */ }
      return null;
    }
  }

  function saveConfig(config) {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(config));
    } catch {
      // storage full or disabled: the page still works, it just forgets
    }
  }

  /**
   * addressConfig returns the config the address asks for: ?preset=NAME
   * (else the defaults) with any config field given as ?key=value on top
   * (lists comma-separated), and the fields it names; null if it names none.
   * Unknown presets and values the form would refuse are shown as an error
   * and left out.
   */
  function addressConfig() {
    const name = params.get('preset');
    const keys = Object.keys(core().defaults).filter(k => params.has(k));
    if (name === null && !keys.length) return null;
    const want = {};
    if (name !== null) {
      if (core().presets[name]) Object.assign(want, core().presets[name]);
      else ui.showError(`Unknown preset "${name}" in the address; known: ${Object.keys(core().presets).join(', ')}.`);
    }
    const bad = [];
    for (const k of keys) {
      const {value, wrong} = parseValue(core().defaults[k], params.get(k));
      if (wrong) bad.push(k);
      else want[k] = value;
    }
    if (bad.length) ui.showError(`The address gives ${bad.join(', ')} values that are not valid; they were left out.`);
    return {config: {...core().defaults, ...want}, want};
  }

  /**
   * writeAddress puts the model's set-up in the address (history.replaceState):
   * the preset it differs least from and the fields it changes, so that the
   * link builds the same model. Other parameters stay.
   */
  function writeAddress(config) {
    const diff = base => Object.keys(core().defaults).filter(k => JSON.stringify(config[k]) !== JSON.stringify(base[k]));
    let best = null;
    for (const name of presetNames()) {
      const d = diff({...core().defaults, ...core().presets[name]});
      if (!best || d.length < best.d.length) best = {name, d};
    }
    const q = new URLSearchParams(location.search);
    for (const k of Object.keys(core().defaults)) q.delete(k);
    q.set('preset', best.name);
    for (const k of best.d) q.set(k, Array.isArray(config[k]) ? config[k].join(',') : String(config[k]));
    const url = `${location.pathname}?${q}${location.hash}`;
    if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
  }


  return {
    build: buildForm, set: setForm, read: readForm, hints: updateFormHints, readStored: readStoredConfig,
    save: saveConfig, address: addressConfig, writeAddress, presetNames, parseValue,
  };
}
