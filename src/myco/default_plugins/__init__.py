"""Built-in plugins. Each is an ordinary plugin module listed in ``DEFAULT_PLUGINS``."""
