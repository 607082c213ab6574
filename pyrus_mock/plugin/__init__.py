"""Support for the pytest plugin (:mod:`pyrus_mock.pytest_plugin`): options, the session's
fake, pooled bot servers.
"""
