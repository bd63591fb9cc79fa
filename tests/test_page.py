"""The chat page in a real Chromium (Debian's, driven by Playwright) against the real app and index."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from api.app import create_app
from kg.qa.engine import Engine
from kg.settings import Settings
from tests.conftest import serve_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
LAMBDA_Q = "what is the maximum execution time of a lambda function"
ABSENT_Q = "what is the maximum item size in google bigtable"  # a service the notes never mention
XSS_Q = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 30_000
PAGE_KEY = "page-key-5b1e0c94"
KEYS_ENV = "KGQA_PAGE_TEST_KEYS"

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect
# an assertion waits as long as a page action may (Playwright's own default, 5 s, is short for the first answer
# of a served engine on a busy 2-core machine: one such wait ran out once)
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def base_url(settings: Settings, engine: Engine) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(settings, engine), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    # launch() gives Chromium a fresh temporary profile of its own (it refuses --user-data-dir).
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: sync_api.Browser, base_url: str) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(base_url)
    yield page
    assert not dialogs, f"a script ran from data: {dialogs}"
    context.close()


def ask(page: sync_api.Page, question: str) -> sync_api.Locator:
    """Type a question, press Enter, return the reply card once it is no longer loading."""
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    turn = page.locator(".turn").last
    reply = turn.locator(".reply:not(.loading)")
    expect(reply).to_be_visible()
    return reply


def test_ask_cite_open_source_and_abstain(page: sync_api.Page) -> None:
    answer = ask(page, LAMBDA_Q)
    expect(answer).to_have_class("reply answer")
    expect(answer.locator(".answer-text")).to_contain_text("900")
    citation = answer.locator(".cite-link").first
    expect(citation).to_have_text(re.compile(r"^aws-developer-associate-notes\.txt:\d+-\d+$"))

    citation.click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    cited = panel.locator(".source-line.cited")
    expect(cited.first).to_be_visible()
    expect(cited.filter(has_text="900 seconds")).to_have_count(1)
    assert panel.locator(".source-line:not(.cited)").count() > 0, "cited lines are shown in context"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat-source.png"))
    page.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()

    abstained = ask(page, ABSENT_Q)
    expect(abstained).to_have_class("reply abstained")
    expect(abstained).to_contain_text("Not in your notes")
    page.set_viewport_size({"width": 1280, "height": 1240})
    page.locator("#main").evaluate("main => main.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # let the smooth scroll settle
    page.screenshot(path=str(SCREENSHOTS / "chat.png"))

    box = page.get_by_label("Your question")
    box.press("ArrowUp")
    expect(box).to_have_value(ABSENT_Q)
    box.press("ArrowUp")
    expect(box).to_have_value(LAMBDA_Q)
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_value("")


def test_fact_opens_its_service_page(page: sync_api.Page) -> None:
    answer = ask(page, LAMBDA_Q)
    link = answer.locator("a.fact-subject").first
    expect(link).to_be_visible()
    name = link.inner_text()
    link.click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#panel-title")).to_have_text(name)
    expect(panel.locator(".service-fact").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat-service.png"))
    panel.locator(".service-fact .cite-link").first.click()
    expect(panel.locator(".source-line.cited").first).to_be_visible()
    page.get_by_role("button", name="Back").click()
    expect(panel.locator("#panel-title")).to_have_text(name)


def test_markup_in_a_question_is_shown_as_text(page: sync_api.Page) -> None:
    ask(page, XSS_Q)
    bubble = page.locator(".turn .bubble").last
    expect(bubble).to_have_text(XSS_Q)
    assert page.locator("#log img").count() == 0
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0


def test_server_error_shows_error_state_and_retry_recovers(page: sync_api.Page) -> None:
    failing = {"error": {"code": "internal_error", "message": "The index is being rebuilt.", "status": 500}}
    page.route("**/api/v1/ask", lambda route: route.fulfill(status=500, json=failing))
    reply = ask(page, LAMBDA_Q)
    expect(reply).to_have_class("reply error")
    expect(reply).to_contain_text("The index is being rebuilt.")
    page.unroute("**/api/v1/ask")
    reply.get_by_role("button", name="Try again").click()
    expect(page.locator(".turn").last.locator(".reply.answer")).to_contain_text("900")


def test_phone_width_is_readable(browser: sync_api.Browser, base_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(base_url)
    ask(page, LAMBDA_Q)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"no sideways scrolling at 375px (page is {scroll_width}px wide)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the smooth scroll settle
    page.screenshot(path=str(SCREENSHOTS / "chat-phone.png"))
    context.close()


@pytest.fixture(scope="module")
def keyed_url(settings: Settings, engine: Engine) -> Iterator[str]:
    """The app requiring API keys (as when served beyond loopback), on its own loopback port."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(KEYS_ENV, PAGE_KEY)
        keyed = settings.with_(require_api_key="on", api_keys_env=KEYS_ENV, rate_limit="off")
        yield from serve_in_thread(create_app(keyed, engine))


def test_with_keys_required_the_page_asks_for_a_key_and_then_answers(browser: sync_api.Browser, keyed_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    sent: list[tuple[str, str]] = []
    page.on("request", lambda r: sent.append((r.url, r.headers.get("authorization", ""))))
    page.goto(keyed_url)
    key_form = page.locator("#key-form")
    expect(key_form).to_be_hidden()

    refused = ask(page, LAMBDA_Q)
    expect(refused).to_have_class("reply error")
    expect(refused).to_contain_text("needs an API key")
    expect(key_form).to_be_visible()
    key_box = page.get_by_label("API key")
    expect(key_box).to_have_attribute("type", "password")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat-key.png"))
    key_box.fill("not-the-key")
    key_box.press("Enter")  # the refused question is asked again with this key: refused again
    expect(page.locator("#key-message")).to_contain_text("not accepted")
    expect(page.locator(".turn").last.locator(".reply.error")).to_contain_text("not accepted")

    key_box.fill(PAGE_KEY)
    key_box.press("Enter")
    answer = page.locator(".turn").last.locator(".reply.answer")
    expect(answer.locator(".answer-text")).to_contain_text("900")
    expect(key_form).to_be_hidden()
    answer.locator(".cite-link").first.click()  # the source viewer's requests carry the key as well
    expect(page.locator("#panel .source-line.cited").first).to_be_visible()

    assert page.evaluate("sessionStorage.getItem('kgqa.apiKey')") == PAGE_KEY
    assert PAGE_KEY not in page.url and not [url for url, _ in sent if PAGE_KEY in url]
    keyed = {url.split("?")[0].removeprefix(keyed_url) for url, auth in sent if auth == f"Bearer {PAGE_KEY}"}
    assert {"/api/v1/ask", "/api/v1/source"} <= keyed
    context.close()


def test_a_refusal_of_a_replaced_key_does_not_ask_for_a_key_again(browser: sync_api.Browser, keyed_url: str) -> None:
    # The service list asked for with a wrong key is held until the right key has been entered; its late
    # refusal is of the old key, so the page asks again with the new one instead of reopening the key form.
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    held: list[sync_api.Route] = []

    def hold_wrong_key(route: sync_api.Route) -> None:
        if route.request.headers.get("authorization") == "Bearer not-the-key":
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/services", hold_wrong_key)
    page.goto(keyed_url)
    page.evaluate("sessionStorage.setItem('kgqa.apiKey', 'not-the-key')")
    refused = ask(page, LAMBDA_Q)
    expect(refused).to_contain_text("not accepted")
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "the service list was not asked for with the wrong key"
    key_box = page.get_by_label("API key")
    key_box.fill(PAGE_KEY)
    key_box.press("Enter")
    expect(page.locator("#key-form")).to_be_hidden()
    held.pop().continue_()  # the server now refuses the old key
    answer = page.locator(".turn").last.locator(".reply.answer")
    expect(answer.locator(".answer-text")).to_contain_text("900")
    expect(page.locator("#key-form")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('kgqa.apiKey')") == PAGE_KEY
    context.close()


def test_the_page_says_when_to_try_again_after_too_many_requests(
    browser: sync_api.Browser, settings: Settings, engine: Engine
) -> None:
    # 2 a minute: the first question uses them (the answer and the service list), the second is refused
    for url in serve_in_thread(create_app(settings.with_(rate_limit="2/minute"), engine)):
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        expect(ask(page, LAMBDA_Q)).to_have_class("reply answer")
        limited = ask(page, ABSENT_Q)
        expect(limited).to_have_class("reply error")
        expect(limited).to_contain_text(re.compile(r"Too many requests: try again in \d+ s\."))
        expect(page.locator("#key-form")).to_be_hidden()
        context.close()
