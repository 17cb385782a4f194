import sys

from chokepoint.cli import main

sys.exit(main())
