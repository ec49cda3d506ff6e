"""`python -m layergraph` (used by torchrun) runs the command line."""
import sys

from layergraph.cli.main import main

sys.exit(main())
