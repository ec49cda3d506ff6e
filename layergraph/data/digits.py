"""Built-in data: scikit-learn's handwritten digits (shipped with scikit-learn, no download) as PNG folders."""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from PIL import Image

from layergraph.errors import DataError

# Every file this writer creates is named like this; anything else in the folder belongs to the user.
_NAME = re.compile(r"img_\d{4}\.png")
_CLASSES = [str(d) for d in range(10)]


def _ours_only(folder: Path) -> bool:
    """True when `folder` holds nothing but class folders "0".."9" of files named as this writer names them."""
    for entry in folder.iterdir():
        if entry.name not in _CLASSES or not entry.is_dir():
            return False
        if any(not (f.is_file() and _NAME.fullmatch(f.name)) for f in entry.iterdir()):
            return False
    return True


def write_digits(folder: str | os.PathLike[str], size: int = 16, force: bool = False) -> int:
    """Write the 1,797 8×8 digit scans as size×size grey PNGs in sub-folders "0".."9"; returns the count.

    A non-empty folder is only written into when it holds nothing but a previous run's output, or with force=True
    (which overwrites same-named files and never deletes anything).
    """
    if isinstance(size, bool) or int(size) != size or not 1 <= size <= 4096:
        raise DataError(f"{folder}: image size must be a whole number of pixels from 1 to 4096; got {size!r}")
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise DataError(f"{root}: exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not force and not _ours_only(root):
        raise DataError(f"{root}: folder is not empty and holds files this command did not write; choose an empty "
                        f"folder or pass --force (force=True) to write next to them")
    from sklearn.datasets import load_digits  # imported here: scikit-learn takes a while to import

    digits = load_digits()
    from layergraph.safety.outputs import refuse_special

    for d in _CLASSES:
        refuse_special(root / d, "class folder", folder=True)
        (root / d).mkdir(parents=True, exist_ok=True)
    for i, label in enumerate(digits.target):  # every file checked before any is written
        refuse_special(root / str(int(label)) / f"img_{i:04d}.png")
    # the scans hold 0..16 (17 grey levels); stretch them to the full 0..255 byte range
    scans = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    for i, (scan, label) in enumerate(zip(scans, digits.target)):
        img = Image.fromarray(scan, "L")
        if size != 8:
            img = img.resize((int(size), int(size)), Image.BILINEAR)
        img.save(root / str(int(label)) / f"img_{i:04d}.png")
    return len(scans)
