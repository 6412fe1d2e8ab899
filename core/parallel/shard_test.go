package parallel_test

import (
	"strings"
	"testing"

	"latentlab/core/model"
	"latentlab/core/parallel"
)

// TestShardCheckConfig: a shard must fit the batch, and batch norm or
// dropout keep a model in one replica.
func TestShardCheckConfig(t *testing.T) {
	s := &parallel.Shard{Index: 1, Count: 2, Reduce: func([]float32, int, int) {}, Gather: func([]float32, int, int) {}}
	c := model.Defaults()
	if err := s.CheckConfig(c); err != nil {
		t.Errorf("default config: %v", err)
	}
	for _, tc := range []struct {
		edit func(*model.Config)
		want string
	}{
		{func(c *model.Config) { c.BatchNorm = true }, "batch normalisation"},
		{func(c *model.Config) { c.Dropout = 0.25 }, "dropout"},
		{func(c *model.Config) { c.Batch = 1 }, "2 replicas for a batch of 1"},
	} {
		c := model.Defaults()
		tc.edit(&c)
		if err := s.CheckConfig(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one mentioning %q", err, tc.want)
		}
	}
}
