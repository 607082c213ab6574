"""The state of one fake organisation: :class:`~.backend.PyrusBackend` (one lock, one
:class:`~.core.State`), its components (:mod:`.accounts`, :mod:`.org_admin`), and the wire
shapes of its entities (:mod:`.serialize`). Applies comments through :mod:`pyrus_mock.engine`.
"""
