"""The facade users hold: :class:`~.fake.PyrusMock` and what it hands out (bots, the
conformance report, saved forms and tasks, deprecated aliases). It sits above everything but the
plugin and the command line, and may mount the control plane.
"""
