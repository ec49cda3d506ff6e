"""What the translator knows about names: the program's functions, a scope's variables and their types."""
from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass, field
from typing import Any


class Untranslatable(Exception):  # noqa: N818 - a reason, not a failure of the translator
    """A construct the translator does not translate; the message says why (it becomes the `# PORT:` line)."""


@dataclass
class FunctionInfo:
    """A function the program defines: its inputs, outputs and whether it reads nargin/nargout."""

    name: str
    inputs: list[str]
    outputs: list[str]
    uses_nargin: bool = False
    uses_nargout: bool = False
    module: str | None = None  # the .py module it lands in, when it is another file of the port
    owner: str | None = None  # a classdef method called by its name inside the class: Class.method(obj, ...)


def _layergraph_names() -> set[str]:
    import layergraph
    import layergraph.layers as layers
    names = set(layergraph.__all__) | set(layers.__all__)
    return {n for n in names if not n.startswith("_")}


def _runtime_names() -> set[str]:
    from layergraph.port import runtime
    return set(runtime.__all__)


_CACHE: dict[str, set[str]] = {}


def layergraph_names() -> set[str]:
    if "lg" not in _CACHE:
        _CACHE["lg"] = _layergraph_names()
    return _CACHE["lg"]


def runtime_names() -> set[str]:
    if "rt" not in _CACHE:
        _CACHE["rt"] = _runtime_names()
    return _CACHE["rt"]


# MATLAB names whose Python spelling differs (keywords, or a name Python gives another meaning)
RENAMED_FUNCTIONS = {"class": "class_", "assert": "assert_", "and": "and_", "or": "or_", "not": "not_"}
# the generated code's own helpers and Python names it writes; a MATLAB variable of that name gets a "_"
RESERVED = {"at", "setat", "brace", "setbrace", "delat", "END", "colon", "forcols", "horzcat", "vertcat",
            "mtimes", "mrdivide", "mldivide", "mpower", "transpose", "range", "len", "locals", "print",
            "struct", "mexception", "setfield", "getfield", "math", "torch", "main", "self", "nargout_"}
# runtime functions whose result depends on how many outputs are asked for
NARGOUT_FUNCTIONS = {"size", "max", "min", "sort", "find", "fileparts", "ismember", "unique", "forward",
                     "predict", "toc", "next", "deal", "ode45"}
# functions returning one number whatever their arguments (for the scalar/int inference)
INT_FUNCTIONS = {"numel", "length", "ndims", "height", "width", "nnz", "floor", "ceil", "round", "fix"}
SCALAR_FUNCTIONS = INT_FUNCTIONS | {"toc", "str2double", "rem", "mod", "sqrt", "exp", "log", "abs", "log2",
                                    "log10", "sign"}
BOOL_FUNCTIONS = {"exist", "isempty", "isfield", "strcmp", "strcmpi", "isa", "ischar", "isstring", "isnumeric",
                  "islogical", "isfile", "isfolder", "canUseGPU", "hasdata", "isscalar", "isvector", "isequal",
                  "iscell", "isstruct", "isrow", "iscolumn", "contains", "startsWith", "endsWith", "xor"}
STRING_FUNCTIONS = {"string"}
CHAR_FUNCTIONS = {"sprintf", "num2str", "fullfile", "int2str", "strcat", "upper", "lower", "strtrim",
                  "strrep", "char", "tempdir", "pwd"}


def python_name(name: str) -> str:
    """A MATLAB identifier as a Python identifier (keywords and the generated code's names get a '_')."""
    if keyword.iskeyword(name) or name in RESERVED or name in ("None", "True", "False"):
        return name + "_"
    if hasattr(builtins, name) and name not in layergraph_names() and name not in runtime_names():
        return name + "_"
    return name


@dataclass
class Scope:
    """One function's (or the script's) variables: every name it assigns, with a type where one is certain."""

    variables: set[str] = field(default_factory=set)
    types: dict[str, str] = field(default_factory=dict)  # "int", "num", "bool", "string", "char"
    assign_counts: dict[str, int] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)  # assigned so far, in text order
    function: FunctionInfo | None = None
    lambda_params: list[set[str]] = field(default_factory=list)
    catch_vars: set[str] = field(default_factory=set)
    switch_count: int = 0
    renames: dict[str, str] = field(default_factory=dict)  # a method's object argument is `self`
    loaded: list[str] = field(default_factory=list)  # variables a bare `load(file)` makes
    shared: set[str] = field(default_factory=set)  # a nested function's assignments to its parent's variables

    def pyvar(self, name: str) -> str:
        """The Python name of a variable of this scope."""
        return self.renames.get(name) or python_name(name)

    def is_variable(self, name: str) -> bool:
        return name in self.variables or any(name in p for p in self.lambda_params)


@dataclass
class Program:
    """What every scope shares: the program's functions and what the translation found missing."""

    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    missing: dict[str, list[int]] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)
    loaded: list[str] = field(default_factory=list)  # names taken as the variables of a bare `load`

    def note_missing(self, name: str, line: int) -> None:
        self.missing.setdefault(name, []).append(line)

    def known(self, name: str) -> bool:
        return (name in self.functions or name in layergraph_names() or name in runtime_names()
                or name in RENAMED_FUNCTIONS)

    def info(self, name: str) -> Any:
        return self.functions.get(name)
