"""Rule modules, the registry and the engine: pure validation, no I/O."""
