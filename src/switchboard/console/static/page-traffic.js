/* Simulated calls and SMS, and their traces as a timeline (shown here, on the phone, and on a
 * call's or message's own page: page-logs.js). */

import { acct, api, ext, listAll } from "./api.js";
import { BASE, SID, route } from "./app.js";
import { busy, checkFields, errorBox, formErrors, selectField, showFormError, textField } from "./forms.js";
import { dateHtml, html, raw, sidHtml } from "./html.js";
import { failed, mountCopyButtons, requestBody } from "./requests.js";
import * as rules from "./rules.js";

const SIM_RULES = {
  From: rules.required("From", 21603),
  Body: rules.body("Message body"),
};

route(`/accounts/(AC${SID})/simulate`, async (ctx, ac) => {
  const numbers = await listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 1000);
  ctx.dataArrived();
  const wanted = new URLSearchParams(location.search).get("to");
  const options = numbers.map((n) => [n.phone_number, `${n.phone_number} (${n.friendly_name})`]);
  ctx.done("Simulate", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Simulate</p>
    <h1>Simulate a call or an SMS</h1>
    <p class="lead">Switchboard requests your webhooks now, as Twilio would, and shows every request it made.</p>
    ${numbers.length ? html`<form id="simulate-form" class="stack" data-failed="Not simulated" novalidate>
      ${formErrors()}
      <fieldset><legend>What arrives</legend><div class="radios">
        <span><input type="radio" id="sim-kind-call" name="Kind" value="call" checked> <label for="sim-kind-call">A call</label></span>
        <span><input type="radio" id="sim-kind-sms" name="Kind" value="sms"> <label for="sim-kind-sms">An SMS</label></span>
      </div></fieldset>
      ${selectField("sim-to", "To", "To (your number)", options, wanted || options[0][0])}
      ${textField("sim-from", "From", "From", { type: "tel", value: "+14155550100", hint: "The caller or sender, E.164." })}
      <div id="sim-call-fields">
        ${textField("sim-caller-name", "CallerName", "Caller name", { hint: "Sent when the application looks up caller names." })}
      </div>
      <div id="sim-sms-fields" hidden>
        <div class="field"><label for="sim-body">Message body</label>
        <textarea id="sim-body" name="Body" rows="3" aria-describedby="sim-body-error">Hello</textarea>${errorBox("sim-body")}</div>
      </div>
      <div class="actions"><button type="submit">Simulate</button></div>
    </form>
    <section id="trace-result" aria-live="polite" aria-label="Result"></section>` : html`<p>This account has no numbers: <a href="${BASE}/accounts/${ac}/numbers">add one</a> first.</p>`}`);
  const form = document.getElementById("simulate-form");
  if (!form) return;
  const result = document.getElementById("trace-result");
  mountCopyButtons(result);
  const sync = () => {
    const sms = form.querySelector("#sim-kind-sms").checked;
    document.getElementById("sim-sms-fields").hidden = !sms;
    document.getElementById("sim-call-fields").hidden = sms;
  };
  form.querySelectorAll('[name="Kind"]').forEach((r) => r.addEventListener("change", sync));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      if (!checkFields(form, SIM_RULES)) return;
      const sms = form.querySelector("#sim-kind-sms").checked;
      const params = { To: form.To.value, From: form.From.value.trim() };
      if (sms) params.Body = form.Body.value;
      else if (form.CallerName.value.trim()) params.CallerName = form.CallerName.value.trim();
      result.innerHTML = html`<p>Running…</p>`.html;
      try {
        const trace = await api("POST", `${ext(ac)}/${sms ? "InboundMessages" : "InboundCalls"}`, params);
        performance.mark("sb:trace:start");
        result.innerHTML = traceHtml(ac, trace).html;
        void result.offsetHeight;
        const measure = performance.measure("sb:trace", "sb:trace:start");
        window.switchboardTiming.renderMs = measure.duration;
        document.getElementById("main").dataset.renderMs = measure.duration.toFixed(1);
        const first = result.querySelector("h2");
        if (first) { first.tabIndex = -1; first.focus(); }
      } catch (error) {
        result.innerHTML = "";
        showFormError(form, error, "To");
      }
    });
  });
});

/** A trace as a timeline: each request, its parameters, signature, answer, timing, the command
 *  that sends it again, and why a fallback fired. */
export function traceHtml(ac, trace) {
  const isCall = Boolean(trace.call_sid);
  const sid = trace.call_sid || trace.message_sid;
  const bad = trace.status !== "completed";
  const steps = trace.requests.map((r, i) => {
    const prev = i > 0 ? trace.requests[i - 1] : null;
    const stepFailed = failed(r);
    const why = /_fallback_url$/.test(r.purpose) && prev
      ? html`<p class="why"><strong>Why this fallback fired:</strong> request ${i} (${prev.purpose}) failed${prev.error_code ? html` with error <strong>${prev.error_code}</strong>: ${prev.error_message}` : prev.status_code ? ` with HTTP ${prev.status_code}` : ""}.</p>`
      : "";
    return html`<li class="${stepFailed ? "failed" : "ok"}" aria-labelledby="step-${i + 1}">
      <div class="step-head">
        <h3 id="step-${i + 1}">${i + 1}. ${r.purpose}</h3>
        <span class="badge ${stepFailed ? "bad" : "ok"}">${r.status_code ? `HTTP ${r.status_code}` : "no answer"}</span>
        <span class="muted">${Number(r.duration_ms).toFixed(1)} ms</span>
        ${r.sid ? html`<a href="${BASE}/accounts/${ac}/requests/${r.sid}">Details, replay</a>` : ""}
      </div>
      ${why}
      ${requestBody(r, `step-${i + 1}`)}
    </li>`;
  });
  return html`<div class="trace">
    <div class="trace-summary">
      <h2 id="trace-h">${isCall ? "Call" : "Message"} ${sidHtml(sid)}
        <span class="badge ${bad ? "bad" : "ok"}">${trace.status}</span></h2>
      <dl class="props">
        <dt>From</dt><dd>${trace.from}</dd><dt>To</dt><dd>${trace.to}</dd>
        <dt>Application</dt><dd>${trace.application_sid ? html`<a href="${BASE}/accounts/${ac}/applications/${trace.application_sid}">${sidHtml(trace.application_sid)}</a>` : "— (the number's own URLs)"}</dd>
        <dt>Date</dt><dd>${dateHtml(trace.date_created)}</dd>
        ${trace.error_code ? html`<dt>Error</dt><dd><strong>${trace.error_code}</strong>: ${trace.error_message}</dd>` : ""}
        <dt>Verbs</dt><dd>${trace.verbs.length ? trace.verbs.map((v) => v.verb).join(", ") : "—"}</dd>
      </dl>
      ${trace.warnings.length ? html`<p class="why"><strong>Warnings:</strong> ${trace.warnings.join("; ")}</p>` : ""}
      ${(trace.messages || []).length ? html`<h3>Replies</h3><ul>${trace.messages.map((m) => html`<li>${m.from} → ${m.to}: “${m.body}” (${m.status})</li>`)}</ul>` : ""}
      <p><a href="${BASE}/accounts/${ac}/${isCall ? "calls" : "messages"}/${sid}">Permanent link to this trace</a> ·
      <a href="${BASE}/accounts/${ac}/requests?sid=${sid}">Its requests in the log</a></p>
    </div>
    <h2 id="timeline-h">Timeline: ${trace.requests.length} request${trace.requests.length === 1 ? "" : "s"}</h2>
    <ol class="timeline" aria-labelledby="timeline-h">${steps}</ol>
    ${trace.twiml ? html`<h3>Last TwiML executed</h3><pre tabindex="0">${trace.twiml}</pre>` : raw("")}
  </div>`;
}
