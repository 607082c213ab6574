"""A small Pyrus bot: it approves the tasks it is asked to approve, and says so."""

import hashlib
import hmac

from flask import Flask, abort, request


def create_app(security_key: str = "") -> Flask:
    app = Flask(__name__)
    app.config["PYRUS_SECURITY_KEY"] = security_key

    @app.post("/")
    def pyrus_webhook() -> dict[str, str]:
        # Pyrus signs the raw body: HMAC-SHA1 with the bot's security key, in hex.
        body = request.get_data()
        key = app.config["PYRUS_SECURITY_KEY"].encode()
        expected = hmac.new(key, body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Pyrus-Sig", "").lower()):
            abort(403)
        task = request.get_json()["task"]
        # The reply is a comment on the task, written by the bot (same shape as
        # POST /tasks/{id}/comments). A task without text has no "text" member.
        return {"approval_choice": "approved", "text": f"Approved: {task.get('text', '')}"}

    return app
