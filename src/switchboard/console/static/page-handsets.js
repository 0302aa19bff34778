/* SMS threads per handset: a handset is a phone number outside Switchboard (issue 15's far end).
 * Its thread is every message between it and the account: what it sent (inbound messages,
 * Twilio's Messages list `From` it), what the account sent it (`To` it: replies and messages
 * your code sends) and what the handsets API says it received, each with its delivery status,
 * updated live. Texting from the handset is `POST …/Handsets/{E164}/Messages`; STOP and START
 * are texts like any other (Twilio's opt-out words), and the thread says when the handset has
 * opted out of a number. */

import { acct, api, describe, ext, listAll } from "./api.js";
import { BASE, SID, announce, go, route } from "./app.js";
import { busy, checkFields, errorBox, formErrors, selectField, showFormError, textField } from "./forms.js";
import { dateHtml, html, show } from "./html.js";
import { statusBadge } from "./page-logs.js";
import * as rules from "./rules.js";
import { table } from "./tables.js";

const POLL_MS = 2000;
const THREADS_SCANNED = 1000;
const E164 = /^\+[1-9][0-9]{6,14}$/;

const inbound = (m) => String(m.direction || "").startsWith("inbound");
const handsetOf = (m) => (inbound(m) ? m.from : m.to);
const ourNumberOf = (m) => (inbound(m) ? m.to : m.from);
const handsetPath = (ac, e164) => `${ext(ac)}/Handsets/${encodeURIComponent(e164)}`;

route(`/accounts/(AC${SID})/handsets`, async (ctx, ac) => {
  const [messages, numbers] = await Promise.all([
    api("GET", `${acct(ac)}/Messages.json`, { PageSize: String(THREADS_SCANNED) }).then((p) => p.messages),
    listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 1000),
  ]);
  ctx.dataArrived();
  const threads = new Map();
  for (const m of messages) { // newest first: the first seen is the thread's last message
    const handset = handsetOf(m);
    if (!E164.test(handset || "")) continue; // client:…, or a number of no handset
    const t = threads.get(handset) || { handset, last: m, count: 0 };
    t.count += 1;
    threads.set(handset, t);
  }
  const options = numbers.map((n) => [n.phone_number, `${n.phone_number} (${n.friendly_name})`]);
  ctx.done("SMS threads", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/phone">Phone</a> › SMS threads</p>
    <h1>SMS threads</h1>
    <p class="lead">Text your numbers from a handset and read what your application and your code send back.</p>
    <form id="open-thread" class="stack" data-failed="Not opened" novalidate>
      ${formErrors()}
      ${textField("thread-handset", "Handset", "Handset number", { type: "tel", value: "+14155550100", hint: "A phone number outside Switchboard, E.164." })}
      <div class="actions"><button type="submit">Open the thread</button></div>
    </form>
    ${threads.size ? table({
      id: "thread-table",
      caption: `${threads.size} thread${threads.size === 1 ? "" : "s"} (in the newest ${messages.length} messages)`,
      head: ["Handset", "Last message", "With", "When", "Messages"],
      rows: [...threads.values()].map((t) => [
        html`<a href="${BASE}/accounts/${ac}/handsets/${t.handset}">${t.handset}</a>`,
        html`${inbound(t.last) ? "They: " : "You: "}${t.last.body}`,
        show(ourNumberOf(t.last)),
        dateHtml(t.last.date_created),
        String(t.count),
      ]),
    }) : html`<p id="no-threads">No SMS threads yet.${options.length ? "" : " Add a number first: a handset texts one of your numbers."}</p>`}`);
  const form = document.getElementById("open-thread");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!checkFields(form, { Handset: rules.phoneNumber("Handset number") })) return;
    go(`${BASE}/accounts/${ac}/handsets/${form.Handset.value.trim()}`);
  });
});

/** The thread: every message between the handset and the account, oldest first, each once;
 *  and the account's numbers the handset has opted out of (the handsets API says). */
async function thread(ac, handset) {
  const [sent, toIt, got, state] = await Promise.all([
    api("GET", `${acct(ac)}/Messages.json`, { From: handset, PageSize: "1000" }).then((p) => p.messages),
    api("GET", `${acct(ac)}/Messages.json`, { To: handset, PageSize: "1000" }).then((p) => p.messages),
    api("GET", `${handsetPath(ac, handset)}/Messages`, { PageSize: "1000" }).then((p) => p.messages),
    api("GET", handsetPath(ac, handset)),
  ]);
  const bySid = new Map();
  for (const m of [...sent, ...toIt, ...got]) bySid.set(m.sid, { ...bySid.get(m.sid), ...m });
  // SIDs are time-ordered (docs/architecture.md): their order is creation order.
  const key = (m) => m.sid.slice(2);
  const messages = [...bySid.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { messages, optedOutOf: state.opted_out_of || [] };
}

function bubbleHtml(ac, m) {
  const mine = inbound(m); // the handset's own text
  return html`<li class="${mine ? "mine" : "theirs"}">
    <span class="meta">${mine ? `You (${m.from}) to ${m.to}` : `${m.from} to you`} · ${dateHtml(m.date_created)}</span>
    ${m.body}${Number(m.num_media) > 0 ? html` <span class="badge neutral">${m.num_media} media</span>` : ""}
    <span class="meta">${statusBadge(m.status)}${m.error_code ? html` error ${m.error_code}: ${show(m.error_message)}` : ""}
    · <a href="${BASE}/accounts/${ac}/messages/${m.sid}" aria-label="Details of the message of ${m.date_created}">details</a></span></li>`;
}

const optOutHtml = (numbers) => html`<p class="note" id="opted-out">${numbers.length
  ? `Opted out of ${numbers.join(", ")}: messages to this handset from ${numbers.length === 1 ? "it" : "them"} fail (21610) until it sends START.`
  : ""}</p>`;

route(`/accounts/(AC${SID})/handsets/(\\+[1-9][0-9]{6,14})`, async (ctx, ac, handset) => {
  const [{ messages, optedOutOf }, numbers] = await Promise.all([
    thread(ac, handset),
    listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 1000),
  ]);
  ctx.dataArrived();
  const options = numbers.map((n) => [n.phone_number, `${n.phone_number} (${n.friendly_name})`]);
  const last = messages.length ? ourNumberOf(messages[messages.length - 1]) : "";
  const to = new URLSearchParams(location.search).get("to") || (options.some(([v]) => v === last) ? last : options.length ? options[0][0] : "");
  ctx.done(`SMS with ${handset}`, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/handsets">SMS threads</a> › ${handset}</p>
    <h1>SMS with ${handset}</h1>
    ${optOutHtml(optedOutOf)}
    <ol id="thread" class="thread" aria-label="Messages, oldest first" aria-live="polite">${messages.map((m) => bubbleHtml(ac, m))}</ol>
    ${messages.length ? "" : html`<p id="thread-empty">No messages yet.</p>`}
    <p class="muted" id="thread-state">Live: checks every 2 seconds.</p>
    ${options.length ? html`<form id="text-form" class="stack" data-failed="Not sent" novalidate>
      ${formErrors()}
      ${selectField("text-to", "To", "To (your number)", options, to)}
      <div class="field"><label for="text-body">Text</label>
      <textarea id="text-body" name="Body" rows="2" aria-describedby="text-body-hint text-body-error"></textarea>
      <p id="text-body-hint" class="hint">Send STOP to opt out of the number, START to opt back in, HELP for its help text.</p>${errorBox("text-body")}</div>
      <div class="actions"><button type="submit">Send</button>
      <button type="button" class="secondary" id="send-stop">Send STOP</button>
      <button type="button" class="secondary" id="send-start">Send START</button></div>
    </form>` : html`<p>This account has no numbers to text: <a href="${BASE}/accounts/${ac}/numbers">add one</a> first.</p>`}`);

  const list = document.getElementById("thread");
  const stateBox = document.getElementById("thread-state");
  const summary = (t) => JSON.stringify([t.messages.map((m) => [m.sid, m.status]), t.optedOutOf]);
  let shown = summary({ messages, optedOutOf });
  const redraw = ({ messages: fresh, optedOutOf: out }) => {
    list.innerHTML = fresh.map((m) => bubbleHtml(ac, m).html).join("");
    document.getElementById("opted-out").outerHTML = optOutHtml(out).html;
    const empty = document.getElementById("thread-empty");
    if (empty && fresh.length) empty.remove();
  };
  const refresh = async () => {
    const fresh = await thread(ac, handset);
    if (!ctx.current()) return;
    const now = summary(fresh);
    if (now !== shown) {
      shown = now;
      redraw(fresh);
    }
    stateBox.textContent = `Live: updated ${new Date().toLocaleTimeString()}.`;
  };
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try { await refresh(); } catch (error) { stateBox.textContent = `Could not update: ${describe(error)}`; } finally { running = false; }
  }, POLL_MS);
  ctx.onLeave(() => clearInterval(timer));

  const form = document.getElementById("text-form");
  if (!form) return;
  const send = (body) => busy(form, async () => {
    if (body === null && !checkFields(form, { Body: (v) => (v === "" ? { code: 21602, text: "Text is required" } : rules.body("Text")(v)) })) return;
    const text = body ?? form.Body.value;
    try {
      await api("POST", `${handsetPath(ac, handset)}/Messages`, { To: form.To.value, Body: text });
      if (body === null) form.Body.value = "";
      announce(`Sent “${text}” to ${form.To.value}.`);
      running = true;
      try { await refresh(); } finally { running = false; }
    } catch (error) {
      showFormError(form, error, "Body");
    }
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); send(null); });
  document.getElementById("send-stop").addEventListener("click", () => send("STOP"));
  document.getElementById("send-start").addEventListener("click", () => send("START"));
});
