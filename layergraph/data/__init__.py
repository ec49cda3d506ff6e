"""The data layer under MATLAB's names: datastores, augmentation, minibatchqueue and image helpers."""
from layergraph.data.arrays import cat, rescale
from layergraph.data.arraystore import ArrayDatastore, arrayDatastore
from layergraph.data.augment import ImageDataAugmenter, warp_affine
from layergraph.data.augmented import AugmentedImageDatastore, BatchTable, augmentedImageDatastore
from layergraph.data.categorical import Categorical, categorical, categories, countcats
from layergraph.data.composite import CombinedDatastore, TransformedDatastore, combine, transform
from layergraph.data.datastore import ImageDatastore, ReadFailureWarning, imageDatastore
from layergraph.data.digits import write_digits
from layergraph.data.images import gray2rgb, imread, imresize, imtile, imwrite, rgb2gray
from layergraph.data.queue import (
    MiniBatchQueue,
    hasdata,
    minibatchqueue,
    numpartitions,
    partition,
    preview,
    read,
    readall,
    reset,
    shuffle,
)

# MATLAB spells the augmenter's constructor like a function
imageDataAugmenter = ImageDataAugmenter

__all__ = [
    "AugmentedImageDatastore", "BatchTable", "Categorical", "ImageDataAugmenter", "ImageDatastore", "MiniBatchQueue",
    "ReadFailureWarning", "augmentedImageDatastore", "cat", "categorical", "categories", "countcats", "gray2rgb",
    "hasdata", "imageDataAugmenter", "imageDatastore", "imread", "imresize", "imtile", "imwrite", "minibatchqueue",
    "numpartitions", "partition", "read", "readall", "rescale", "reset", "rgb2gray", "shuffle", "warp_affine",
    "write_digits",
]
# in-memory data, combined and transformed datastores
__all__ += ["ArrayDatastore", "CombinedDatastore", "TransformedDatastore", "arrayDatastore", "combine", "preview",
            "transform"]

from layergraph.data.tables import Rectangle, imcrop, randomCropWindow2d, table  # noqa: E402

__all__ += ["Rectangle", "imcrop", "randomCropWindow2d", "table"]
from layergraph.data.sequences import padsequences  # noqa: E402

__all__ += ["padsequences"]
