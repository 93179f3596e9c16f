"""`python -m app` is the same front door as the `quartermaster` command."""
import sys

from app.cli import main

sys.exit(main())
