"""Hypothesis strategies for Pyrus data: forms, task values, and bot replies (CreateComment).

The public home of :mod:`pyrus_mock.mock.strategies` (see there for the strategies and their
guarantees). Needs Hypothesis: ``pip install 'pyrus-mock[fuzz]'``::

    from pyrus_mock import strategies as ps

    @given(ps.task_specs(pyrus_mock, form))
    def test_any_task(spec): ...
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
