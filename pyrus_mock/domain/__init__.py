"""The domain: entities (:mod:`.model`), settings, the clock, ids, violations, errors and the
error envelope; imports nothing else of the package. Everything above may use it.
"""
