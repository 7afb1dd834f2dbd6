"""Great Expectations suites (suites.py) and the gate that runs them in the database (gate.py)."""


class GateFailure(Exception):
    """A suite found a blocking failure: nothing may be published. Light to import (no GX)."""

    def __init__(self, runs: list, message: str):
        self.runs = runs
        super().__init__(message)
