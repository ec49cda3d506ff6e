"""The GAN application behind `layergraph train|generate|evaluate`: the GAN/CGAN trainer, its config, data feed,
stabilizers, progress figure, checkpoint, image generation and evaluation, on top of layergraph.train."""
