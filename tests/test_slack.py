"""The Slack slash command on the real engine: signed as Slack signs, Block Kit replies, late answers."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from slack_sdk.signature import SignatureVerifier

from api.app import create_app
from kg.qa.engine import Engine
from kg.settings import Settings

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
LAMBDA_Q = "what is the maximum execution time of a lambda function"
ABSENT_Q = "what is the maximum item size in google bigtable"  # a service the notes never mention


@pytest.fixture(autouse=True)
def signing_secret(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> str:
    monkeypatch.setenv(settings.slack_signing_secret_env, SECRET)
    return SECRET


@pytest.fixture(scope="module")
def app(settings: Settings, engine: Engine) -> Flask:
    engine.answer(LAMBDA_Q)  # warm up, so the matrix below measures answers, not first-use loading
    # A generous budget here keeps the matrix deterministic on a busy machine; the late path is tested apart.
    return create_app(settings, engine, test_config={"SLACK_ANSWER_BUDGET_S": 20.0})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def slack_form(text: str, response_url: str = "https://hooks.slack.com/commands/T1/1/abc") -> str:
    """The body exactly as Slack sends a slash command (application/x-www-form-urlencoded)."""
    return urlencode(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": "T0001",
            "team_domain": "example",
            "enterprise_id": "E0001",
            "enterprise_name": "Globular Construct Inc",
            "channel_id": "C2147483705",
            "channel_name": "test",
            "user_id": "U2147483697",
            "user_name": "Steve",
            "command": "/ask",
            "text": text,
            "response_url": response_url,
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "api_app_id": "A123456",
        }
    )


def signed_headers(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def post(client: FlaskClient, body: str, headers: dict[str, str]) -> Any:
    return client.post("/slack/commands", data=body, headers=headers, content_type="application/x-www-form-urlencoded")


def all_text(message: dict[str, Any]) -> str:
    """Every text a user sees in the message's blocks."""
    texts = []
    for block in message["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(element["text"] for element in block.get("elements", []))
    return "\n".join(texts)


# ---- the matrix -----------------------------------------------------------------------------------------


def test_good_signature_answers_ephemerally_with_block_kit(client: FlaskClient) -> None:
    body = slack_form(LAMBDA_Q)
    started = time.monotonic()
    response = post(client, body, signed_headers(body))
    assert response.status_code == 200
    assert time.monotonic() - started < 3.0, "Slack gives up after 3 s"
    message = response.get_json()
    assert message["response_type"] == "ephemeral"
    assert "900" in message["text"]
    kinds = [block["type"] for block in message["blocks"]]
    assert "section" in kinds and "context" in kinds
    text = all_text(message)
    assert "*Answer:*" in text and "900" in text
    assert "`aws-developer-associate-notes.txt:" in text, "a citation as file:start-end"
    assert "Confidence" in text
    assert "<@U2147483697>" in text


@pytest.mark.parametrize("text", [f"share {LAMBDA_Q}", f"{LAMBDA_Q} --share", f"SHARE {LAMBDA_Q}"])
def test_share_posts_in_channel(client: FlaskClient, text: str) -> None:
    body = slack_form(text)
    message = post(client, body, signed_headers(body)).get_json()
    assert message["response_type"] == "in_channel"
    assert "900" in all_text(message)
    assert "share" not in all_text(message).split("asked:")[1].split("\n")[0].lower()


def test_bad_signature_is_401(client: FlaskClient) -> None:
    body = slack_form(LAMBDA_Q)
    response = post(client, body, signed_headers(body, secret="not-the-secret"))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_slack_signature"


def test_tampered_body_is_401(client: FlaskClient) -> None:
    headers = signed_headers(slack_form(LAMBDA_Q))
    assert post(client, slack_form("share everything"), headers).status_code == 401


def test_stale_timestamp_is_401(client: FlaskClient) -> None:
    body = slack_form(LAMBDA_Q)
    response = post(client, body, signed_headers(body, timestamp=int(time.time()) - 6 * 60))
    assert response.status_code == 401
    assert "5 minutes" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("drop", ["X-Slack-Signature", "X-Slack-Request-Timestamp", "both"])
def test_missing_headers_are_401(client: FlaskClient, drop: str) -> None:
    body = slack_form(LAMBDA_Q)
    headers = {k: v for k, v in signed_headers(body).items() if drop not in (k, "both")}
    assert post(client, body, headers).status_code == 401


def test_missing_secret_is_503(client: FlaskClient, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.delenv(settings.slack_signing_secret_env)
    body = slack_form(LAMBDA_Q)
    response = post(client, body, signed_headers(body))
    assert response.status_code == 503
    message = response.get_json()["error"]["message"]
    assert settings.slack_signing_secret_env in message and SECRET not in message


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "share"])
def test_empty_text_or_help_shows_usage(client: FlaskClient, text: str) -> None:
    body = slack_form(text)
    message = post(client, body, signed_headers(body)).get_json()
    assert message["response_type"] == "ephemeral"
    text = all_text(message)
    assert "/ask share &lt;question&gt;" in text, "mrkdwn needs < and > escaped"
    assert "\n•" in text, "one usage example a line"


def test_question_absent_from_notes_says_not_in_your_notes(client: FlaskClient) -> None:
    body = slack_form(ABSENT_Q)
    message = post(client, body, signed_headers(body)).get_json()
    assert "Not in your notes" in all_text(message)
    assert "*Answer:*" not in all_text(message)


def test_notes_and_question_text_cannot_ping_or_link(client: FlaskClient) -> None:
    body = slack_form("<!channel> what is the maximum execution time of a <https://evil.example|lambda>")
    text = all_text(post(client, body, signed_headers(body)).get_json())
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text


# ---- the late path: over budget -> ack now, answer posted to response_url -------------------------------


@pytest.fixture()
def response_url_receiver() -> Iterator[tuple[str, queue.Queue[tuple[dict[str, str], bytes]]]]:
    received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.put((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/commands/T1/1/abc", received
    server.shutdown()
    thread.join(timeout=5)


def test_slow_answer_acks_then_posts_to_response_url(
    settings: Settings,
    engine: Engine,
    response_url_receiver: tuple[str, queue.Queue[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = response_url_receiver

    class SlowEngine(Engine):
        """The real engine, made slower than the budget so the acknowledge-first path always runs."""

        def answer(self, question: object, top_k: int | None = None):  # type: ignore[no-untyped-def]
            time.sleep(0.5)
            return engine.answer(question, top_k)

    slow = SlowEngine(engine.settings, engine.index, engine.embedder)
    app = create_app(settings, slow, test_config={"SLACK_ANSWER_BUDGET_S": 0.1})
    body = slack_form(f"share {LAMBDA_Q}", response_url=url)
    response = post(app.test_client(), body, signed_headers(body))
    assert response.status_code == 200
    ack = response.get_json()
    assert ack["response_type"] == "ephemeral"
    assert "Looking that up" in ack["text"]

    headers, posted = received.get(timeout=60)
    assert headers["Content-Type"].startswith("application/json")
    late = json.loads(posted)
    assert late["response_type"] == "in_channel"
    assert "900" in all_text(late)
    assert "aws-developer-associate-notes.txt:" in all_text(late)


def test_manifest_registers_the_command_at_this_route(settings: Settings) -> None:
    manifest_file = Path(__file__).resolve().parents[1] / "api" / "slack_manifest.yaml"
    manifest = yaml.safe_load(manifest_file.read_text(encoding="utf-8"))
    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == settings.slack_command
    assert command["url"] == "https://YOUR-HOST/slack/commands"
    assert manifest["oauth_config"]["scopes"]["bot"] == ["commands"]
