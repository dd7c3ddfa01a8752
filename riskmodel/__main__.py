import sys

try:
    from .cli import program
except KeyboardInterrupt:  # Ctrl-C while the modules load: nothing has been read or written yet
    sys.stderr.write("interrupted during start-up: nothing was written\n")
    sys.exit(130)

program()
