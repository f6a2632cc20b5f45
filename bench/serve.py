"""uvicorn's command line, plus a thread dump on SIGUSR1 (bench/run.py asks for one when a
server stops answering, so the results say where it is stuck)."""

import faulthandler
import signal
import sys

from uvicorn.main import main

if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1, all_threads=True, file=sys.stderr)
    sys.exit(main())
