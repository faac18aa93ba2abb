"""The MongoDB backend's parts: ``errors`` translates pymongo's errors into kairos's.

``kairos.mongo_backend`` builds the backend on them; each imports pymongo, so
none is imported before a Mongo client arrives.
"""
