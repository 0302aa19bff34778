/* Calls the account made through the API (`Calls.json`), newest first, and one call with its
 * status history, the status callbacks it made and a link to its trace. */

import { acct, api, ext } from "./api.js";
import { BASE, SID, route } from "./app.js";
import { dateHtml, html, sidHtml } from "./html.js";
import { table } from "./tables.js";

const BAD = new Set(["failed", "busy", "no-answer", "canceled"]);
const badge = (status) => html`<span class="badge ${BAD.has(status) ? "bad" : status === "completed" ? "ok" : "neutral"}">${status}</span>`;

route(`/accounts/(AC${SID})/call-log`, async (ctx, ac) => {
  const page = await api("GET", `${acct(ac)}/Calls.json`, { PageSize: "50" });
  const calls = page.calls;
  ctx.dataArrived();
  ctx.done("Calls", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Calls</p>
    <h1>Calls</h1>
    <p class="lead">Calls the account made with the API, newest first: each step (initiated,
    ringing, answered, completed) runs a moment after the previous one.</p>
    ${calls.length ? table({
      id: "call-table",
      caption: `The newest ${calls.length} call${calls.length === 1 ? "" : "s"}`,
      head: ["SID", "Status", "From", "To", "Duration", "Created"],
      rows: calls.map((c) => [
        html`<a href="${BASE}/accounts/${ac}/call-log/${c.sid}">${sidHtml(c.sid)}</a>`, badge(c.status),
        c.from, c.to, c.duration === null ? "—" : `${c.duration} s`, dateHtml(c.date_created)]),
    }) : html`<p>No calls yet: make one with <code>client.calls.create</code>.</p>`}`);
});

route(`/accounts/(AC${SID})/call-log/(CA${SID})`, async (ctx, ac, sid) => {
  const [found, log] = await Promise.all([
    api("GET", `${ext(ac)}/Calls/${sid}`),
    api("GET", `${ext(ac)}/Requests`, { CallSid: sid, Purpose: "status_callback" }),
  ]);
  const c = found.call;
  ctx.dataArrived();
  ctx.done(`Call ${sid}`, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/call-log">Calls</a> › ${sid}</p>
    <h1>Call ${badge(c.status)}</h1>
    <dl class="props">
      <dt>SID</dt><dd>${sidHtml(c.sid)}</dd>
      <dt>From</dt><dd>${c.from}</dd><dt>To</dt><dd>${c.to}</dd>
      <dt>Direction</dt><dd>${c.direction}</dd>
      <dt>Duration</dt><dd>${c.duration === null ? "—" : `${c.duration} s`}</dd>
      ${c.answered_by ? html`<dt>Answered by</dt><dd>${c.answered_by}</dd>` : ""}
      <dt>Created</dt><dd>${dateHtml(c.date_created)}</dd>
      <dt>Started</dt><dd>${dateHtml(c.start_time)}</dd><dt>Ended</dt><dd>${dateHtml(c.end_time)}</dd>
    </dl>
    <h2 id="history-h">Status history</h2>
    <ol id="call-history" aria-labelledby="history-h">${found.history.map((h) => html`<li>${badge(h.status)} ${dateHtml(h.date)}</li>`)}</ol>
    <h2>Status callbacks</h2>
    ${log.requests.length ? html`<ul>${log.requests.map((r) => html`<li><a href="${BASE}/accounts/${ac}/requests/${r.sid}">${r.params.CallStatus || r.purpose}</a> → ${r.url}: ${r.error_code ? html`<strong>${r.error_code}</strong>` : r.status_code}</li>`)}</ul>` : html`<p>None: the call asked for no status callback (or has not reached an event it asked for).</p>`}
    <p><a href="${BASE}/accounts/${ac}/calls/${sid}">Its trace: the TwiML it ran, verb by verb, and every request</a></p>`);
});
