"""Hypothesis strategies for Pyrus data: forms, task values, and bot replies (CreateComment).

The public home of :mod:`pyrus_mock.mock.strategies` (see there for the strategies and their
guarantees). Needs Hypothesis: ``pip install 'pyrus-mock[fuzz]'``. The strategies take the
fake (and its form), which a test gets from fixtures, so draw inside the test with
``st.data()`` (a strategy given to ``@given`` is built before any fixture exists)::

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from pyrus_mock import strategies as ps

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test_any_task(pyrus_mock, bot, form, data: st.DataObject):
        spec = data.draw(ps.task_specs(pyrus_mock, form))
        task = spec.create(pyrus_mock, form)
        ...
"""

from __future__ import annotations

from .mock.strategies import (
    LEAF_FIELD_TYPES,
    CatalogSpec,
    FormSpec,
    TaskSpec,
    comments,
    field_values,
    form_specs,
    forms,
    invalid_comments,
    task_specs,
    tasks,
)

__all__ = [
    "LEAF_FIELD_TYPES",
    "CatalogSpec",
    "FormSpec",
    "TaskSpec",
    "comments",
    "field_values",
    "form_specs",
    "forms",
    "invalid_comments",
    "task_specs",
    "tasks",
]
