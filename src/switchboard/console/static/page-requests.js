/* The request log: filters (call or message, purpose, URL, outcome, error code), pages, live
 * updates on the first page; and one request on its own page, with "Copy as curl", a replay (the
 * server sends it again, signed as it signs every webhook) and a signature check. */

import { api, describe, ext } from "./api.js";
import { BASE, SID, go, handoff, route } from "./app.js";
import { checkFields, formErrors, selectField, textField } from "./forms.js";
import { dateHtml, html, raw, sidHtml, urlHtml } from "./html.js";
import { failed, mountCopyButtons, requestBody, signatureOf } from "./requests.js";
import * as rules from "./rules.js";
import { cell } from "./tables.js";

const POLL_MS = 2000;
const PURPOSES = [
  "voice_url", "voice_fallback_url", "status_callback",
  "sms_url", "sms_fallback_url", "message_status_callback", "redirect", "call_update",
];
const optional = (rule) => (value) => (value === "" ? null : rule(value));
const FILTER_RULES = {
  sid: optional(rules.sid("Call or message SID", ["CA", "SM"])),
  error: optional(rules.digits("Error code")),
};

/** The console's filters (its own query string) -> the API's. */
function apiFilters(query) {
  const out = {};
  const sid = query.get("sid") || "";
  if (sid) out[sid.startsWith("SM") ? "MessageSid" : "CallSid"] = sid;
  if (query.get("purpose")) out.Purpose = query.get("purpose");
  if (query.get("url")) out.Url = query.get("url");
  if (query.get("outcome")) out.Outcome = query.get("outcome");
  if (query.get("error")) out.ErrorCode = query.get("error");
  return out;
}

const traceLink = (ac, r) => {
  const trace = r.call_sid || r.message_sid;
  return html`<a href="${BASE}/accounts/${ac}/${r.call_sid ? "calls" : "messages"}/${trace}">${sidHtml(trace)}</a>`;
};

route(`/accounts/(AC${SID})/requests`, async (ctx, ac) => {
  const query = new URLSearchParams(location.search);
  const filters = apiFilters(query);
  const filtered = Object.keys(filters).length > 0;
  let page = await api("GET", `${ext(ac)}/Requests`, { PageSize: "50", ...filters });
  ctx.dataArrived();
  let paused = false;
  let seen = new Set(page.requests.map((r) => r.sid));
  const row = (r, fresh) => html`<tr${raw(fresh ? ' class="fresh"' : "")}>
    ${cell("Time", html`<a href="${BASE}/accounts/${ac}/requests/${r.sid}" aria-label="Request of ${r.date_created}">${dateHtml(r.date_created)}</a>`)}
    ${cell("Call or message", traceLink(ac, r))}
    ${cell("Purpose", html`${r.purpose}${r.replay_of ? html` <span class="badge neutral">replay</span>` : ""}`)}
    ${cell("Method", r.method)}
    ${cell("URL", urlHtml(r.url))}
    ${cell("Status", html`<span class="badge ${failed(r) ? "bad" : "ok"}">${r.status_code ?? "—"}</span>`)}
    ${cell("ms", Number(r.duration_ms).toFixed(1))}
    ${cell("Error", r.error_code ? `${r.error_code}: ${r.error_message}` : "")}</tr>`.html;
  const body = (items, freshSids) => items.map((r) => row(r, freshSids.has(r.sid))).join("");
  const caption = () => `${page.page === 0 ? "The newest" : `Page ${page.page + 1}:`} ${page.requests.length} webhook request${page.requests.length === 1 ? "" : "s"}${filtered ? " matching the filters" : ""}`;
  const purposeOptions = [["", "Any"], ...PURPOSES.map((p) => [p, p])];
  if (query.get("purpose") && !PURPOSES.includes(query.get("purpose"))) purposeOptions.push([query.get("purpose"), query.get("purpose")]);
  ctx.done("Request log", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Request log</p>
    <h1>Request log</h1>
    <details class="filters"${raw(filtered ? " open" : "")}><summary>Filters${filtered ? " (on)" : ""}</summary>
    <form id="log-filters" class="stack" data-failed="Not filtered" novalidate>
      ${formErrors()}
      <div class="filter-grid">
        ${textField("filter-sid", "sid", "Call or message SID", { value: query.get("sid") || "", hint: "CA… or SM…" })}
        ${selectField("filter-purpose", "purpose", "Purpose", purposeOptions, query.get("purpose") || "")}
        ${textField("filter-url", "url", "URL contains", { value: query.get("url") || "", hint: "Any part of the URL; capitals count." })}
        ${selectField("filter-outcome", "outcome", "Outcome", [["", "Any"], ["ok", "Succeeded"], ["failed", "Failed"]], query.get("outcome") || "")}
        ${textField("filter-error", "error", "Error code", { value: query.get("error") || "", hint: "For example 11200." })}
      </div>
      <div class="actions"><button type="submit">Apply filters</button>
      ${filtered ? html`<a href="${BASE}/accounts/${ac}/requests">Clear the filters</a>` : ""}</div>
    </form></details>
    <div class="log-controls">
      <button type="button" id="log-pause" aria-pressed="false">Pause updates</button>
      <span id="log-state" class="muted">Live: checks every 2 seconds.</span>
      <span id="log-news" role="status" aria-live="polite"></span>
    </div>
    <div class="table-wrap" role="region" aria-labelledby="log-caption" tabindex="0"><table id="log-table" class="cards-narrow">
      <caption id="log-caption">${caption()}</caption>
      <thead><tr><th scope="col">Time</th><th scope="col">Call or message</th><th scope="col">Purpose</th><th scope="col">Method</th><th scope="col">URL</th><th scope="col">Status</th><th scope="col">ms</th><th scope="col">Error</th></tr></thead>
      <tbody>${raw(body(page.requests, new Set()))}</tbody></table></div>
    <div class="actions pager" role="group" aria-label="Pages of the request log">
      <button type="button" class="secondary" id="log-newer" aria-controls="log-table">Newer</button>
      <button type="button" class="secondary" id="log-older" aria-controls="log-table">Older</button>
    </div>
    ${page.requests.length ? "" : html`<p id="log-empty">${filtered ? "No request matches these filters." : html`No requests yet: <a href="${BASE}/accounts/${ac}/simulate">simulate a call or an SMS</a>.`}</p>`}`);

  const form = document.getElementById("log-filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!checkFields(form, FILTER_RULES)) return;
    const wanted = new URLSearchParams();
    for (const name of ["sid", "purpose", "url", "outcome", "error"]) {
      const value = form.elements[name].value.trim();
      if (value) wanted.set(name, value);
    }
    const qs = wanted.toString();
    go(`${BASE}/accounts/${ac}/requests${qs ? `?${qs}` : ""}`);
  });

  const tbody = document.querySelector("#log-table tbody");
  const cap = document.getElementById("log-caption");
  const news = document.getElementById("log-news");
  const state = document.getElementById("log-state");
  const pause = document.getElementById("log-pause");
  const newer = document.getElementById("log-newer");
  const older = document.getElementById("log-older");
  const live = () => page.page === 0 && !paused;
  const sync = () => {
    newer.hidden = !page.previous_page_uri;
    older.hidden = !page.next_page_uri;
    newer.parentElement.hidden = newer.hidden && older.hidden;
    pause.hidden = page.page !== 0;
    state.textContent = page.page !== 0 ? "Showing older requests: go back to the newest for live updates."
      : paused ? "Paused." : "Live: checks every 2 seconds.";
  };
  sync();
  const show = (fresh = new Set()) => {
    tbody.innerHTML = body(page.requests, fresh);
    cap.textContent = caption();
    const empty = document.getElementById("log-empty");
    if (empty && page.requests.length) empty.remove();
    sync();
  };
  const turn = async (uri) => {
    page = await api("GET", uri);
    if (!ctx.current()) return;
    seen = new Set(page.requests.map((r) => r.sid));
    show();
    cap.focus();
  };
  cap.tabIndex = -1;
  newer.addEventListener("click", () => turn(page.previous_page_uri));
  older.addEventListener("click", () => turn(page.next_page_uri));
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume updates" : "Pause updates";
    sync();
  });
  let running = false;
  const poll = async () => {
    if (!live() || running || !ctx.current()) return;
    running = true;
    try {
      const latest = await api("GET", `${ext(ac)}/Requests`, { PageSize: "50", ...filters });
      if (!ctx.current() || !live()) return;
      page = latest;
      const fresh = new Set(page.requests.filter((r) => !seen.has(r.sid)).map((r) => r.sid));
      if (fresh.size) {
        show(fresh);
        news.textContent = `${fresh.size} new request${fresh.size === 1 ? "" : "s"}`;
      }
      seen = new Set(page.requests.map((r) => r.sid));
      state.textContent = `Live: updated ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      state.textContent = `Could not update: ${describe(error)}`;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(poll, POLL_MS);
  ctx.onLeave(() => clearInterval(timer));
});

/** The parameters as lines ("Name=value"), the way the signature checker takes them. */
const asLines = (params) => Object.entries(params || {}).map(([k, v]) => `${k}=${v}`).join("\n");

route(`/accounts/(AC${SID})/requests/(RQ${SID})`, async (ctx, ac, rq) => {
  const r = await api("GET", `${ext(ac)}/Requests/${rq}`);
  ctx.dataArrived();
  ctx.done(`Request ${rq}`, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/requests">Request log</a> › ${rq}</p>
    <h1>${r.purpose} request ${failed(r) ? html`<span class="badge bad">failed</span>` : html`<span class="badge ok">HTTP ${r.status_code}</span>`}</h1>
    <dl class="props">
      <dt>SID</dt><dd>${sidHtml(r.sid)}</dd>
      <dt>Sent</dt><dd>${dateHtml(r.date_created)}</dd>
      <dt>${r.call_sid ? "Call" : "Message"}</dt><dd>${traceLink(ac, r)}</dd>
      ${r.replay_of ? html`<dt>Replay of</dt><dd><a href="${BASE}/accounts/${ac}/requests/${r.replay_of}">${sidHtml(r.replay_of)}</a></dd>` : ""}
    </dl>
    <section class="request" aria-label="The request">${requestBody(r, "request")}</section>
    <h2 id="replay-h">Send it again</h2>
    <p>The server sends this request again to the same URL, with the same method and parameters,
    signed with the account's auth token as it is now, under the server's webhook rules; the new
    request joins the log.</p>
    <div class="actions"><button type="button" id="replay">Replay</button>
    <a href="${BASE}/accounts/${ac}/tools" id="check-signature">Check its signature</a></div>
    <section id="replay-result" aria-live="polite" aria-labelledby="replay-h"></section>`);
  mountCopyButtons(document.getElementById("main"));
  document.getElementById("check-signature").addEventListener("click", () => {
    handoff.signature = { url: r.url, params: r.method === "POST" ? asLines(r.params) : "", signature: signatureOf(r) };
  });
  const button = document.getElementById("replay");
  const result = document.getElementById("replay-result");
  button.addEventListener("click", async () => {
    button.disabled = true;
    result.innerHTML = html`<p>Sending…</p>`.html;
    try {
      const again = await api("POST", `${ext(ac)}/Requests/${rq}/Replay`);
      result.innerHTML = html`<p class="flash ${failed(again) ? "bad" : "ok"}" role="status">Replayed:
        ${failed(again) ? html`it failed${again.error_code ? html` with error ${again.error_code}: ${again.error_message}` : html` with HTTP ${again.status_code}`}`
          : html`the URL answered HTTP ${again.status_code}`} (${Number(again.duration_ms).toFixed(1)} ms).
        <a href="${BASE}/accounts/${ac}/requests/${again.sid}">The new request, ${again.sid}</a>.</p>`.html;
    } catch (error) {
      result.innerHTML = html`<p class="flash bad" role="alert">Not replayed: ${describe(error)}</p>`.html;
    } finally {
      button.disabled = false;
    }
  });
});
