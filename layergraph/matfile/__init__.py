"""MATLAB's `save` and `load` for MAT-files: numeric arrays, logicals, char text, cell arrays, structures, and
layergraph's dlarray and dlnetwork values, without pickle.

Files are written as MAT version 7 (compressed; `-v6` uncompressed) with scipy.io, so MATLAB and Octave read
them; version 7.3 files (HDF5) are read with h5py. MATLAB's classdef objects (dlarray, dlnetwork, categorical,
string) cannot be written by scipy: layergraph writes dlarrays, dlnetworks and categoricals as structures
marked by a `LayergraphClass` field, which `load` turns back into the objects (MATLAB sees the structures).
The package: struct.py (the structure type and the error), write.py (save), read.py (load), hdf5.py (7.3 files).
"""
from layergraph.matfile.read import from_mat, load
from layergraph.matfile.struct import MatFileError, Struct
from layergraph.matfile.write import save, to_mat

__all__ = ["MatFileError", "Struct", "from_mat", "load", "save", "to_mat"]
