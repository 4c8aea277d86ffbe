"""`make chaos`: the fault tests, repeated, with the service's invariants checked after each.

Each scenario breaks a run on purpose (kill -9 of the poll, a database stopped mid-poll, two
polls at once, two bots racing with replayed and contradicting callbacks, a stale dispatch whose
callback comes late), lets the service recover the way it would in production (the next poll,
housekeeping), then checks what AP relies on (invariants.py). `python -m chaos` prints a table;
tests/test_chaos.py runs each scenario once under CI.
"""
