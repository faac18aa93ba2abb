"""The Redis backend's parts: the key grammar, the Lua script, write planning, the
round trips on a connection, hash-slot routing and the translation of redis-py's errors.

``kairos.redis_backend`` builds the backend from them; each imports redis-py,
so none is imported before a Redis client arrives.
"""
