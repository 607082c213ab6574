"""Transports, knowing nothing of Pyrus: the TLS certificate authority (:mod:`.tls`), the
HTTPS server (:mod:`.server`, :mod:`.wsgi_handler`, :mod:`.http_io`), the client that calls bots
(:mod:`.httpclient`), the in-process interceptors (:mod:`.intercept`) and the ASGI bridge.
"""
