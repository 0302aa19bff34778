/* Messages of the account (sent through the API, replies, and what arrived), newest first, and
 * one message with its status history and the callbacks it made. */

import { acct, api, ext } from "./api.js";
import { BASE, SID, route } from "./app.js";
import { dateHtml, html, show, sidHtml } from "./html.js";
import { table } from "./tables.js";

const FAILED = new Set(["failed", "undelivered"]);
const badge = (status) => html`<span class="badge ${FAILED.has(status) ? "bad" : status === "delivered" || status === "received" ? "ok" : "neutral"}">${status}</span>`;

route(`/accounts/(AC${SID})/sms`, async (ctx, ac) => {
  const page = await api("GET", `${acct(ac)}/Messages.json`, { PageSize: "50" });
  const messages = page.messages;
  ctx.dataArrived();
  ctx.done("Messages", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Messages</p>
    <h1>Messages</h1>
    <p class="lead">What the account sent (and what reached its numbers), newest first: each step
    of a sent message (sending, sent, delivered…) runs a moment after the previous one.</p>
    ${messages.length ? table({
      id: "message-table",
      caption: `The newest ${messages.length} message${messages.length === 1 ? "" : "s"}`,
      head: ["SID", "Status", "Direction", "From", "To", "Body", "Created"],
      rows: messages.map((m) => [
        html`<a href="${BASE}/accounts/${ac}/sms/${m.sid}">${sidHtml(m.sid)}</a>`, badge(m.status),
        m.direction, m.from, m.to, show(m.body), dateHtml(m.date_created)]),
    }) : html`<p>No messages yet: send one with <code>client.messages.create</code>.</p>`}`);
});

route(`/accounts/(AC${SID})/sms/((?:SM|MM)${SID})`, async (ctx, ac, sid) => {
  const [found, log] = await Promise.all([
    api("GET", `${ext(ac)}/Messages/${sid}`),
    api("GET", `${ext(ac)}/Requests`, { MessageSid: sid }),
  ]);
  const m = found.message;
  ctx.dataArrived();
  ctx.done(`Message ${sid}`, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/sms">Messages</a> › ${sid}</p>
    <h1>Message ${badge(m.status)}</h1>
    <dl class="props">
      <dt>SID</dt><dd>${sidHtml(m.sid)}</dd>
      <dt>From</dt><dd>${m.from}</dd><dt>To</dt><dd>${m.to}</dd>
      <dt>Direction</dt><dd>${m.direction}</dd>
      <dt>Body</dt><dd>${show(m.body)}</dd>
      <dt>Segments</dt><dd>${m.num_segments}</dd><dt>Media</dt><dd>${m.num_media}</dd>
      <dt>Created</dt><dd>${dateHtml(m.date_created)}</dd><dt>Sent</dt><dd>${dateHtml(m.date_sent)}</dd>
      ${m.error_code ? html`<dt>Error</dt><dd><strong>${m.error_code}</strong>: ${m.error_message}</dd>` : ""}
    </dl>
    <h2 id="history-h">Status history</h2>
    <ol id="message-history" aria-labelledby="history-h">${found.history.map((h) => html`<li>${badge(h.status)} ${dateHtml(h.date)}${h.error_code ? html` (error ${h.error_code})` : ""}</li>`)}</ol>
    <h2>Callbacks</h2>
    ${log.requests.length ? html`<ul>${log.requests.map((r) => html`<li><a href="${BASE}/accounts/${ac}/requests/${r.sid}">${r.params.MessageStatus || r.purpose}</a> → ${r.url}: ${r.error_code ? html`<strong>${r.error_code}</strong>` : r.status_code}</li>`)}</ul>` : html`<p>None: the message has no status callback.</p>`}`);
});
