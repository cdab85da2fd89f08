"""The aiohttp application: middlewares, keys and the built-in HTTP API."""
