"""Chokepoint: entry point. `make run` starts it; pages live in pages/, logic in chokepoint/."""
from chokepoint.ui import shell

shell.run_app()
