"""What keeps user input from destroying files, crashing with a traceback or exhausting the machine.

* `files`: reading only regular files, with a size cap (no FIFOs, devices or folders);
* `outputs`: the one guard for every path a command writes (never an input, never a folder, the folder
  writable before work starts) and atomic writes through a temporary file that is always removed;
* `limits`: the caps on sizes, counts and numbers, checked before anything is allocated.
"""
from __future__ import annotations

from layergraph.safety.files import read_bytes, read_text, regular_file
from layergraph.safety.limits import (
    MAX_ELEMENTS,
    MAX_IMAGES,
    MAX_LEARNABLES,
    MAX_PICTURE_PIXELS,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    check_count,
    check_elements,
    check_network_size,
)
from layergraph.safety.outputs import atomic_output, check_folder_writable, guard_outputs, remove_stale_temps

__all__ = [
    "MAX_ELEMENTS", "MAX_IMAGES", "MAX_LEARNABLES", "MAX_PICTURE_PIXELS", "MAX_YAML_BYTES", "MAX_YAML_DEPTH",
    "atomic_output", "check_count", "check_elements", "check_folder_writable", "check_network_size",
    "guard_outputs", "read_bytes", "read_text", "regular_file", "remove_stale_temps",
]
