"""avrolake."""
