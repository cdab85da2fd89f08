"""The myco protocol: line grammar, events, swarm state and visibility.

Everything here is pure and synchronous; the daemon, the hooks and the tests share it.
"""
