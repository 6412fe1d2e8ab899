package train_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"latentlab/core/model"
	"latentlab/core/parallel"
	"latentlab/core/safetensors"
	"latentlab/core/train"
)

func decodeFile(t *testing.T, b []byte) *safetensors.File {
	t.Helper()
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func checkpointOf(t *testing.T, s *train.Session) []byte {
	t.Helper()
	b, err := s.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResumeAcrossEpochs: checkpointed two steps before the end of an
// epoch, with a labelled subset (two batch orders), a resumed session
// crosses into the next epoch exactly as the one that went on: same
// losses, epochs, progress and checkpoint bytes.
func TestResumeAcrossEpochs(t *testing.T) {
	c := small()
	c.Prior, c.Labels = "mixture", 500
	c.LRSchedule = "step:1:0.5" // halved from epoch 1: the resumed run must halve at the same step
	s := session(t, c)
	for range 38 { // 40 steps an epoch
		s.Step()
	}
	tr, te := subset(t)
	r, err := train.Resume(decodeFile(t, checkpointOf(t, s)), tr, te, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if a, b := s.Step(), r.Step(); a != b || s.Epoch() != r.Epoch() || s.Progress() != r.Progress() {
			t.Fatalf("step %d: went on %v (epoch %d + %v), resumed %v (epoch %d + %v)", 39+i, a, s.Epoch(), s.Progress(), b, r.Epoch(), r.Progress())
		}
	}
	if r.Epoch() != 1 {
		t.Fatalf("43 steps of 40 an epoch: epoch %d", r.Epoch())
	}
	if string(checkpointOf(t, s)) != string(checkpointOf(t, r)) {
		t.Error("checkpoints differ after the epoch boundary")
	}
}

// TestResumeRefuses: what is no checkpoint of this training is refused
// with a message saying why, and builds nothing.
func TestResumeRefuses(t *testing.T) {
	s := session(t, small())
	s.Step()
	good := checkpointOf(t, s)
	tr, te := subset(t)
	weights, err := model.Encode(s.Model, s.Steps, safetensors.F32)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.Resume(decodeFile(t, weights), tr, te, nil); !errors.Is(err, train.ErrNotCheckpoint) {
		t.Errorf("weights alone: %v", err)
	}
	if _, err := train.Resume(decodeFile(t, good), te, te, nil); err == nil || !strings.Contains(err.Error(), "same training set") {
		t.Errorf("another training set: %v", err)
	}
	for name, edit := range map[string]func(*safetensors.File){
		"order not a permutation": func(f *safetensors.File) {
			for _, ts := range f.Tensors {
				if ts.Name == model.StatePrefix+"batches.order" {
					ts.Ints[1] = ts.Ints[0]
				}
			}
		},
		"position past the epoch": func(f *safetensors.File) {
			for _, ts := range f.Tensors {
				if ts.Name == model.StatePrefix+"batches.position" {
					ts.Ints[0] = 40
				}
			}
		},
		"epochs past its steps": func(f *safetensors.File) {
			for _, ts := range f.Tensors {
				if ts.Name == model.StatePrefix+"batches.position" {
					ts.Ints[1] = 60001
				}
			}
		},
		"negative optimizer step": func(f *safetensors.File) {
			for _, ts := range f.Tensors {
				if strings.HasSuffix(ts.Name, ".step") {
					ts.Ints[0] = -1
				}
			}
		},
		"an optimizer missing": func(f *safetensors.File) {
			f.Tensors = slicesDelete(f.Tensors, model.StatePrefix+"optim.decoder.exp_avg")
		},
		"curves malformed": func(f *safetensors.File) {
			f.Meta["training"] = `{"curves": {"recon": {"x": [1, 2], "y": [3]}}}`
		},
	} {
		f := decodeFile(t, good)
		edit(f)
		if _, err := train.Resume(f, tr, te, nil); err == nil {
			t.Errorf("%s: resumed", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	_, err = train.Resume(decodeFile(t, good), tr, te, func(c model.Config) (model.Config, error) {
		asked := c
		asked.Batch, asked.LRRecon = 25, c.LRRecon/2
		_, err := model.Retune(c, asked)
		return asked, err
	})
	if err == nil || !strings.Contains(err.Error(), "batch 25 (the model has 50)") || strings.Contains(err.Error(), "lr_recon 0") {
		t.Errorf("a new batch size: %v", err)
	}
	r, err := train.Resume(decodeFile(t, good), tr, te, func(c model.Config) (model.Config, error) {
		asked := c
		asked.LRRecon = c.LRRecon / 2
		changed, err := model.Retune(c, asked)
		if len(changed) != 1 || changed[0] != "lr_recon" {
			t.Errorf("changed %v", changed)
		}
		return asked, err
	})
	if err != nil || r.Model.Config().LRRecon != small().LRRecon/2 {
		t.Errorf("a new learning rate: %v", err)
	}
}

func slicesDelete(ts []safetensors.Tensor, name string) []safetensors.Tensor {
	var out []safetensors.Tensor
	for _, t := range ts {
		if t.Name != name {
			out = append(out, t)
		}
	}
	return out
}

// TestGatherState: each data-parallel replica's optimizers hold only its
// part of the moments; after GatherState on every replica, both hold all
// of them and checkpoint to the same bytes.
func TestGatherState(t *testing.T) {
	c := small()
	reps := []*train.Session{session(t, c), session(t, c)}
	group := parallel.Group(2)
	for r, s := range reps {
		if err := s.Model.(parallel.Sharder).SetShard(group[r]); err != nil {
			t.Fatal(err)
		}
	}
	run := func(f func(r int, s *train.Session)) {
		var wg sync.WaitGroup
		for r, s := range reps {
			wg.Go(func() { f(r, s) })
		}
		wg.Wait()
	}
	run(func(_ int, s *train.Session) {
		for range 3 {
			s.Step()
		}
	})
	if string(checkpointOf(t, reps[0])) == string(checkpointOf(t, reps[1])) {
		t.Fatal("replicas' checkpoints agree before GatherState: the test shows nothing")
	}
	run(func(r int, s *train.Session) { s.GatherState(group[r]) })
	if string(checkpointOf(t, reps[0])) != string(checkpointOf(t, reps[1])) {
		t.Error("replicas' checkpoints differ after GatherState")
	}
}

// TestShardedResume: replicas that gather their state, checkpoint and
// resume as replicas take the same steps as replicas that went on.
func TestShardedResume(t *testing.T) {
	c := small()
	tr, te := subset(t)
	shard := func(ss []*train.Session) []*parallel.Shard {
		group := parallel.Group(len(ss))
		for r, sh := range group {
			if err := ss[r].Model.(parallel.Sharder).SetShard(sh); err != nil {
				t.Fatal(err)
			}
		}
		return group
	}
	run := func(ss []*train.Session, f func(r int, s *train.Session)) {
		var wg sync.WaitGroup
		for r, s := range ss {
			wg.Go(func() { f(r, s) })
		}
		wg.Wait()
	}
	went := []*train.Session{session(t, c), session(t, c)}
	group := shard(went)
	run(went, func(_ int, s *train.Session) {
		for range 3 {
			s.Step()
		}
	})
	var b []byte
	run(went, func(r int, s *train.Session) {
		s.GatherState(group[r])
		if r == 0 {
			b = checkpointOf(t, s)
		}
	})
	var resumed []*train.Session
	for range 2 {
		s, err := train.Resume(decodeFile(t, b), tr, te, nil)
		if err != nil {
			t.Fatal(err)
		}
		resumed = append(resumed, s)
	}
	shard(resumed)
	want, got := make([]model.Losses, 2), make([]model.Losses, 2)
	run(went, func(r int, s *train.Session) { want[r] = s.Step() })
	run(resumed, func(r int, s *train.Session) { got[r] = s.Step() })
	if want[0] != got[0] || want[1] != got[1] {
		t.Errorf("losses %v went on, %v resumed", want, got)
	}
}

// TestValidHeldOut: Config.Valid holds out the last digits of the training
// set: the session's Valid, which batches never draw (an epoch is the
// rest), and a checkpoint of it resumes.
func TestValidHeldOut(t *testing.T) {
	c := small()
	c.Valid = 1000
	s := session(t, c)
	if s.Valid == nil || s.Valid.N != 1000 || s.Train.N != 2000 {
		t.Fatalf("valid %v of %d", s.Valid, s.Train.N)
	}
	for range 20 { // 1000 digits left, 50 a batch
		s.Step()
	}
	if s.Epoch() != 1 || s.StepsPerEpoch() != 20 {
		t.Errorf("20 steps of 50 over 1000 digits: epoch %d, %d steps an epoch", s.Epoch(), s.StepsPerEpoch())
	}
	tr, te := subset(t)
	if _, err := train.Resume(decodeFile(t, checkpointOf(t, s)), tr, te, nil); err != nil {
		t.Error(err)
	}
	c.Valid = 2000
	if _, err := train.New(newModel(t, c), tr, te, 0); err == nil || !strings.Contains(err.Error(), "holds out all") {
		t.Errorf("valid of the whole set: %v", err)
	}
}

// TestScheduleApplies: a schedule leaves the first epoch as it is and
// changes the steps after its epoch boundary.
func TestScheduleApplies(t *testing.T) {
	c := small()
	plain := session(t, c)
	c.LRSchedule = "step:1:0.1"
	decayed := session(t, c)
	for i := range 45 { // 40 steps an epoch
		a, b := plain.Step(), decayed.Step()
		switch {
		case i < 40 && a != b:
			t.Fatalf("step %d, epoch 0: %v without a schedule, %v with", i+1, a, b)
		case i == 44 && a == b:
			t.Fatal("the schedule changed nothing after its epoch")
		}
	}
	if f := decayed.LRFactor(); f != 0.1 {
		t.Errorf("factor %v in epoch 1", f)
	}
}
