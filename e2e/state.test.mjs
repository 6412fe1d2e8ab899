// Unit tests of the page's state machine (js/state.js) under Node: the
// table is closed (every state it names exists, every state can be left),
// a forbidden transition throws and changes nothing, the controls work
// only where the table says, and the facts beside the state (step, busy). The module is the page's own file, loaded as
// an ES module from a scratch copy (js/ has no package.json of its own).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-state-'));
fs.copyFileSync(path.join(JS, 'state.js'), path.join(dir, 'state.mjs'));
const {Machine, STATES, TRANSITIONS, CONTROLS} = await import(pathToFileURL(path.join(dir, 'state.mjs')));
fs.rmSync(dir, {recursive: true, force: true});

test('the table is closed: every state has its transitions, every target is a state, error can be left', () => {
  assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...STATES].sort());
  for (const [from, tos] of Object.entries(TRANSITIONS)) {
    for (const to of tos) assert.ok(STATES.includes(to), `${from} → ${to}: no such state`);
    assert.ok(tos.length > 0, `${from} is a dead end`);
    assert.ok(from === 'error' || tos.includes('error'), `${from} cannot fail`);
  }
  for (const [control, states] of Object.entries(CONTROLS)) {
    for (const s of states) assert.ok(STATES.includes(s), `control ${control} in unknown state ${s}`);
  }
});

test('a training run: ready → training → pausing → paused, each rendered once; forbidden moves throw and change nothing', () => {
  const seen = [];
  const m = new Machine({state: s => seen.push(s), position: () => {}});
  assert.equal(m.state, 'loading');
  for (const s of ['ready', 'training', 'pausing', 'paused']) m.go(s);
  assert.deepEqual(seen, ['ready', 'training', 'pausing', 'paused']);
  assert.throws(() => m.go('pausing'), /cannot go from paused to pausing/);
  assert.throws(() => m.go('nowhere'), /no state "nowhere"/);
  assert.equal(m.state, 'paused', 'a refused transition leaves the state');
  m.go('paused'); // staying re-renders
  assert.equal(seen.at(-1), 'paused');
});

test('controls: Train and Reset are refused while building, pausing or evaluating; a model being replaced cannot be trained', () => {
  const m = new Machine({state: () => {}, position: () => {}});
  m.go('ready');
  assert.ok(m.can('train') && m.can('reset') && m.can('evaluate'));
  m.go('building');
  for (const c of Object.keys(CONTROLS)) assert.equal(m.can(c), false, `${c} while building`);
  m.go('ready');
  m.go('training');
  m.go('evaluating');
  assert.equal(m.can('train'), false, 'no Pause in the middle of an evaluation');
  assert.equal(m.can('evaluate'), false, 'one evaluation at a time');
  m.go('training');
  m.go('pausing');
  assert.equal(m.can('train'), false, 'Pause is not pressed twice');
  assert.throws(() => m.go('training'), /cannot go from pausing to training/);
  m.go('paused');
  m.go('training');
  m.go('paused'); // a run that ends itself (?steps=N, a diverged loss)
});

test('the facts beside the state: the step decides where a stopped training goes, a busy task holds the task controls', () => {
  const shown = [], positions = [];
  const m = new Machine({state: (s, mm) => shown.push([s, mm.can('task')]), position: r => positions.push(r.step)});
  m.go('ready');
  assert.equal(m.settled(), 'ready', 'a model that has not trained is ready');
  m.position({step: 30, epoch: 0, epochProgress: 0.05});
  assert.deepEqual(positions, [30]);
  assert.equal(m.step, 30);
  assert.equal(m.settled(), 'paused', 'a model that has trained is paused');
  assert.ok(m.can('start') && !m.can('pause'));
  m.go('training');
  assert.ok(m.can('pause') && !m.can('start'));
  assert.ok(m.can('task'));
  m.hold('evaluate');
  assert.equal(m.can('task'), false, 'no second task while one has the model');
  assert.deepEqual(shown.at(-1), ['training', false], 'holding re-renders the controls');
  m.hold(null);
  assert.deepEqual(shown.at(-1), ['training', true]);
  m.go('pausing');
  assert.ok(m.can('pause'));
  m.go(m.settled());
  assert.equal(m.state, 'paused');
});
