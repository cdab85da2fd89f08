"""Authentication: actors, bearer tokens, rate limiting."""
