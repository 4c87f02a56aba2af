"""Use cases: pull, status and the rest. They depend on ports, never on concrete adapters."""
