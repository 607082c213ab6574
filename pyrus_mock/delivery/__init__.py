"""Calling bots: signing, posting over TLS, timeouts and Pyrus's retry schedule, recording
every attempt and applying valid replies (:mod:`.dispatch`).
"""
