package model

// Presets returns the named configs the page and the CLI (--preset) offer:
// "default" (Defaults), "paper" (the paper's likelihood model,
// 784-1000-1000-8 with a 1000-1000 discriminator), and one per kind or
// variant with the defaults reference implementations use, gathered here
// so there is one place to read them; each says where its numbers come
// from, and REPRODUCTION.md how the paper-* ones were found.
//
// A preset whose kind is not registered in this binary is left out.
func Presets() map[string]Config {
	all := map[string]Config{"default": Defaults()}
	paper := Defaults()
	paper.Encoder = []int{1000, 1000}
	paper.Discriminator = []int{1000, 1000}
	paper.Latent = 8
	all["paper"] = paper
	for name, edit := range variants {
		c := Defaults()
		edit(&c)
		all[name] = c
	}
	for name, c := range all {
		if _, ok := registry[c.Model]; !ok {
			delete(all, name)
		}
	}
	return all
}

// PresetKinds returns every preset's kind, including presets whose kind
// this binary does not register (Presets leaves those out).
func PresetKinds() map[string]string {
	out := map[string]string{"default": Defaults().Model, "paper": Defaults().Model}
	for name, edit := range variants {
		c := Defaults()
		edit(&c)
		out[name] = c.Model
	}
	return out
}

// variants edit Defaults into the preset of each kind or variant. Each
// says where its numbers come from.
var variants = map[string]func(*Config){
	// Plain autoencoder: the default model without its discriminator.
	"ae": func(c *Config) { c.Model = "ae" },
	// VAE (core/vae: Gaussian posterior, prior N(0, I)) on the same 2-D
	// latent as the default AAE, for the paper's Figure 2 comparison;
	// re-implementations use 784-400-20 with Adam 1e-3 (β1 = 0.9: nothing
	// adversarial) and batch 128 ("vae-20").
	"vae": func(c *Config) { c.Model, c.Posterior, c.PriorStd, c.Beta1 = "vae", "gaussian", 1, 0.9 },
	"vae-20": func(c *Config) {
		c.Model, c.Posterior, c.Encoder, c.Latent, c.PriorStd, c.Batch, c.Beta1 = "vae", "gaussian", []int{400}, 20, 1, 128, 0.9
	},
	// AAE encoders (paper §2): Gaussian posterior (the encoder gives μ and
	// log σ², codes z = μ + σ·ε) and universal approximator posterior (8
	// values of noise η ~ N(0, 1) fed to the encoder with x).
	"aae-gaussian":  func(c *Config) { c.Posterior = "gaussian" },
	"aae-universal": func(c *Config) { c.Posterior, c.Noise = "universal", 8 },
	// Priors (paper Figures 2 and 4).
	"aae-mixture":   func(c *Config) { c.Prior = "mixture" },
	"aae-swissroll": func(c *Config) { c.Prior = "swissroll" },
	"aae-uniform":   func(c *Config) { c.Prior = "uniform" },
	// Labels in the regulariser (paper §2.3, Figure 4: 10K labelled digits;
	// their pull on the codes shows after a few epochs).
	"aae-mixture-labels":   func(c *Config) { c.Prior, c.Labels = "mixture", 10000 },
	"aae-swissroll-labels": func(c *Config) { c.Prior, c.Labels = "swissroll", 10000 },
	// Supervised AAE (paper §5): the label goes to the decoder, z holds
	// style; a 2-D style so a person can pick it on the plot.
	"supervised": func(c *Config) { c.Model, c.Labels = "supervised", 60000 },
	// Semi-supervised AAE (paper §6): 100 labels (the paper's headline
	// row), 10 classes, 20-D style under N(0, I), of the scale of the
	// one-hot y beside it; batch norm in the encoder and decoder,
	// Gaussian noise σ = 0.4 on the encoder's input, and, as the
	// clustering's, the logits of y batch-normalised (scale 3) and the
	// regularisation at half the reconstruction's rate (core/semisup says
	// why).
	"semisupervised": func(c *Config) { semisupRecipe(c, 100) },
	// Unsupervised clustering (paper §7): 16 clusters, no labels, 5-D style
	// under N(0, I), batch norm, the logits of y batch-normalised (scale
	// 3), dropout 0.2 on the encoder's input, and the regularisation at
	// half the reconstruction's rate (core/semisup says why).
	"cluster": func(c *Config) { clusterRecipe(c, 16) },
	// GAN: generator 100-128-256-512-1024-784 with batch norm (its widths
	// are the encoder's reversed), discriminator 784-512-256-1 with
	// LeakyReLU(0.2), Adam 2e-4 with β1 = 0.5, batch 64.
	"gan": func(c *Config) {
		c.Model, c.Latent, c.Encoder, c.Discriminator = "gan", 100, []int{1024, 512, 256, 128}, []int{512, 256}
		c.Activation, c.BatchNorm, c.LRRecon, c.LRReg, c.Batch, c.PriorStd = "leakyrelu", true, 2e-4, 2e-4, 64, 1
	},
	// Autoencoder inside a GAN: the decoder doubles as generator.
	"aegan": func(c *Config) { c.Model, c.Latent, c.PriorStd, c.Discriminator = "aegan", 8, 1, []int{256, 256} },
	// BiGAN: z uniform on (−1, 1), LeakyReLU(0.2), β1 = 0.5 as the
	// references; but one hidden layer of 256 in E, G and D, a 16-D z,
	// Adam 1e-3 and batch 32. The references' 50-D z, two layers of 1024,
	// Adam 2e-4 and batch 128 collapsed here: after an epoch (469 steps,
	// 9.5 min natively) every sample was the same blob (class entropy 0,
	// Fréchet distance 636, as untrained), and so did 256-wide networks at
	// 2e-4 or 1e-3 with batch 64, and batch norm. This preset reaches class
	// entropy 2.16 of log 10 = 2.30, Fréchet 125 and 1-NN accuracy 0.82 in
	// 1000 steps (under a minute).
	"bigan": func(c *Config) {
		c.Model, c.Latent, c.Prior, c.PriorStd, c.Encoder, c.Discriminator = "bigan", 16, "uniform", 1, []int{256}, []int{256}
		c.LRRecon, c.LRReg, c.Batch, c.Activation = 1e-3, 1e-3, 32, "leakyrelu"
	},
	// Autoregressive pixel model: 4 intensity levels (the reference's 1-of-N), a
	// MADE 784-256-3136 (MADE used 500 units; 256 take half the time a
	// step, so the page's samples take shape within its first minute), Adam
	// 3e-3 with β1 = 0.9: 277 nats per test digit after 200 steps.
	"pixel": func(c *Config) {
		c.Model, c.Levels, c.Encoder, c.LRRecon, c.Beta1 = "pixel", 4, []int{256}, 3e-3, 0.9
	},
	// The classifier that scores generated digits (sample quality); Adam
	// with the usual β1 = 0.9 for a classifier (see package classifier).
	// The paper's table (REPRODUCTION.md, `latentlab reproduce`): every
	// network two 1000-unit ReLU layers, as the paper gives for its
	// likelihood model and its §6-§7 experiments, and the last 1,000
	// training digits held out for validation (σ of the Parzen window,
	// labelling clusters; the paper's Parzen protocol holds out a
	// validation set, its size is ours).
	//
	// "paper-parzen" is "paper" with that split, a Gaussian posterior and
	// dropout 0.2 after every hidden layer of the three networks (a port
	// that reaches the paper's 340 nats uses both; its ablation without
	// dropout scored 232), and the learning rates decaying by 0.95 an
	// epoch: at constant rates the figure peaked at 313.7 nats after 16
	// epochs and collapsed to 180 by 28 (REPRODUCTION.md). With dropout
	// and the posterior the figure after 4 epochs rose from 305.5 to
	// 315.1 nats; at the port's rates (2e-4, 1e-4) it was 254.6.
	"paper-parzen": func(c *Config) {
		paperNets(c)
		c.Latent, c.Posterior, c.Dropout, c.LRSchedule = 8, "gaussian", 0.2, "exp:0.95"
	},
	// Semi-supervised (§6) with 100, 1000 and all labels, drawn balanced
	// from the training digits outside the validation split: the
	// "semisupervised" preset's recipe (the paper does not give the
	// style's size, its prior or the rates in the text we have; core/semisup
	// says how they were found), its networks the paper's, the rates
	// decaying by 0.95 an epoch.
	"paper-semisup-100":  func(c *Config) { paperSemisup(c, 100) },
	"paper-semisup-1000": func(c *Config) { paperSemisup(c, 1000) },
	"paper-semisup-all":  func(c *Config) { paperSemisup(c, 60000) },
	// Clustering (§7) with 16 and 30 clusters: the "cluster" preset's
	// recipe (the paper gives none of it in the text we have), the rates
	// decaying by 0.95 an epoch.
	"paper-cluster-16": func(c *Config) { paperCluster(c, 16) },
	"paper-cluster-30": func(c *Config) { paperCluster(c, 30) },
	"classifier": func(c *Config) {
		c.Model, c.Encoder, c.Dropout, c.Labels, c.Beta1 = "classifier", []int{512, 256}, 0.2, 60000, 0.9
	},
}

// paperNets gives every network of c the paper's two 1000-unit layers and
// holds out 1,000 digits for validation.
func paperNets(c *Config) {
	c.Encoder, c.Discriminator, c.Valid = []int{1000, 1000}, []int{1000, 1000}, 1000
}

func paperSemisup(c *Config, labels int) {
	paperNets(c)
	semisupRecipe(c, labels)
	c.LRSchedule = "exp:0.95"
}

// semisupRecipe makes c the semi-supervised AAE with labels labelled
// digits the "semisupervised" preset and the paper's rows share.
func semisupRecipe(c *Config, labels int) {
	c.Model, c.Labels, c.Classes, c.Latent, c.PriorStd, c.BatchNorm = "semisupervised", labels, 10, 20, 1, true
	c.InputNoise, c.LogitNorm, c.LRReg = 0.4, 3, 5e-4
}

func paperCluster(c *Config, k int) {
	paperNets(c)
	clusterRecipe(c, k)
	c.LRSchedule = "exp:0.95"
}

// clusterRecipe makes c the clustering AAE of k clusters the "cluster"
// preset and the paper's rows share.
func clusterRecipe(c *Config, k int) {
	c.Model, c.Classes, c.Latent, c.PriorStd, c.BatchNorm = "cluster", k, 5, 1, true
	c.LRReg, c.LogitNorm, c.InputDropout = 5e-4, 3, 0.2
}
