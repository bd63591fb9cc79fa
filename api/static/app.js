// Chat page for kgqa: asks /api/v1/ask and shows answers, citations, facts, sources and services.
// Everything from the server (notes text included) is inserted as text, never parsed as HTML.
"use strict";

(() => {
  const API = "/api/v1";
  const SOURCE_CONTEXT = 6;
  const CITATIONS_SHOWN = 3;
  const $ = (id) => document.getElementById(id);
  const form = $("ask-form");
  const input = $("question");
  const sendButton = $("send");
  const log = $("log");
  const empty = $("empty");
  const panel = $("panel");
  const panelBody = $("panel-body");
  const panelTitle = $("panel-title");
  const panelSubtitle = $("panel-subtitle");
  const panelBack = $("panel-back");
  const keyForm = $("key-form");
  const keyInput = $("api-key");
  const keyMessage = $("key-message");

  /** Build an element; string children become text nodes (never markup). */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) node.append(child);
    }
    return node;
  }

  // ---- API key: asked for when the server answers 401, kept for this tab only, sent as a Bearer header ----
  const KEY_STORE = "kgqa.apiKey";
  let keyWaiters = [];

  function storedKey() {
    try {
      return sessionStorage.getItem(KEY_STORE) || "";
    } catch (err) {
      return ""; // storage disabled: the key is asked for again
    }
  }

  function askForKey(message) {
    keyMessage.textContent = message;
    keyForm.hidden = false;
    keyInput.value = "";
    keyInput.focus();
  }

  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return;
    try {
      sessionStorage.setItem(KEY_STORE, key);
    } catch (err) {
      keyMessage.textContent = "This browser does not let the page keep the key (storage is disabled).";
      return;
    }
    keyInput.value = "";
    keyForm.hidden = true;
    const waiting = keyWaiters;
    keyWaiters = [];
    for (const retry of waiting) retry(); // the requests refused for want of a key, once more
    input.focus();
  });

  async function fetchJSON(url, options = {}) {
    const key = storedKey();
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(url, { ...options, headers });
    } catch (err) {
      throw new Error("Cannot reach the server. Is it running?");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) {
      let message = body && body.error && body.error.message;
      if (response.status === 401) {
        // A refusal of a key that has since been replaced says nothing of the new one: ask again with it.
        // (A refused key stays stored until replaced, so that a late refusal of it is not taken for one.)
        if (storedKey() !== key) return fetchJSON(url, options);
        message = key
          ? "The API key was not accepted. Enter a valid key above the question box."
          : "This server needs an API key. Enter it above the question box.";
        askForKey(key ? "That API key was not accepted: enter another one." : "This server needs an API key.");
      } else if (response.status === 429) {
        const wait = Number.parseInt(response.headers.get("Retry-After") || "", 10);
        const when = Number.isFinite(wait) ? `try again in ${wait} s` : "try again shortly";
        message = `Too many requests: ${when}.${message ? ` The server says: ${message}` : ""}`;
      }
      const error = new Error(message || `The server answered ${response.status} ${response.statusText}.`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  const where = (source, start, end) => `${source}:${start}-${end}`;

  function parseWhere(ref) {
    const match = /^(.*):(\d+)-(\d+)$/.exec(ref || "");
    return match ? { source: match[1], start: Number(match[2]), end: Number(match[3]) } : null;
  }

  // ---- services: map ids, labels and aliases to ids so facts can link to their service ----
  let servicesPromise = null;
  function serviceIndex() {
    if (!servicesPromise) {
      servicesPromise = fetchJSON(`${API}/services`).then((data) => {
        const index = new Map();
        for (const s of data.services || []) {
          for (const name of [s.id, s.label, ...(s.aliases || [])]) {
            if (name) index.set(String(name).toLowerCase(), s.id);
          }
        }
        return index;
      }).catch(() => {
        servicesPromise = null;
        return new Map();
      });
    }
    return servicesPromise;
  }

  // ---- rendering an answer ----
  function citationButton(source, start, end, label) {
    return el("button", {
      type: "button", class: "cite-link",
      "aria-label": `Open ${where(source, start, end)} in the source viewer`,
      onclick: () => openSource(source, start, end, { reset: true }),
    }, label || where(source, start, end));
  }

  function renderCitations(citations) {
    const shown = citations.slice(0, CITATIONS_SHOWN);
    const more = citations.slice(CITATIONS_SHOWN);
    return [
      citationList(shown, 1),
      more.length ? el("details", { class: "more-citations" },
        el("summary", {}, `${more.length} more source${more.length === 1 ? "" : "s"}`),
        citationList(more, CITATIONS_SHOWN + 1)) : null,
    ];
  }

  function citationList(citations, first) {
    return el("ol", { class: "citations", start: first }, citations.map((c, i) =>
      el("li", { class: "citation" },
        el("span", { class: "cite-number", "aria-hidden": "true" }, String(first + i)),
        el("div", { class: "cite-main" },
          el("div", { class: "cite-head" },
            citationButton(c.source, c.lines[0], c.lines[1]),
            c.section ? el("span", { class: "cite-section" }, c.section) : null),
          el("q", { class: "cite-text" }, c.text)))));
  }

  function renderFacts(facts, services) {
    return el("ul", { class: "facts" }, facts.map((f) => {
      const id = services.get(String(f.subject).toLowerCase());
      const subject = id
        ? el("a", { class: "fact-subject", href: `#service/${encodeURIComponent(id)}` }, f.subject)
        : el("span", { class: "fact-subject" }, f.subject);
      const ref = parseWhere(f.source);
      return el("li", { class: "fact" },
        el("p", { class: "fact-statement" }, subject, " ", el("span", { class: "fact-predicate" }, f.predicate),
          ": ", el("span", { class: "fact-object" }, f.object)),
        ref ? citationButton(ref.source, ref.start, ref.end, f.source) : null);
    }));
  }

  function confidenceBadge(confidence) {
    const pct = Math.round((confidence || 0) * 100);
    const level = pct >= 70 ? "high" : pct >= 40 ? "medium" : "low";
    return el("span", { class: `confidence ${level}`, title: "How sure the engine is" }, `${pct}% confident`);
  }

  function renderDetails(answer) {
    const timings = Object.entries(answer.timings_ms || {}).map(([k, v]) => `${k} ${v} ms`).join(" · ");
    if (!answer.sparql && !timings) return null;
    return el("details", { class: "details" },
      el("summary", {}, "How this was found"),
      answer.sparql ? el("pre", { class: "sparql" }, answer.sparql) : null,
      timings ? el("p", { class: "timings" }, timings) : null);
  }

  function abstentionText(text) {
    const plain = (text || "").trim().toLowerCase().replace(/[.!]+$/, "");
    return !plain || plain === "not in your notes"
      ? "Your notes do not seem to answer this question, so there is no answer rather than a guess."
      : text;
  }

  function renderAnswer(answer, services) {
    const citations = answer.citations || [];
    const facts = answer.facts || [];
    if (answer.abstained) {
      return el("article", { class: "reply abstained", "aria-label": "Not in your notes" },
        el("div", { class: "abstain-head" },
          el("span", { class: "abstain-icon", "aria-hidden": "true" }, "?"),
          el("strong", {}, "Not in your notes")),
        el("p", { class: "answer-text" }, abstentionText(answer.answer)),
        citations.length ? el("h3", { class: "sub" }, "Closest passages (they do not answer it)") : null,
        citations.length ? renderCitations(citations) : null,
        renderDetails(answer));
    }
    return el("article", { class: "reply answer", "aria-label": "Answer" },
      el("p", { class: "answer-text" }, answer.answer),
      el("div", { class: "meta" }, confidenceBadge(answer.confidence),
        el("span", { class: "count" }, `${citations.length} source${citations.length === 1 ? "" : "s"}`)),
      citations.length ? el("h3", { class: "sub" }, "Sources") : null,
      citations.length ? renderCitations(citations) : null,
      facts.length ? el("h3", { class: "sub" }, "Facts used") : null,
      facts.length ? renderFacts(facts, services) : null,
      renderDetails(answer));
  }

  function renderLoading() {
    return el("div", { class: "reply loading", role: "status", "aria-busy": "true" },
      el("span", { class: "spinner", "aria-hidden": "true" }), "Searching your notes…");
  }

  function renderError(error, question) {
    return el("div", { class: "reply error", role: "alert" },
      el("strong", {}, "Something went wrong"),
      el("p", {}, error.message),
      el("button", { type: "button", class: "retry", onclick: (event) => {
        const card = event.currentTarget.closest(".reply");
        runAsk(question, card);
      } }, "Try again"));
  }

  // ---- asking ----
  async function runAsk(question, slot) {
    const turn = slot.closest(".turn");
    const loading = renderLoading();
    slot.replaceWith(loading);
    sendButton.disabled = true;
    try {
      const [answer, services] = await Promise.all([
        fetchJSON(`${API}/ask`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ question }),
        }),
        serviceIndex(),
      ]);
      loading.replaceWith(renderAnswer(answer, services));
    } catch (error) {
      const card = renderError(error, question);
      loading.replaceWith(card);
      if (error.status === 401) keyWaiters.push(() => card.isConnected && runAsk(question, card));
    } finally {
      sendButton.disabled = false;
      // Show the question and the start of its answer, however long the answer is.
      turn?.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  }

  function ask(question) {
    empty.hidden = true;
    const slot = el("div");
    const turn = el("li", { class: "turn" }, el("p", { class: "bubble" }, question), slot);
    log.append(turn);
    turn.scrollIntoView({ block: "end" });
    return runAsk(question, slot);
  }

  // ---- history: ArrowUp / ArrowDown walk earlier questions, the draft is kept ----
  const asked = [];
  let historyPos = -1;
  let draft = "";

  function remember(question) {
    if (asked[asked.length - 1] !== question) asked.push(question);
    historyPos = -1;
    draft = "";
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowUp" && asked.length) {
      event.preventDefault();
      if (historyPos === -1) {
        draft = input.value;
        historyPos = asked.length;
      }
      historyPos = Math.max(0, historyPos - 1);
      input.value = asked[historyPos];
    } else if (event.key === "ArrowDown" && historyPos !== -1) {
      event.preventDefault();
      historyPos += 1;
      if (historyPos >= asked.length) {
        historyPos = -1;
        input.value = draft;
      } else {
        input.value = asked[historyPos];
      }
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || sendButton.disabled) return;
    remember(question);
    input.value = "";
    ask(question);
  });

  for (const button of document.querySelectorAll(".example")) {
    button.addEventListener("click", () => {
      remember(button.textContent);
      ask(button.textContent);
    });
  }

  // ---- the side panel: source lines and service pages, with a back stack ----
  const stack = [];

  function showPanel(title, subtitle, body, { reset = false } = {}) {
    if (reset) stack.length = 0;
    panelTitle.textContent = title;
    panelSubtitle.textContent = subtitle || "";
    panelBody.replaceChildren(body);
    panelBack.hidden = stack.length < 2;
    if (!panel.open) panel.showModal();
  }

  function push(view, options) {
    if (options && options.reset) stack.length = 0;
    stack.push(view);
    view();
  }

  panelBack.addEventListener("click", () => {
    stack.pop();
    const previous = stack[stack.length - 1];
    if (previous) previous();
  });
  $("panel-close").addEventListener("click", () => panel.close());
  panel.addEventListener("close", () => {
    stack.length = 0;
    if (location.hash.startsWith("#service/")) clearHash();
  });
  panel.addEventListener("click", (event) => {
    if (event.target === panel) panel.close(); // click on the backdrop
  });

  function clearHash() {
    window.history.replaceState(null, "", location.pathname + location.search);
  }

  function openSource(source, start, end, options) {
    push(() => showSource(source, start, end), options);
  }

  async function showSource(source, start, end) {
    const title = where(source, start, end);
    showPanel("Source", title, renderLoading());
    try {
      const query = new URLSearchParams({ file: source, start, end, context: SOURCE_CONTEXT });
      const data = await fetchJSON(`${API}/source?${query}`);
      const lines = el("ol", { class: "source-lines", "aria-label": `Lines of ${source}` },
        (data.lines || []).map((line) => el("li", {
          class: line.cited ? "source-line cited" : "source-line", "data-line": line.n,
        },
        el("span", { class: "ln", "aria-hidden": "true" }, String(line.n)),
        line.cited ? el("mark", { class: "line-text" }, line.text) : el("span", { class: "line-text" }, line.text))));
      showPanel("Source", title, lines);
      panelBody.querySelector(".cited")?.scrollIntoView({ block: "center" });
    } catch (error) {
      showPanel("Source", title, renderError(error, null));
      panelBody.querySelector(".retry")?.remove();
    }
  }

  function factRow(fact) {
    const c = fact.citation || {};
    const lines = c.lines || [];
    const number = typeof fact.value === "number" ? fact.value.toLocaleString("en") : fact.value;
    const value = [number, fact.unit].filter((x) => x !== null && x !== undefined && x !== "").join(" ");
    return el("li", { class: "service-fact" },
      el("div", { class: "service-fact-head" },
        el("strong", {}, fact.label || ""), value ? el("span", { class: "fact-object" }, value) : null),
      el("p", { class: "service-fact-text" }, fact.text || ""),
      c.source && lines.length === 2
        ? el("button", {
          type: "button", class: "cite-link",
          onclick: () => openSource(c.source, lines[0], lines[1]),
        }, where(c.source, lines[0], lines[1]))
        : null);
  }

  async function showService(id) {
    showPanel("Service", id, renderLoading());
    try {
      const s = await fetchJSON(`${API}/services/${encodeURIComponent(id)}`);
      const groups = [["Limits", s.limits], ["Pricing", s.pricing], ["Features", s.features]];
      const body = el("div", { class: "service" },
        (s.aliases || []).length ? el("p", { class: "aliases" }, `Also called: ${s.aliases.join(", ")}`) : null,
        groups.map(([name, facts]) => el("section", { class: "service-group" },
          el("h3", {}, `${name} (${(facts || []).length})`),
          (facts || []).length
            ? el("ul", { class: "service-facts" }, facts.map(factRow))
            : el("p", { class: "muted" }, `No ${name.toLowerCase()} in your notes.`))));
      showPanel(s.label || id, s.id, body);
    } catch (error) {
      showPanel("Service", id, renderError(error, null));
      panelBody.querySelector(".retry")?.remove();
    }
  }

  function route() {
    const match = /^#service\/(.+)$/.exec(location.hash);
    if (match) push(() => showService(decodeURIComponent(match[1])), { reset: !panel.open });
  }
  window.addEventListener("hashchange", route);
  route();
  input.focus();
})();
