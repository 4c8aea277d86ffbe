"""`make bench`: the benchmarks (see __main__.py)."""

import os
import tempfile

# As in the tests: Prefect's files in a temporary home, and no telemetry from this offline machine.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="prefect-home-bench-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
