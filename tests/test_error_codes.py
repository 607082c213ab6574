"""Every error code the package can emit is one the official clients know, or is documented.

The clients' list is :data:`CLIENT_CODES`, transcribed from the official C# client's
``Enums/ErrorCodeType.cs`` (``EnumMember`` values, in enum order; the TypeScript client's
``src/enums/errorCodeType.ts`` is a subset of it). The package's codes are found by scanning its
source (:func:`emitted_codes`); the fake's own codes are the *no* rows of the one table in
``docs/error-codes.md``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from pyrus_mock.api.errors import _STATUS_BY_CODE
from pyrus_mock.transport.wsgi_handler import _ERROR_CODES

from ._api_helpers import SAMPLES, make_world

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pyrus_mock"
DOC = ROOT / "docs" / "error-codes.md"

# fmt: off
#: ``ErrorCodeType`` of the official C# client (pyrusapi-csharp, ``Enums/ErrorCodeType.cs``).
CLIENT_CODES = frozenset({
    "server_error", "authorization_error", "token_not_specified", "revoked_token",
    "expired_token", "invalid_token", "account_blocked", "invalid_credentials",
    "invalid_application_id", "invalid_field_id", "invalid_field_name", "invalid_field_id_name",
    "non_unique_name", "field_identity_missing", "duplicate_field", "invalid_catalog_id",
    "invalid_catalog_item_name", "non_unique_catalog_item_name", "invalid_catalog_item_id",
    "catalog_item_id_name_mismatch", "invalid_email", "non_unique_email",
    "invalid_person_id_email", "unrecognized_attachment_id", "required_field_missing",
    "type_is_not_supported", "incorrect_parameters_count", "filter_type_is_not_supported",
    "step_field_does_not_exists", "no_file_in_request", "too_large_request_length",
    "task_has_no_form", "required_parameter_missing", "invalid_value_format", "invalid_json",
    "empty_body", "text_missing", "form_id_missing", "invalid_person_id", "deleted_field",
    "person_identity_missing", "catalog_identity_missing", "form_has_no_task",
    "either_due_date_or_due_can_be_set", "negative_duration", "duration_is_too_long",
    "due_missing", "scheduled_date_in_past", "cannot_add_form_project",
    "form_template_cant_be_removed_from_task", "too_many_task_steps", "too_many_comments",
    "invalid_step_number", "task_limit_exceeded", "field_is_in_table",
    "required_table_field_missing", "department_catalog_can_not_be_modified",
    "catalog_duplicate_rows", "empty_catalog_headers", "can_not_modify_deleted_catalog",
    "catalog_duplicate_headers", "can_not_modify_first_column", "catalog_headers_items_mismatch",
    "too_many_catalog_items", "catalog_item_max_length_exceeded", "single_value_is_not_supported",
    "participant_limit_exceeded", "table_rows_limit_exceeded", "text_field_value_limit_exceeded",
    "unable_to_edit_field", "empty_file", "bad_multipart_content", "too_many_decimal_places",
    "external_comment_empty_text", "sender_address_field_missing",
    "external_comment_recipient_not_found", "default_mailbox_not_found", "catalog_null_value",
    "max_text_length_exceeded", "due_outside_of_bounds", "attachments_forbidden",
    "unrecognized_call_guid", "unsupported_attachment_format", "validation_error",
    "unrecognized_account_id", "webhook_is_disabled", "too_large_message_text",
    "unrecognized_message_type", "invalid_field_mapping_code", "too_many_attachments",
    "unrecognized_call_id", "unsupported_record_file_format", "unrecognized_integration_guid",
    "limit_exceeded", "max_sms_text_length_exceeded", "sms_integration_not_configured",
    "attachment_too_big", "invalid_table_row", "private_channel_access_denied",
    "private_comment_has_forbidden_changes", "items_count_out_of_range",
    "cannot_add_external_user", "unrecognized_task_id", "too_many_deleted_catalog_items",
    "field_cannot_have_multiple_values", "field_editing_is_not_allowed", "non_unique_code",
    "invalid_field_code", "access_denied_project", "access_denied_task", "access_denied_catalog",
    "access_denied_form", "access_denied_person", "access_denied_close_task",
    "access_denied_reopen_task", "access_denied_file_access_history", "access_denied_file",
    "access_denied_report", "access_denied", "option_is_not_supported", "conflict",
    "less_than_two_or_not_unique_tasks", "no_rights_to_send_sms",
    "both_text_and_formatted_text_specified", "number_not_processing", "phone_already_in_use",
    "form_is_deleted", "task_migrated", "file_is_missing", "invalid_request_encoding",
    "invalid_input", "unsupported_catalog_operation", "file_limit_exceeded", "empty_item_key",
    "cannot_be_fired", "invalid_department", "person_email_already_in_use",
    "max_file_name_length_exceeded", "invalid_award_limits", "access_denied_awards",
    "access_denied_field", "too_many_requests", "incorrect_email_format",
    "invalid_catalog_item_filter", "catalog_column_not_found", "add_task_to_list_forbidden",
    "duplicate_position", "invalid_position", "knowledge_base_not_found",
    "knowledge_base_version_conflict", "knowledge_base_access_denied",
    "knowledge_base_invalid_request", "knowledge_base_title_required",
    "knowledge_base_body_required", "knowledge_base_invalid_parent", "task_delete_limit_exceeded",
    "invalid_from_mailbox", "value_is_too_long", "unknown_error",
})
# fmt: on

#: Code arguments that are not literals, with where their values come from. The values are
#: literals found elsewhere by the scan (``_problem`` returns, ``_revoke_tokens`` arguments,
#: engine reports), plus the codes listed here. A new non-literal site fails the test: use a
#: literal, or add it here with the codes it can carry.
DYNAMIC_SITES: dict[tuple[str, str], frozenset[str]] = {
    ("state/accounts.py", "token.revoked"): frozenset(),  # _revoke_tokens(..., "revoked_token")
    ("api/views_tasks.py", "*problem"): frozenset(),  # *_problem() returns
    ("api/views_tasks.py", "problem[0]"): frozenset(),  # *_problem() returns
    ("api/refs.py", "first"): frozenset({"validation_error"}),  # an engine error's code
    ("engine/common.py", "code"): frozenset(),  # Report.error/warn/add plumbing
    ("engine/application.py", "violation.error_code"): frozenset(),  # re-pathing violations
    ("engine/batch.py", "v.error_code"): frozenset(),  # re-pathing violations
    # {"error_code": ...} rendering a code chosen elsewhere (an error, a violation, a log entry):
    ("api/refs.py", "v.error_code"): frozenset(),
    ("control/wire.py", "v.error_code"): frozenset(),
    ("control/views.py", "c.error_code"): frozenset(),
    ("cli/demo.py", "c.error_code"): frozenset(),
    ("report/transcript.py", "call.error_code"): frozenset(),
    ("report/transcript.py", "v.error_code"): frozenset(),
    (
        "domain/envelope.py",
        "error_code",
    ): frozenset(),  # error_payload renders a code chosen elsewhere
    ("control/plane.py", "exc.error_code"): frozenset(),  # a ControlError's code
    ("control/plane.py", "failure.error_code"): frozenset(),  # an ApiError's code
    ("api/views_reports.py", "code"): frozenset(
        {"access_denied_report", "access_denied_file_access_history"}
    ),  # _allowed(call, code) for the audit reports
    ("api/openapi.py", "{'type': 'string', 'minLength': 1}"): frozenset(),  # the schema, not a code
}


def _literal_codes(node: ast.expr) -> list[str] | None:
    """The codes an argument expression can be, or None when it is not made of literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literal_codes(node.body), _literal_codes(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.JoinedStr):  # f"http_{code}" -> "http_<n>"
        parts = [p.value if isinstance(p, ast.Constant) else "<n>" for p in node.values]
        return ["".join(str(p) for p in parts)]
    return None


def _code_arguments(tree: ast.AST, rel: str) -> list[ast.expr]:
    """Every expression in ``tree`` that is an error code by its place."""
    found: list[ast.expr] = []
    in_engine = rel.startswith("engine/")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            index = {
                "ApiError": 0,
                "Refusal": 0,
                "ControlError": 1,
                "error_response": 1,
                "Violation": 1,
                "_revoke_tokens": 1,
            }.get(name)
            if in_engine and name in ("error", "warn", "add") and len(node.args) >= 3:
                index = 1
            if index is not None and len(node.args) > index:
                found.append(node.args[index])
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "error_code":
                    found.append(value)
        elif isinstance(node, ast.FunctionDef) and node.name.endswith("_problem"):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Tuple):
                    found.append(inner.value.elts[0])
    return found


def emitted_codes() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """``{code: {module, ...}}`` for every code the package can emit, and the non-literal
    code arguments found as ``(module, expression)``."""
    codes: dict[str, set[str]] = {}
    dynamic: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in _code_arguments(ast.parse(path.read_text("utf-8")), rel):
            if isinstance(node, ast.Starred):
                dynamic.add((rel, "*" + ast.unparse(node.value)))
                continue
            literal = _literal_codes(node)
            if literal is None:
                dynamic.add((rel, ast.unparse(node)))
                continue
            for code in literal:
                codes.setdefault(code, set()).add(rel)
    for code in [*_STATUS_BY_CODE, *_ERROR_CODES.values()]:
        codes.setdefault(code, set()).add("status tables")
    for extra in DYNAMIC_SITES.values():
        for code in extra:
            codes.setdefault(code, set()).add("DYNAMIC_SITES")
    return codes, dynamic


def documented() -> dict[str, bool]:
    """``{code: known to clients}`` from the table of ``docs/error-codes.md``."""
    rows: dict[str, bool] = {}
    for line in DOC.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            code = cells[0].strip("`")
            assert code not in rows, f"{code} is in the table twice"
            assert cells[3] in ("yes", "no"), line
            rows[code] = cells[3] == "yes"
    return rows


def test_the_scan_finds_codes_of_every_kind() -> None:
    codes, _ = emitted_codes()
    for code in (
        "access_denied_task",  # ApiError literal
        "revoked_token",  # _revoke_tokens argument (accounts.py)
        "duration_is_too_long",  # *_problem return (engine/common.py)
        "required_field_missing",  # engine report
        "http_<n>",  # f-string
        "too_many_attachments",  # IfExp branch
        "comment_rejected",  # {"error_code": ...} of the control plane
        "http_version_not_supported",  # the HTTP server's status table
    ):
        assert code in codes, code
    assert len(CLIENT_CODES) == 159


def test_no_unexplained_dynamic_code() -> None:
    _, dynamic = emitted_codes()
    unexplained = dynamic - set(DYNAMIC_SITES)
    assert not unexplained, (
        f"error codes passed as non-literals: {sorted(unexplained)}; pass a literal code, or add "
        "the site to DYNAMIC_SITES with the codes it can carry"
    )
    stale = set(DYNAMIC_SITES) - dynamic
    assert not stale, f"DYNAMIC_SITES lists sites the package no longer has: {sorted(stale)}"


def test_every_code_is_known_to_clients_or_documented() -> None:
    codes, _ = emitted_codes()
    own = {code for code, known in documented().items() if not known}
    unknown = {
        code: sorted(where)
        for code, where in codes.items()
        if code not in CLIENT_CODES and code not in own
    }
    assert not unknown, (
        f"codes the official clients do not know: {unknown}; map each to the nearest code of "
        "CLIENT_CODES, or add a row to the table of docs/error-codes.md"
    )


def test_the_table_is_true() -> None:
    codes, _ = emitted_codes()
    for code, known in documented().items():
        assert known == (code in CLIENT_CODES), f"{code}: 'Known to clients' is wrong"
        assert code in codes, f"{code} is documented but the package never sends it"
    for line in DOC.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            nearest = re.findall(r"`([a-z_]+)`", cells[4])
            assert nearest, line
            assert nearest[0] in CLIENT_CODES, f"nearest code {nearest[0]} is not a client code"


def test_bad_requests_to_every_endpoint_answer_known_codes() -> None:
    """A sweep of malformed calls to every endpoint: each answer's code is a client code or a
    documented one of the fake's own."""
    world = make_world()
    own = {code for code, known in documented().items() if not known}
    seen: dict[str, str] = {}
    for sample in SAMPLES.values():
        url = sample.url(world)
        sep = "&" if "?" in url else "?"
        attempts: list[tuple[str, str, dict[str, Any]]] = [
            (sample.method, url, {"who": None}),
            (sample.method, url + sep + "item_count=x&include_fired=x&group_item_count=x", {}),
            (sample.method, url, {"data": b"[", "headers": {"Content-Type": "application/json"}}),
            (sample.method, url, {"json_body": [1]}),
            (sample.method, url, {"data": b"\xff\xfe", "headers": {"Content-Type": "text/plain"}}),
            ("PATCH", url, {}),
            (sample.method, url.split("?")[0] + "/nope", {}),
        ]
        for method, target, kwargs in attempts:
            kwargs.setdefault("who", sample.who)
            response, body = world.call(method, target, raw_ok=sample.raw, **kwargs)
            if response.status_code >= 400:
                seen[body["error_code"]] = f"{method} {target}"
    world.mock.close()
    strange = {code: where for code, where in seen.items() if code not in CLIENT_CODES | own}
    assert not strange, strange
    assert {"token_not_specified", "not_found", "method_not_allowed"} <= set(seen)
