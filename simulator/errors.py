"""The error the simulator raises for requests it cannot carry out."""


class SimulatorError(ValueError):
    """A control request (plug, fault, local start, ...) that is wrong or impossible now."""
