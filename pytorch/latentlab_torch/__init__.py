"""latentlab_torch: a PyTorch twin of the Latent Lab Go core's training.

It reads the .safetensors files Latent Lab writes, builds each kind's
networks under the same tensor names, trains them with the same step (on
one machine, or many with DistributedDataParallel), and writes files that
`latentlab eval` and the page's Import read. See docs/pytorch.md, "Outgrowing
the tab".
"""
