// Package figures says, for people, what each number the project reports
// is: its label, unit and what good looks like.
package figures

// Figure says, for people, what a number the project reports is: a
// training loss (a kind's LossNames) or a test-set measure
// (train.Session.Metrics, a model.Evaluator's, latentlab eval's). The page
// labels its loss curves, stats strip and measures from this table
// (latentlab.figures()), and the names it holds are the only ones the page
// shows; a test checks that every kind's losses and measures are in it.
type Figure struct {
	Key        string `json:"key"`                  // the name in the code, JSON and files: "recon", "test_error"
	Label      string `json:"label"`                // what a person reads: "Reconstruction (BCE)"
	Short      string `json:"short,omitempty"`      // a shorter label for tight places ("Recon")
	Unit       string `json:"unit,omitempty"`       // "nats", "bits"; none for a probability or a ratio
	Percent    bool   `json:"percent,omitempty"`    // shown as a percentage
	Digits     int    `json:"digits,omitempty"`     // decimals shown (percentages: 2)
	Group      string `json:"group,omitempty"`      // figures drawn on one chart share a group ("D")
	GroupLabel string `json:"groupLabel,omitempty"` // that chart's title
	Good       string `json:"good"`                 // one line: what good looks like
}

// A loss of an adversarial phase balances at these when neither side wins:
// the discriminator's BCE on one real and one fake batch is 2 ln 2, the
// generator's ln 2.
const (
	goodDisc = "about 1.39 (2 ln 2) when it cannot tell the two apart; near 0 it wins and its opponent learns nothing"
	goodGen  = "about 0.69 (ln 2) at balance; climbing for long means the discriminator is winning"
)

// Figures lists every figure, losses first, each kind's in its LossNames
// order, then the measures in the order the page lists them.
var All = []Figure{
	// Losses.
	{Key: "recon", Label: "Reconstruction (BCE)", Short: "Recon", Unit: "nats", Digits: 2, Good: "falls: an untrained model scores about 543 nats per digit (784 ln 2), a good one under 100"},
	{Key: "disc", Label: "Discriminator (BCE)", Short: "Disc", Good: goodDisc},
	{Key: "gen", Label: "Generator (BCE)", Short: "Gen", Good: goodGen},
	{Key: "disc_y", Label: "Discriminator on the class (BCE)", Short: "Disc y", Good: goodDisc},
	{Key: "gen_y", Label: "Encoder's class as generator (BCE)", Short: "Gen y", Good: goodGen},
	{Key: "disc_z", Label: "Discriminator on the style (BCE)", Short: "Disc z", Good: goodDisc},
	{Key: "gen_z", Label: "Encoder's style as generator (BCE)", Short: "Gen z", Good: goodGen},
	{Key: "nll", Label: "Negative log-likelihood", Short: "NLL", Unit: "nats", Digits: 2, Good: "falls: nats a digit costs to encode; lower is better"},
	{Key: "kl", Label: "KL divergence to the prior", Short: "KL", Unit: "nats", Digits: 2, Good: "small but not zero: what the code costs; 0 means the code carries nothing"},
	{Key: "xent", Label: "Cross-entropy of the labels", Short: "Xent", Unit: "nats", Digits: 3, Good: "falls toward 0 on the labelled digits"},
	{Key: "acc", Label: "Accuracy (training batch)", Short: "Accuracy", Percent: true, Good: "rises toward 100 %"},
	{Key: "d_real", Label: "D(x) on real digits", Short: "real", Group: "D", GroupLabel: `D: probability of "real"`, Good: "about 0.5 at balance; near 1 with D(G(z)) near 0, the discriminator wins"},
	{Key: "d_fake", Label: "D(G(z)) on generated digits", Short: "fake", Group: "D", GroupLabel: `D: probability of "real"`, Good: "about 0.5 at balance; near 0, the generator is losing"},
	// Measures.
	{Key: "test_recon", Label: "Reconstruction", Unit: "nats", Digits: 2, Good: "lower is better: the paper's likelihood model reaches about 85 nats"},
	{Key: "valid_recon", Label: "Reconstruction, held-out digits", Unit: "nats", Digits: 2, Good: "close to the test figure; far above the training loss, the model overfits"},
	{Key: "test_nll", Label: "Negative log-likelihood", Unit: "nats", Digits: 2, Good: "lower is better: nats a test digit costs to encode"},
	{Key: "bits_per_pixel", Label: "Bits per pixel", Unit: "bits", Digits: 4, Good: "lower is better: the likelihood per pixel, in bits"},
	{Key: "test_error", Label: "Test error", Percent: true, Good: "lower is better: the paper reaches 1.90 % with 100 labels, 0.85 % with all"},
	{Key: "valid_error", Label: "Held-out error", Percent: true, Good: "close to the test error; it chooses among checkpoints without looking at the test set"},
	{Key: "cluster_error", Label: "Cluster error (majority labels)", Percent: true, Good: "lower is better: each cluster read as the digit most of its test digits are"},
	{Key: "valid_cluster_error", Label: "Cluster error, held-out digits", Percent: true, Good: "close to the test figure; it chooses among checkpoints without looking at the test set"},
	{Key: "cluster_error_valid", Label: "Cluster error (paper's labelling)", Percent: true, Good: "lower is better: each cluster read as the held-out digit it is surest of; the paper, 9.55 % with 16 clusters"},
	{Key: "test_kl", Label: "KL divergence to the prior", Unit: "nats", Digits: 2, Good: "what the codes cost; 0 means they carry nothing"},
	{Key: "test_neg_elbo", Label: "Negative ELBO", Unit: "nats", Digits: 2, Good: "lower is better: an upper bound on the negative log-likelihood"},
	{Key: "nn_accuracy", Label: "Nearest-neighbour accuracy of codes", Percent: true, Good: "higher is better: a test digit's nearest training code has its label"},
	{Key: "style_accuracy", Label: "Style accuracy", Percent: true, Good: "higher is better: a style decoded with label d reads as a d"},
	{Key: "parzen_ll", Label: "Parzen log-likelihood", Unit: "nats", Digits: 2, Good: "higher is better: the paper's AAE 340 ± 2; real training digits score about 243"},
	{Key: "parzen_se", Label: "Parzen log-likelihood, standard error", Unit: "nats", Digits: 2, Good: "the ± of the figure above: about 1.7 nats over 10,000 test digits"},
	{Key: "parzen_valid_ll", Label: "Parzen log-likelihood, validation digits", Unit: "nats", Digits: 2, Good: "close to the test figure; σ is chosen to make it highest"},
	{Key: "parzen_sigma", Label: "Parzen window σ", Digits: 4, Good: "the kernel width the validation digits chose, from 0.1 to 1; the paper preset's is about 0.17"},
	{Key: "sample_confidence", Label: "Sample confidence", Percent: true, Good: "higher is better: how sure a digit classifier is of the samples"},
	{Key: "sample_entropy", Label: "Class entropy of samples", Unit: "nats", Digits: 3, Good: "near 2.30 (ln 10): every digit drawn as often; 0, one digit only"},
	{Key: "sample_frechet", Label: "Fréchet distance", Digits: 1, Good: "lower is better: samples' features against the test digits'; untrained generators score about 620"},
}

// Of returns the figure named key.
func Of(key string) (Figure, bool) {
	for _, f := range All {
		if f.Key == key {
			return f, true
		}
	}
	return Figure{}, false
}
