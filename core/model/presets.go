package model

// Presets returns the named configs the page and the CLI (--preset) offer:
// "default" (Defaults) and every registered kind's own (Kind.Presets: one
// per kind or variant with the defaults reference implementations use,
// and the paper's rows, each in the kind's package with where its numbers
// come from; REPRODUCTION.md says how the paper-* ones were found).
func Presets() map[string]Config {
	all := map[string]Config{"default": Defaults()}
	for _, k := range registry {
		for name, edit := range k.Presets {
			c := Defaults()
			edit(&c)
			all[name] = c
		}
	}
	return all
}

// PaperNets gives every network of c the paper's two 1000-unit ReLU
// layers, as the paper gives for its likelihood model and its §6-§7
// experiments, and holds out the last 1,000 training digits for
// validation (σ of the Parzen window, labelling clusters; the paper's
// Parzen protocol holds out a validation set, its size is ours): the
// paper-* presets of the table (REPRODUCTION.md, latentlab reproduce).
func PaperNets(c *Config) {
	c.Encoder, c.Discriminator, c.Valid = []int{1000, 1000}, []int{1000, 1000}, 1000
}
