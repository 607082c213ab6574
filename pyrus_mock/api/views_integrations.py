"""Telephony integration views (C# ``RegisterCallAsync`` / ``AttachCallRecordAsync``, TS
``CallApi``): ``POST /integrations/call`` and ``POST /integrations/attachcallrecord``.

A call is registered against an integration account the test set up with
:meth:`~pyrus_mock.PyrusMock.add_call_integration` (account id → form): the fake creates a task
on that form as the caller, fills the fields whose ``code`` the ``mappings`` name, records the
call (``backend.extra.calls``) and answers ``{"task_id"}``. Attaching a record finds the call
by ``task_id``, else ``external_id``, else ``from_number`` + ``to_number`` (the newest such
call), and comments on its task with the uploaded file attached and the mappings applied as
field updates, through the comment engine.
"""

from __future__ import annotations

from typing import Any

from ..domain.errors import CommentRejected
from ..domain.model import Form
from ..domain.model_extra import CallRecord
from . import body
from .call import Call
from .errors import ApiError
from .refs import rejected

__all__ = ["attach_call_record", "register_call"]


def _required(data: dict[str, Any], key: str) -> str:
    value = body.get_str(data, key)
    if not value:
        raise ApiError("required_parameter_missing", f"/{key}: required")
    return value


def _mappings(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``mappings: [{code, value}]`` (FormMapping) as ``(code, value)`` pairs."""
    out = []
    for index, item in enumerate(body.get_list(data, "mappings") or ()):
        path = f"/mappings/{index}"
        if not isinstance(item, dict):
            raise ApiError("invalid_json", f"{path} must be an object, got {body.type_name(item)}")
        code = body.get_str(item, "code", path=path)
        if not code:
            raise ApiError("invalid_field_mapping_code", f"{path}/code: give the field's code")
        out.append((code, body.get_str(item, "value", path=path)))
    return out


def _check_codes(form: Form, mappings: list[tuple[str, str | None]]) -> None:
    codes = {fd.code for fd in form.all_fields() if fd.code}
    for index, (code, _) in enumerate(mappings):
        if code not in codes:
            raise ApiError(
                "invalid_field_mapping_code",
                f"/mappings/{index}/code: form {form.id} has no field with the code {code!r}"
                + (f"; codes: {', '.join(sorted(codes))}" if codes else ""),
            )


def register_call(call: Call) -> dict[str, Any]:
    """``POST /integrations/call`` ``{account_id, from_number, to_number, internal_number?,
    external_id?, mappings?}`` → ``{"task_id"}`` of the task created for the call."""
    data = call.json()
    account_id = _required(data, "account_id")
    from_number = _required(data, "from_number")
    to_number = _required(data, "to_number")
    internal_number = body.get_str(data, "internal_number") or ""
    external_id = body.get_str(data, "external_id") or ""
    mappings = _mappings(data)
    backend = call.backend
    with backend.lock:
        integration = backend.extra.call_integrations.get(account_id)
        form = backend.find_form(integration.form_id) if integration is not None else None
        if form is None:
            raise ApiError(
                "unrecognized_account_id",
                f"/account_id: no telephony integration has the account {account_id[:60]!r} "
                "(set one up with add_call_integration())",
            )
        _check_codes(form, mappings)
    try:
        task = backend.create_task(
            author_id=call.me.id, form=form, fields=dict(mappings), as_author=True
        )
    except CommentRejected as exc:
        raise rejected(exc.violations) from None
    with backend.lock:
        backend.extra.calls.append(
            CallRecord(
                task_id=task.id,
                account_id=account_id,
                person_id=call.me.id,
                at=backend.now(),
                from_number=from_number,
                to_number=to_number,
                internal_number=internal_number,
                external_id=external_id,
            )
        )
    return {"task_id": task.id}


def attach_call_record(call: Call) -> dict[str, Any]:
    """``POST /integrations/attachcallrecord`` ``{record_file, task_id | external_id |
    from_number + to_number, mappings?}`` → ``{}``; the record is attached to the call's task
    in a comment by the caller."""
    data = call.json()
    guid = _required(data, "record_file")
    task_id = body.get_int(data, "task_id") or None  # the C# client sends 0 when unset
    external_id = body.get_str(data, "external_id") or None
    from_number = body.get_str(data, "from_number") or None
    to_number = body.get_str(data, "to_number") or None
    mappings = _mappings(data)
    backend = call.backend
    with backend.lock:
        record = backend.find_file_by_guid(guid)
        if record is None:
            raise ApiError(
                "unrecognized_attachment_id",
                f"/record_file: no uploaded file has the guid {guid[:60]!r}; upload it with "
                "POST /files/upload first",
            )
        store = backend.extra
        if task_id is not None:
            found = store.find_call(task_id=task_id)
        elif external_id is not None:
            found = store.find_call(external_id=external_id)
        elif from_number is not None and to_number is not None:
            found = store.find_call(numbers=(from_number, to_number))
        else:
            raise ApiError(
                "required_parameter_missing",
                "name the call: task_id, external_id, or from_number and to_number",
            )
        task = backend.find_task(found.task_id) if found is not None else None
        if found is None or task is None:
            raise ApiError("unrecognized_call_id", "no registered call matches the request")
        form = backend.find_form(task.form_id) if task.form_id else None
        if form is not None:
            _check_codes(form, mappings)
    request: dict[str, Any] = {"attachments": [guid]}
    if mappings:
        request["field_updates"] = [{"code": c, "value": v} for c, v in mappings]
    try:
        backend.comment(task, request, call.me)
    except CommentRejected as exc:
        raise rejected(exc.violations) from None
    with backend.lock:
        found.record_file_ids.append(record.id)
    return {}
