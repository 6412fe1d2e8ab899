// The page's state machine: which state the page is in, which states it can
// go to from there, which controls work in each, and the facts beside the
// state that decide what the page may do: the model's step (has it
// trained?), the task that has the model to itself (busy) and whether the
// training loop is wanted (running). The page's code asks for transitions
// (go) and sets the facts here; the DOM only shows them (body[data-state],
// the pill, the step, the controls' disabled flags), it is never read back.
// A transition the table does not allow is a bug: go throws and the state
// stays; a control pressed in a state that does not allow it is refused
// (can).
//
//   loading     the Go core and MNIST are on their way to the workers
//   ready       a model that has not trained yet
//   building    a model is being replaced (Reset, a preset, Import, a restore)
//   training    the training loop runs rounds
//   pausing     Pause was pressed: the round in flight finishes
//   paused      a model that has trained, not training now
//   evaluating  the test set is being measured (training, if it ran, is held)
//   error       the workers died; Restart offers to begin again

export const STATES = ['loading', 'ready', 'building', 'training', 'pausing', 'paused', 'evaluating', 'error'];

/** TRANSITIONS lists, for each state, the states the page may go to from it. */
export const TRANSITIONS = {
  loading: ['ready', 'paused', 'building', 'error'],
  ready: ['training', 'building', 'evaluating', 'loading', 'error'],
  building: ['ready', 'paused', 'error', 'loading'],
  // A run that ends itself (?steps=N done, a diverged loss) goes straight to paused.
  training: ['pausing', 'paused', 'ready', 'building', 'evaluating', 'error', 'loading'],
  pausing: ['paused', 'ready', 'building', 'error', 'loading'],
  paused: ['training', 'building', 'evaluating', 'loading', 'error'],
  evaluating: ['ready', 'paused', 'training', 'error', 'loading'],
  error: ['loading', 'ready', 'paused', 'building'],
};

/** CONTROLS lists, for each control, the states in which it works. */
export const CONTROLS = {
  train: ['ready', 'training', 'paused'],   // Train, Pause, Resume (and Space)
  start: ['ready', 'paused'],               // the training loop may start
  pause: ['training', 'pausing'],           // the training loop runs, and may be asked to stop
  reset: ['ready', 'training', 'paused'],   // Reset, a preset, Start fresh, Revert
  evaluate: ['ready', 'training', 'paused'],
  download: ['ready', 'training', 'paused'],
  import: ['ready', 'training', 'paused'],
  workers: ['ready', 'training', 'paused'],
  task: ['ready', 'training', 'paused'],    // the step controls, Draw, Score (none while another task is busy)
};

export class Machine {
  /**
   * show is {state(state, machine), position(r)}: state shows the state and
   * the controls after every transition and change of busy; position shows
   * where training is (r: {step, epoch, epochProgress}).
   */
  constructor(show) {
    this.show = show;
    this.current = 'loading';
    this.step = 0;         // the model's training steps
    this.busy = null;      // the task that has the model to itself (evaluate, step, sample, score), or null
    this.running = false;  // the training loop is wanted
  }

  get state() {
    return this.current;
  }

  /** go moves to state next (staying is always allowed) and shows it; a transition the table forbids throws. */
  go(next) {
    if (!STATES.includes(next)) throw new Error(`the page has no state "${next}"`);
    if (next !== this.current && !TRANSITIONS[this.current].includes(next)) {
      throw new Error(`the page cannot go from ${this.current} to ${next}`);
    }
    this.current = next;
    this.show.state(next, this);
  }

  /** can says whether control works in the current state (a task, also only while none is busy). */
  can(control) {
    return CONTROLS[control].includes(this.current) && !(control === 'task' && this.busy);
  }

  /** settled is the state of a model that is not training: paused once it has trained, else ready. */
  settled() {
    return this.step > 0 ? 'paused' : 'ready';
  }

  /** position records where training is, r: {step, epoch, epochProgress}, and shows it. */
  position(r) {
    this.step = r.step;
    this.show.position(r);
  }

  /** hold makes task what (or null: none) the one that has the model to itself, and shows the controls. */
  hold(what) {
    this.busy = what;
    this.show.state(this.current, this);
  }
}
