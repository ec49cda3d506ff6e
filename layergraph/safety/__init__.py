"""What keeps user input from destroying files, running code, crashing with a traceback or exhausting the machine.

* `files`: reading only regular files, with a size cap (no FIFOs, devices or folders);
* `outputs`: the one guard for every path a command writes (never an input, never a folder or a special file,
  the folder writable before work starts), names from files that become paths, and atomic writes through a
  temporary file that is always removed;
* `imports`: `--import MODULE` without letting the current folder shadow an installed package;
* `numbers`: the one parser for numbers that arrive as text, with limits;
* `limits`: the caps on sizes, counts and numbers, checked before anything is allocated.
"""
from __future__ import annotations

from layergraph.safety.files import read_bytes, read_text, regular_file
from layergraph.safety.limits import (
    MAX_ELEMENTS,
    MAX_EVAL_PIXELS,
    MAX_IMAGES,
    MAX_LEARNABLES,
    MAX_NAME_CHARS,
    MAX_PICTURE_PIXELS,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    check_count,
    check_elements,
    check_network_size,
)
from layergraph.safety.numbers import MAX_NUMBER_CHARS, integer_option, parse_number
from layergraph.safety.outputs import (
    atomic_output,
    check_folder_writable,
    guard_outputs,
    path_inside,
    paths_inside,
    refuse_special,
    remove_stale_temps,
)

__all__ = [
    "MAX_ELEMENTS", "MAX_EVAL_PIXELS", "MAX_IMAGES", "MAX_LEARNABLES", "MAX_NAME_CHARS", "MAX_NUMBER_CHARS",
    "MAX_PICTURE_PIXELS", "MAX_YAML_BYTES", "MAX_YAML_DEPTH", "atomic_output", "check_count", "check_elements",
    "check_folder_writable", "check_network_size", "guard_outputs", "integer_option", "parse_number",
    "path_inside", "paths_inside", "read_bytes", "read_text", "refuse_special", "regular_file",
    "remove_stale_temps",
]
