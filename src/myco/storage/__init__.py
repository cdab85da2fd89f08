"""Storage backends and their contract."""
