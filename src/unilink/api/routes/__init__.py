"""One module per resource family; each exposes `router`."""
