import sys

from bench.snapshot import reexec_with_snapshot

reexec_with_snapshot(sys.argv[1:])

from bench.cli import main  # noqa: E402 - after the re-exec: imports the snapshot's switchboard

raise SystemExit(main())
