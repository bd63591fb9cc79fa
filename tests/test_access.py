"""Access control on the real engine: allowed hosts, API keys, rate limits (in memory and on a real Redis),
Slack retries answered once, and `kgqa serve` refusing to serve beyond loopback without keys."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from api.app import create_app
from api.cli import main
from kg.errors import ConfigError
from kg.qa.engine import Engine
from kg.settings import Settings
from tests.test_slack import SECRET, post, signed_headers, slack_form

KEY = "k-3f9a1c0e5b7d"
OTHER_KEY = "k-other-77"


def keyed_app(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, **changes: Any) -> Flask:
    monkeypatch.setenv("KGQA_TEST_KEYS", f"{KEY}, {OTHER_KEY}")
    changed = settings.with_(**{"api_keys_env": "KGQA_TEST_KEYS", "require_api_key": "on", "rate_limit": "", **changes})
    return create_app(changed, engine)


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return dict(response.get_json()["error"])


# ---- allowed hosts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST:80"])
def test_loopback_host_names_are_served_by_default(settings: Settings, engine: Engine, host: str) -> None:
    response = create_app(settings, engine).test_client().get("/api/v1/services", headers={"Host": host})
    assert response.status_code == 200


def test_other_hosts_are_400_json_but_probes_still_answer(settings: Settings, engine: Engine) -> None:
    client = create_app(settings, engine).test_client()
    error = error_of(client.get("/api/v1/services", headers={"Host": "evil.example"}), 400)
    assert error["code"] == "bad_host" and "KGQA_ALLOWED_HOSTS" in error["message"]
    assert error_of(client.get("/", headers={"Host": "evil.example"}), 400)["code"] == "bad_host"
    assert client.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200
    named = create_app(settings.with_(allowed_hosts="kgqa.example.org"), engine).test_client()
    assert named.get("/api/v1/services", headers={"Host": "kgqa.example.org"}).status_code == 200
    assert named.get("/api/v1/services", headers={"Host": "localhost"}).status_code == 400


# ---- API keys -----------------------------------------------------------------------------------------------


def test_with_keys_on_the_api_needs_a_bearer_key(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = keyed_app(settings, engine, monkeypatch).test_client()
    missing = error_of(client.get("/api/v1/services"), 401)
    assert missing["code"] == "unauthorized" and "Bearer" in missing["message"]
    wrong = client.get("/api/v1/services", headers={"Authorization": "Bearer nope"})
    assert error_of(wrong, 401)["message"] == "The API key is not valid."
    for key in (KEY, OTHER_KEY):
        ok = client.post(
            "/api/v1/ask", json={"question": "max lambda timeout"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert ok.status_code == 200 and "900" in ok.get_json()["answer"]
    # open: probes, the OpenAPI document, the page
    for path in ("/healthz", "/readyz", "/api/v1/openapi.json", "/"):
        assert client.get(path).status_code == 200, path
    assert KEY not in caplog.text and OTHER_KEY not in caplog.text


def test_slack_authenticates_by_signature_not_by_key(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.slack_signing_secret_env, SECRET)
    client = keyed_app(settings, engine, monkeypatch).test_client()
    body = slack_form("help")
    assert post(client, body, signed_headers(body)).status_code == 200
    assert post(client, body, {}).status_code == 401


def test_keys_are_off_on_loopback_and_on_elsewhere_by_default(settings: Settings) -> None:
    assert not Settings().api_key_required
    assert Settings(host="0.0.0.0").api_key_required
    assert not Settings(host="0.0.0.0", require_api_key="off").api_key_required
    assert Settings(require_api_key="on").api_key_required


def test_keys_required_but_none_configured_is_503_not_open(settings: Settings, engine: Engine) -> None:
    client = create_app(settings.with_(require_api_key="on", api_keys_env="KGQA_NO_SUCH_VAR"), engine).test_client()
    error = error_of(client.get("/api/v1/services", headers={"Authorization": "Bearer x"}), 503)
    assert error["code"] == "api_keys_not_configured" and "KGQA_NO_SUCH_VAR" in error["message"]


def test_serve_beyond_loopback_without_keys_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KGQA_API_KEYS", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--no-ingest"]) == 1
    err = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0 without API keys" in err and "KGQA_API_KEYS" in err


# ---- rate limits --------------------------------------------------------------------------------------------


def test_rate_limit_is_per_key_and_answers_429_json(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = keyed_app(settings, engine, monkeypatch, rate_limit="3/minute").test_client()
    auth = {"Authorization": f"Bearer {KEY}"}
    assert [client.get("/api/v1/services", headers=auth).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/services", headers=auth)
    error = error_of(limited, 429)
    assert error["code"] == "too_many_requests" and int(limited.headers["Retry-After"]) > 0
    other = client.get("/api/v1/services", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert other.status_code == 200  # another key has its own budget
    assert client.get("/healthz").status_code == 200  # probes are never limited


def test_rate_limit_without_keys_is_per_address(settings: Settings, engine: Engine) -> None:
    client = create_app(settings.with_(rate_limit="2/minute"), engine).test_client()
    first = [client.get("/api/v1/services", environ_base={"REMOTE_ADDR": "127.0.0.7"}).status_code for _ in range(3)]
    assert first == [200, 200, 429]
    assert client.get("/api/v1/services", environ_base={"REMOTE_ADDR": "127.0.0.8"}).status_code == 200


def test_rate_limit_is_one_budget_for_the_whole_api(settings: Settings, engine: Engine) -> None:
    client = create_app(settings.with_(rate_limit="2/minute"), engine).test_client()
    env = {"REMOTE_ADDR": "127.0.0.31"}
    assert client.get("/api/v1/services", environ_base=env).status_code == 200
    assert client.get("/api/v1/ask", query_string={"q": "max lambda timeout"}, environ_base=env).status_code == 200
    assert client.get("/api/v1/services", environ_base=env).status_code == 429  # not a budget per route


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, stopped after the module."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is missing: `make services` installs it as root (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_replicas_share_the_rate_limit_through_redis(settings: Settings, engine: Engine, redis_url: str) -> None:
    shared = settings.with_(rate_limit="4/minute", rate_limit_storage=redis_url)
    replicas = [create_app(shared, engine).test_client() for _ in range(2)]
    env = {"REMOTE_ADDR": "127.0.0.9"}
    codes = [replicas[i % 2].get("/api/v1/services", environ_base=env).status_code for i in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]


# ---- Slack retries ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_a_slack_retry_of_a_received_command_is_acknowledged_and_not_answered_again(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, storage: str
) -> None:
    monkeypatch.setenv(settings.slack_signing_secret_env, SECRET)
    uri = request.getfixturevalue("redis_url") if storage == "redis" else "memory://"
    calls: list[str] = []
    real_answer = engine.answer

    def counting_answer(question: str, top_k: int | None = None) -> Any:
        calls.append(question)
        return real_answer(question, top_k=top_k)

    monkeypatch.setattr(engine, "answer", counting_answer)
    app = create_app(settings.with_(rate_limit_storage=uri), engine, test_config={"SLACK_ANSWER_BUDGET_S": 20.0})
    client = app.test_client()
    body = slack_form(f"what is the maximum execution time of a lambda function {storage} {time.time()}")
    first = post(client, body, signed_headers(body))
    assert first.status_code == 200 and first.get_json()["response_type"] == "ephemeral"
    retry = post(client, body, {**signed_headers(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    assert retry.status_code == 200 and retry.get_data() == b""
    assert len(calls) == 1
    # a retry whose original never arrived is answered
    lost = slack_form(f"what is an AMI {storage} {time.time()}")
    answered = post(client, lost, {**signed_headers(lost), "X-Slack-Retry-Num": "1"})
    assert answered.status_code == 200 and answered.get_json()["text"] and len(calls) == 2


# ---- wrong keys ---------------------------------------------------------------------------------------------


def services_as(client: Any, address: str, key: str | None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return client.get("/api/v1/services", headers=headers, environ_base={"REMOTE_ADDR": address})


def test_wrong_keys_block_the_address_until_the_window_passes(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = keyed_app(settings, engine, monkeypatch, auth_fail_limit="3 per 2 seconds").test_client()
    guesser = "127.0.0.21"
    assert [services_as(client, guesser, f"guess-{n}").status_code for n in range(3)] == [401] * 3
    for key in (f"guess-{time.time()}", KEY, None):  # past the limit: refused whatever the key, right one included
        blocked = services_as(client, guesser, key)
        error = error_of(blocked, 429)
        assert error["code"] == "too_many_requests" and "KGQA_AUTH_FAIL_LIMIT" in error["message"]
        assert 1 <= int(blocked.headers["Retry-After"]) <= 2
    assert services_as(client, "127.0.0.22", KEY).status_code == 200  # another address keeps its access
    time.sleep(int(blocked.headers["Retry-After"]) + 0.2)
    assert services_as(client, guesser, KEY).status_code == 200  # the window passed
    assert KEY not in caplog.text and "guess-" not in caplog.text
    assert "127.0.0.21" in caplog.text  # the block is logged with the address, not the keys


def test_right_keys_and_missing_keys_do_not_count_as_wrong(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = keyed_app(settings, engine, monkeypatch, auth_fail_limit="2/minute").test_client()
    address = "127.0.0.24"
    assert [services_as(client, address, None).status_code for _ in range(4)] == [401] * 4
    assert [services_as(client, address, KEY).status_code for _ in range(4)] == [200] * 4
    off = keyed_app(settings, engine, monkeypatch, auth_fail_limit="off").test_client()
    assert {services_as(off, address, f"guess-{n}").status_code for n in range(12)} == {401}


def test_a_bad_auth_fail_limit_is_a_clear_config_error(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="KGQA_AUTH_FAIL_LIMIT='ten a minute'"):
        keyed_app(settings, engine, monkeypatch, auth_fail_limit="ten a minute")


def test_replicas_share_the_wrong_key_count_through_redis(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    replicas = [
        keyed_app(settings, engine, monkeypatch, auth_fail_limit="4/minute", rate_limit_storage=redis_url).test_client()
        for _ in range(2)
    ]
    guesser = f"127.0.1.{int(time.time()) % 200 + 1}"  # a fresh address: the Redis server lives for the module
    codes = [services_as(replicas[n % 2], guesser, f"guess-{n}").status_code for n in range(4)]
    assert codes == [401] * 4
    for replica in replicas:
        blocked = services_as(replica, guesser, KEY)
        assert error_of(blocked, 429)["code"] == "too_many_requests" and int(blocked.headers["Retry-After"]) > 0
