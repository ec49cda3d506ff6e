"""The Keras vanilla GAN of seed 003 on layergraph: RMSprop, mean squared error, images in [0, 1].

Usage:  python examples/keras_vanilla_gan.py IMAGE_FOLDER [--iterations N] [--size 64] [--out DIR]

The networks are the YAML specs specs/keras_gan_generator.yaml (64 latent values → dense 4×4×64 →
upsample + convolution stages → 64×64×3, sigmoid) and specs/keras_gan_discriminator.yaml
(convolution + leaky ReLU + pooling down to 4×4 → flatten → one output, sigmoid).
As in the Keras code, the discriminator is trained on real images labelled 1 and generated images
labelled 0, then the generator is trained to make the discriminator answer 1 for its images.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from layergraph import (
    augmentedImageDatastore,
    cat,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    extractdata,
    forward,
    imageDatastore,
    imtile,
    imwrite,
    load_spec,
    minibatchqueue,
    predict,
    rescale,
    rmspropupdate,
)

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--iterations", type=int, default=10000)
    parser.add_argument("--out", default="runs/keras_gan")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    # hyperparameters of the Keras code
    batch_size = 64
    latent = 64
    learn_rate = 0.0004

    generator = dlnetwork(load_spec(ROOT / "specs/keras_gan_generator.yaml"))
    discriminator = dlnetwork(load_spec(ROOT / "specs/keras_gan_discriminator.yaml"))

    imds = imageDatastore(args.folder, IncludeSubfolders=True)
    augimds = augmentedImageDatastore([64, 64], imds, ColorPreprocessing="gray2rgb")
    mbq = minibatchqueue(augimds, MiniBatchSize=batch_size, PartialMiniBatch="discard",
                         MiniBatchFcn=to_unit_range, MiniBatchFormat="SSCB")

    avg_sq_d, avg_sq_g = [], []
    d_losses, g_losses = [], []
    for iteration in range(1, args.iterations + 1):
        if not mbq.hasdata():
            mbq.shuffle()
        real = mbq.next()
        z = dlarray(torch.randn(latent, batch_size), "CB")
        grad_d, loss_d = dlfeval(discriminator_loss, discriminator, generator, real, z)
        discriminator, avg_sq_d = rmspropupdate(discriminator, grad_d, avg_sq_d, learn_rate)
        z = dlarray(torch.randn(latent, batch_size), "CB")
        grad_g, loss_g = dlfeval(generator_loss, generator, discriminator, z)
        generator, avg_sq_g = rmspropupdate(generator, grad_g, avg_sq_g, learn_rate)
        d_losses.append(float(loss_d))
        g_losses.append(float(loss_g))
        if iteration % 100 == 0 or iteration == args.iterations:
            print(f"iteration {iteration}: discriminator loss {d_losses[-1]:.4f}, generator loss {g_losses[-1]:.4f}")

    samples = predict(generator, dlarray(torch.randn(latent, 16), "CB"))
    imwrite(rescale(imtile(extractdata(samples), GridSize=[4, 4])), out / "samples.png")
    print(f"wrote {out / 'samples.png'}")


def keras_mse(y, t):
    """Keras' loss='mse': the mean of the squared errors over all elements (MATLAB's mse halves the sum and
    divides by the number of observations instead, so it is not used here)."""
    return (y - t).square().mean()


def discriminator_loss(discriminator, generator, real, z):
    """MSE against 1 for real images and 0 for generated ones (the Keras discriminator model)."""
    fake = predict(generator, z).detach()  # the generator is frozen in this step, as in the Keras code
    y_real, _ = forward(discriminator, real)
    y_fake, _ = forward(discriminator, fake)
    loss = (keras_mse(y_real, torch.ones_like(y_real)) + keras_mse(y_fake, torch.zeros_like(y_fake))) / 2
    return dlgradient(loss, discriminator.Learnables), loss.detach()


def generator_loss(generator, discriminator, z):
    """MSE against 1 for generated images (the Keras combined model, discriminator frozen)."""
    fake, _ = forward(generator, z)
    y = predict(discriminator, fake)
    loss = keras_mse(y, torch.ones_like(y))
    return dlgradient(loss, generator.Learnables), loss.detach()


def to_unit_range(images):
    """Stack the batch and scale pixel values to [0, 1], as the Keras code normalises its data."""
    return rescale(cat(4, *images), 0, 1, InputMin=0, InputMax=255)


if __name__ == "__main__":
    main()
