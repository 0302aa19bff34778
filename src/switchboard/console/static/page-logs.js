/* The calls log and the messages log (Twilio's Calls and Messages resources: their filters and
 * paging), and one call or message on its own page: the resource, its status history, and the
 * trace of what its webhooks did when Switchboard ran it (a simulated or client call, an inbound
 * message).
 *
 * The status history comes from our extension (`/switchboard/v1/…/Calls/{Sid}`,
 * `…/Messages/{Sid}`: the REST representation has no history, as on Twilio); the status
 * callbacks, what the application was told, from the request log. */

import { acct, api, ext } from "./api.js";
import { BASE, SID, go, route } from "./app.js";
import { checkFields, formErrors, selectField, textField } from "./forms.js";
import { dateHtml, html, raw, show, sidHtml, urlHtml } from "./html.js";
import { mountCopyButtons } from "./requests.js";
import * as rules from "./rules.js";
import { cell } from "./tables.js";
import { traceHtml } from "./page-traffic.js";

export const CALL_STATUSES = ["queued", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"];
export const MESSAGE_STATUSES = [
  "queued", "sending", "sent", "delivered", "undelivered", "failed", "receiving", "received",
  "accepted", "scheduled", "read", "partially_delivered", "canceled",
];
const BAD = new Set(["failed", "busy", "no-answer", "canceled", "undelivered"]);
export const statusBadge = (status) => html`<span class="badge ${BAD.has(status) ? "bad" : status === "completed" || status === "delivered" || status === "received" ? "ok" : "neutral"}">${status}</span>`;

// Twilio's directions in words, the value itself after them.
const DIRECTIONS = {
  inbound: "inbound",
  "outbound-api": "outbound, through the API",
  "outbound-dial": "outbound, by <Dial>",
  "outbound-call": "outbound, during a call",
  "outbound-reply": "a reply",
};
export const directionHtml = (d) => (d && DIRECTIONS[d] && DIRECTIONS[d] !== d
  ? html`${DIRECTIONS[d]} <span class="muted">(${d})</span>`
  : show(d));

const optional = (rule) => (value) => (value === "" ? null : rule(value));
const DATE = (label) => (value) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? null : { code: 20001, text: `${label} must be a date, YYYY-MM-DD` });
const PHONE = (label) => (value) => (/^(\+?[0-9]{1,15}|client:[A-Za-z0-9_.@-]+|sip:.+)$/.test(value) ? null : { code: 20001, text: `${label} must be a phone number (E.164) or a client:name` });
const FILTER_RULES = {
  to: optional(PHONE("To")),
  from: optional(PHONE("From")),
  after: optional(DATE("On or after")),
  before: optional(DATE("On or before")),
};

const KINDS = {
  calls: {
    title: "Calls", noun: "call", plural: "calls", resource: "Calls", key: "calls",
    statuses: CALL_STATUSES, dateParam: "StartTime", dateLabel: "Started",
    statusParam: "Status", // Twilio's filter; messages have none (below)
    head: ["Started", "From", "To", "Direction", "Status", "Length", "Call"],
    row: (ac, c) => [
      dateHtml(c.start_time || c.date_created), show(c.from_formatted || c.from), show(c.to_formatted || c.to),
      directionHtml(c.direction), statusBadge(c.status), c.duration === null || c.duration === undefined ? "—" : `${c.duration} s`,
      html`<a href="${BASE}/accounts/${ac}/calls/${c.sid}">${sidHtml(c.sid)}</a>`,
    ],
  },
  messages: {
    title: "Messages", noun: "message", plural: "messages", resource: "Messages", key: "messages",
    statuses: MESSAGE_STATUSES, dateParam: "DateSent", dateLabel: "Sent",
    statusParam: null,
    head: ["Sent", "From", "To", "Direction", "Status", "Body", "Message"],
    row: (ac, m) => [
      dateHtml(m.date_sent || m.date_created), show(m.from), show(m.to), directionHtml(m.direction), statusBadge(m.status),
      html`<span class="body">${m.body}</span>${Number(m.num_media) > 0 ? html` <span class="badge neutral">${m.num_media} media</span>` : ""}`,
      html`<a href="${BASE}/accounts/${ac}/messages/${m.sid}">${sidHtml(m.sid)}</a>`,
    ],
  },
};

for (const [segment, kind] of Object.entries(KINDS)) {
  route(`/accounts/(AC${SID})/${segment}`, (ctx, ac) => logPage(ctx, ac, segment, kind));
}

/** The console's filters (its own query string) -> Twilio's list parameters. */
function apiFilters(query, kind) {
  const out = {};
  if (query.get("to")) out.To = query.get("to");
  if (query.get("from")) out.From = query.get("from");
  if (query.get("after")) out[`${kind.dateParam}>`] = query.get("after");
  if (query.get("before")) out[`${kind.dateParam}<`] = query.get("before");
  if (kind.statusParam && query.get("status")) out[kind.statusParam] = query.get("status");
  return out;
}

async function logPage(ctx, ac, segment, kind) {
  const query = new URLSearchParams(location.search);
  const filters = apiFilters(query, kind);
  const status = query.get("status") || "";
  const filtered = Object.keys(filters).length > 0 || Boolean(status);
  let page = await api("GET", `${acct(ac)}/${kind.resource}.json`, { PageSize: "50", ...filters });
  ctx.dataArrived();
  // Messages: Twilio's list has no status filter, so this one narrows the page shown.
  const shown = () => page[kind.key].filter((item) => kind.statusParam || !status || item.status === status);
  const rows = () => shown().map((item) => `<tr>${kind.row(ac, item).map((c, i) => cell(kind.head[i], c).html).join("")}</tr>`).join("");
  const caption = () => {
    const n = shown().length;
    const of = !kind.statusParam && status ? ` (${n} of the ${page[kind.key].length} on this page are ${status})` : "";
    return `${page.page === 0 ? "The newest" : `Page ${page.page + 1}:`} ${n} ${n === 1 ? kind.noun : kind.plural}${filtered ? " matching the filters" : ""}${of}`;
  };
  const id = `${segment}-table`;
  ctx.done(kind.title, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › ${kind.title}</p>
    <h1>${kind.title}</h1>
    <details class="filters"${raw(filtered ? " open" : "")}><summary>Filters${filtered ? " (on)" : ""}</summary>
    <form id="${segment}-filters" class="stack" data-failed="Not filtered" novalidate>
      ${formErrors()}
      <div class="filter-grid">
        ${selectField(`${segment}-status`, "status", "Status", [["", "Any"], ...kind.statuses.map((s) => [s, s])], status,
          kind.statusParam ? "" : "Narrows the page shown: Twilio's Messages list has no status filter.")}
        ${textField(`${segment}-to`, "to", "To", { value: query.get("to") || "", hint: "E.164, for example +15005550006." })}
        ${textField(`${segment}-from`, "from", "From", { value: query.get("from") || "", hint: "E.164, or client:name." })}
        ${textField(`${segment}-after`, "after", "On or after", { value: query.get("after") || "", hint: `${kind.dateLabel} on or after this day, YYYY-MM-DD (UTC).` })}
        ${textField(`${segment}-before`, "before", "On or before", { value: query.get("before") || "", hint: `${kind.dateLabel} on or before this day, YYYY-MM-DD (UTC).` })}
      </div>
      <div class="actions"><button type="submit">Apply filters</button>
      ${filtered ? html`<a href="${BASE}/accounts/${ac}/${segment}">Clear the filters</a>` : ""}</div>
    </form></details>
    <div class="table-wrap" role="region" aria-labelledby="${id}-caption" tabindex="0"><table id="${id}" class="cards-narrow">
      <caption id="${id}-caption">${caption()}</caption>
      <thead><tr>${kind.head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${raw(rows())}</tbody></table></div>
    <div class="actions pager" role="group" aria-label="Pages of ${kind.plural}">
      <button type="button" class="secondary" id="${segment}-newer" aria-controls="${id}">Newer</button>
      <button type="button" class="secondary" id="${segment}-older" aria-controls="${id}">Older</button>
    </div>
    ${page[kind.key].length ? "" : html`<p id="${segment}-empty">${filtered ? `No ${kind.noun} matches these filters.` : html`No ${kind.plural} yet: <a href="${BASE}/accounts/${ac}/phone">use the phone</a>.`}</p>`}`);

  const form = document.getElementById(`${segment}-filters`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!checkFields(form, FILTER_RULES)) return;
    const wanted = new URLSearchParams();
    for (const name of ["status", "to", "from", "after", "before"]) {
      const value = form.elements[name].value.trim();
      if (value) wanted.set(name, value);
    }
    const qs = wanted.toString();
    go(`${BASE}/accounts/${ac}/${segment}${qs ? `?${qs}` : ""}`);
  });
  const tbody = document.querySelector(`#${id} tbody`);
  const cap = document.getElementById(`${id}-caption`);
  const newer = document.getElementById(`${segment}-newer`);
  const older = document.getElementById(`${segment}-older`);
  const sync = () => {
    newer.hidden = !page.previous_page_uri;
    older.hidden = !page.next_page_uri;
    newer.parentElement.hidden = newer.hidden && older.hidden;
  };
  sync();
  cap.tabIndex = -1;
  const turn = async (uri) => {
    page = await api("GET", uri);
    if (!ctx.current()) return;
    tbody.innerHTML = rows();
    cap.textContent = caption();
    sync();
    cap.focus();
  };
  newer.addEventListener("click", () => turn(page.previous_page_uri));
  older.addEventListener("click", () => turn(page.next_page_uri));
}

// ---------------------------------------------------------------- one call or message

/** `promise`'s value, or null when the API answers 404 (the other half may exist). */
const orNull = (promise) => promise.catch((error) => {
  if (error.status === 404) return null;
  throw error;
});

/** The status callbacks the call or message made, oldest first, from the request log. */
export async function statusCallbacks(ac, sid) {
  const filter = sid.startsWith("CA") ? { CallSid: sid } : { MessageSid: sid };
  const page = await api("GET", `${ext(ac)}/Requests`, { PageSize: "1000", ...filter });
  const key = sid.startsWith("CA") ? "CallStatus" : "MessageStatus";
  return page.requests
    .filter((r) => /status_callback$/.test(r.purpose) && r.params && r.params[key])
    .reverse() // the log is newest first
    .map((r) => ({ ...r, reported: r.params[key] }));
}

/** Every status it went through, with when (our extension's `history`). */
export const historyHtml = (history) => html`<ol id="status-history" class="status-history" aria-labelledby="history-h">${history.map((h) => html`<li>${statusBadge(h.status)} ${dateHtml(h.date)}${h.error_code ? ` (error ${h.error_code})` : ""}</li>`)}</ol>`;

const callbacksHtml = (ac, callbacks, call) => (callbacks.length
  ? html`<ul class="callbacks" aria-labelledby="callbacks-h">${callbacks.map((r) => html`<li><a href="${BASE}/accounts/${ac}/requests/${r.sid}">${r.reported}</a>
      → ${urlHtml(r.url)}: ${r.error_code ? html`<strong>error ${r.error_code}</strong>` : `HTTP ${r.status_code}`} · ${dateHtml(r.date_created)}</li>`)}</ul>`
  : html`<p class="muted">None: ${call ? "the call asked for no status callback (or has not reached an event it asked for)" : "the message has no status callback"}.</p>`);

const callProps = (c) => html`<dl class="props">
  <dt>SID</dt><dd>${sidHtml(c.sid)}</dd>
  <dt>Status</dt><dd>${statusBadge(c.status)}</dd>
  <dt>From</dt><dd>${show(c.from)}</dd><dt>To</dt><dd>${show(c.to)}</dd>
  <dt>Direction</dt><dd>${directionHtml(c.direction)}</dd>
  <dt>Started</dt><dd>${dateHtml(c.start_time)}</dd><dt>Ended</dt><dd>${dateHtml(c.end_time)}</dd>
  <dt>Length</dt><dd>${c.duration === null || c.duration === undefined ? "—" : `${c.duration} s`}</dd>
  ${c.parent_call_sid ? html`<dt>Parent call</dt><dd><a href="${BASE}/accounts/${c.account_sid}/calls/${c.parent_call_sid}">${sidHtml(c.parent_call_sid)}</a></dd>` : ""}
  ${c.answered_by ? html`<dt>Answered by</dt><dd>${c.answered_by}</dd>` : ""}
</dl>`;

const messageProps = (m) => html`<dl class="props">
  <dt>SID</dt><dd>${sidHtml(m.sid)}</dd>
  <dt>Status</dt><dd>${statusBadge(m.status)}</dd>
  <dt>From</dt><dd>${show(m.from)}</dd><dt>To</dt><dd>${show(m.to)}</dd>
  <dt>Direction</dt><dd>${directionHtml(m.direction)}</dd>
  <dt>Body</dt><dd>${show(m.body)}</dd>
  <dt>Segments</dt><dd>${show(m.num_segments)}</dd><dt>Media</dt><dd>${show(m.num_media)}</dd>
  <dt>Created</dt><dd>${dateHtml(m.date_created)}</dd><dt>Sent</dt><dd>${dateHtml(m.date_sent)}</dd>
  <dt>Updated</dt><dd>${dateHtml(m.date_updated)}</dd>
  ${m.error_code ? html`<dt>Error</dt><dd><strong>${m.error_code}</strong>: ${show(m.error_message)}</dd>` : ""}
</dl>`;

for (const [segment, prefix, resource, traces, props] of [
  ["calls", "CA", "Calls", "InboundCalls", callProps],
  ["messages", "(?:SM|MM)", "Messages", "InboundMessages", messageProps],
]) {
  route(`/accounts/(AC${SID})/${segment}/(${prefix}${SID})`, async (ctx, ac, sid) => {
    const [found, trace, callbacks] = await Promise.all([
      orNull(api("GET", `${ext(ac)}/${resource}/${sid}`)), // { call | message, history }
      orNull(api("GET", `${ext(ac)}/${traces}/${sid}`)),
      statusCallbacks(ac, sid),
    ]);
    if (!found && !trace) {
      // Neither Twilio's resource nor a trace: not found (or not this account's).
      await api("GET", `${acct(ac)}/${resource}/${sid}.json`);
    }
    ctx.dataArrived();
    const call = segment === "calls";
    const record = found && (found.call || found.message);
    const title = record ? `${call ? "Call" : "Message"} ${sid}` : call ? "Simulated call" : "Simulated message";
    ctx.done(`${call ? "Call" : "Message"} ${sid}`, html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/${segment}">${call ? "Calls" : "Messages"}</a> › ${sid}</p>
      <h1>${title}</h1>
      ${record ? html`${props(record)}<h2 id="history-h">Status history</h2>${historyHtml(found.history)}` : ""}
      <h2 id="callbacks-h">Status callbacks</h2>
      ${callbacksHtml(ac, callbacks, call)}
      ${trace ? html`<h2 id="what-ran-h">What its webhooks did</h2>${traceHtml(ac, trace)}` : ""}`);
    const box = document.getElementById("main").querySelector(".trace");
    if (box) mountCopyButtons(box);
  });
}
