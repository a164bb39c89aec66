"""python -m scratchnet.exercises list | get NAME [DIR] [--force] | check FILE"""
import sys

from scratchnet.exercises.cli import main

sys.exit(main())
