/* The console as a phone: call one of your numbers from a handset number (or as a Voice SDK
 * client, with an Access Token) as an interactive call. The screen shows what <Say> says and
 * what <Play> plays (a player for its URL), a keypad and a speech box answer <Gather>, a record
 * button answers <Record>; hang up at any time; the trace grows beside it after every step.
 *
 * Over the API's interactive calls (docs/simulate.md): `InboundCalls` (or `ClientCalls`) with
 * `Interactive=true` run the call until it waits for the caller; `…/InboundCalls/{CA}/Input`
 * (one `Input`) and `…/Hangup` continue it. */

import { acct, api, describe, ext, listAll } from "./api.js";
import { BASE, SID, announce, route } from "./app.js";
import { busy, checkFields, formErrors, selectField, showFormError, textField } from "./forms.js";
import { html, urlHtml } from "./html.js";
import { mountCopyButtons } from "./requests.js";
import * as rules from "./rules.js";
import { traceHtml } from "./page-traffic.js";

/** How long a paused call waits for the person at the console (InteractiveTimeout, seconds). */
const WAIT_SECONDS = 600;
const NARROW = window.matchMedia("(max-width: 40rem)");
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const KEY_NAMES = { "*": "star", "#": "pound" };
const DOCUMENT_PURPOSES = new Set(["voice_url", "voice_fallback_url", "redirect", "gather_action", "record_action", "dial_action"]);

const CALL_RULES = {
  From: rules.phoneNumber("From (your handset)"),
  Token: rules.required("Access Token", 20001),
};

route(`/accounts/(AC${SID})/phone`, async (ctx, ac) => {
  const numbers = await listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 1000);
  ctx.dataArrived();
  const query = new URLSearchParams(location.search);
  const options = numbers.map((n) => [n.phone_number, `${n.phone_number} (${n.friendly_name})`]);
  const wanted = query.get("to");
  const toValue = options.some(([v]) => v === wanted) ? wanted : options.length ? options[0][0] : "";
  ctx.done("Phone", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Phone</p>
    <h1>Phone</h1>
    <p class="lead">Call one of your numbers and talk to your application: you hear what it says,
    answer its menus with the keypad or in words, leave a recording, and hang up when you like.
    Texts: <a href="${BASE}/accounts/${ac}/handsets">SMS threads per handset</a>.</p>
    ${numbers.length ? html`<form id="call-form" class="stack" data-failed="Not called" novalidate>
      ${formErrors()}
      <fieldset><legend>Call as</legend><div class="radios">
        <span><input type="radio" id="as-handset" name="As" value="handset" checked> <label for="as-handset">A phone number (handset)</label></span>
        <span><input type="radio" id="as-client" name="As" value="client"> <label for="as-client">A Voice SDK client (Access Token)</label></span>
      </div></fieldset>
      <div id="handset-fields">
        ${textField("call-from", "From", "From (your handset)", { type: "tel", value: query.get("from") || "+14155550100", hint: "The number you call from, E.164." })}
        ${selectField("call-to", "To", "To (your number)", options, toValue)}
      </div>
      <div id="client-fields" hidden>
        ${textField("call-token", "Token", "Access Token", { multiline: 3, hint: "A token with a voice grant naming an outgoing application (docs/clients.md): the call goes to that application as the token's identity." })}
        ${textField("call-param-to", "ParamTo", "To parameter", { value: toValue, hint: "What the device sends as To (device.connect({params: {To}})); leave empty to send none." })}
      </div>
      <div class="actions"><button type="submit" id="call-button">Call</button></div>
    </form>` : html`<p>This account has no numbers to call: <a href="${BASE}/accounts/${ac}/numbers">add one</a> first.</p>`}
    <div class="phone-layout">
      <section class="handset" aria-labelledby="handset-h">
        <h2 id="handset-h">On the line</h2>
        <p id="call-state" role="status">No call yet.</p>
        <ol id="heard" class="heard" aria-label="What the call said and played"></ol>
        <div id="call-controls" hidden></div>
      </section>
      <section id="phone-trace" class="phone-trace" aria-label="Trace"></section>
    </div>`);
  const form = document.getElementById("call-form");
  if (!form) return;
  mountPhone(ctx, ac, form);
});

/** The verb's URL resolved against the document it came from: the last document the call
 *  fetched at or before the verb's call time (a relative <Play> URL is relative to it). */
function documentUrl(trace, at) {
  let url = null;
  for (const r of trace.requests || []) {
    if (r.at > at) break;
    if (DOCUMENT_PURPOSES.has(r.purpose) && !r.error_code && r.status_code >= 200 && r.status_code < 300) url = r.url;
  }
  return url;
}

function resolve(text, base) {
  try { return new URL(text.trim(), base || undefined).href; } catch { return text.trim(); }
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One thing the caller hears: what <Say> says, a player for what <Play> plays. */
function promptHtml(verb, base, n) {
  const a = verb.attributes || {};
  if (verb.verb === "Say") return html`<li class="say"><span class="what">Says</span> “${verb.text || ""}”</li>`;
  if (verb.verb === "Play") {
    if (a.digits) return html`<li class="play"><span class="what">Plays the keys</span> <code>${a.digits}</code></li>`;
    const url = resolve(verb.text || "", base);
    return html`<li class="play"><span class="what">Plays</span> ${urlHtml(url)}
      <audio controls preload="none" src="${url}" aria-label="Play the audio of step ${n}"></audio></li>`;
  }
  if (verb.verb === "Pause") return html`<li class="pause"><span class="what">Silence</span> for ${plural(Number(a.length || 1), "second")}</li>`;
  return null;
}

/** What the caller did at a verb that listened. */
function heardText(heard) {
  if (heard === null || heard === undefined || heard === "timeout") return "You stayed silent.";
  if (heard.startsWith("speech:")) return `You said “${heard.slice(7)}”.`;
  if (heard.startsWith("record:")) return `You recorded ${heard.slice(7)} seconds.`;
  return `You pressed ${heard}.`;
}

/** The call as the caller lived it, verb by verb. */
function heardHtml(trace) {
  const items = [];
  (trace.verbs || []).forEach((verb, i) => {
    const base = documentUrl(trace, verb.at);
    const n = i + 1;
    const prompt = promptHtml(verb, base, n);
    if (prompt) { items.push(prompt); return; }
    const a = verb.attributes || {};
    if (verb.verb === "Gather") {
      (verb.children || []).forEach((child, j) => {
        const p = promptHtml(child, base, `${n}.${j + 1}`);
        if (p) items.push(p);
      });
      const modes = String(a.input || "dtmf");
      items.push(html`<li class="listen"><span class="what">Listens</span> for ${modes.includes("speech") ? (modes.includes("dtmf") ? "keys or speech" : "speech") : a.numDigits ? plural(Number(a.numDigits), "key") : "keys"}${"heard" in verb ? html` — <strong>${heardText(verb.heard)}</strong>` : ""}</li>`);
    } else if (verb.verb === "Record") {
      items.push(html`<li class="listen"><span class="what">Records</span> your message${a.maxLength ? ` (at most ${plural(Number(a.maxLength), "second")})` : ""}${"heard" in verb ? html` — <strong>${heardText(verb.heard)}</strong>` : ""}</li>`);
    } else if (verb.verb === "Dial") {
      const nouns = (verb.children || []).map((c) => c.text || (c.attributes && c.attributes.identity) || c.verb).filter(Boolean);
      items.push(html`<li class="dial"><span class="what">Dials</span> ${nouns.length ? nouns.join(", ") : verb.text || ""}${verb.status ? ` (${verb.status})` : ""}</li>`);
    } else if (verb.verb === "Redirect") {
      items.push(html`<li class="redirect"><span class="what">Moves on</span> to ${urlHtml(resolve(verb.text || "", base))}</li>`);
    } else if (verb.verb === "Hangup") {
      items.push(html`<li class="end"><span class="what">Hangs up</span></li>`);
    } else if (verb.verb === "Reject") {
      items.push(html`<li class="end"><span class="what">Rejects</span> the call</li>`);
    } else {
      items.push(html`<li class="other"><span class="what">${verb.verb}</span> (not run by the simulation)</li>`);
    }
  });
  return items;
}

function stateText(trace, caller) {
  if (trace.status === "in-progress" && trace.waiting) {
    const w = trace.waiting;
    if (w.verb === "Record") return `In a call with ${trace.to}: it is recording; speak, then stop.`;
    const modes = String((w.attributes || {}).input || "dtmf");
    return `In a call with ${trace.to}: it waits for ${modes.includes("speech") ? (modes.includes("dtmf") ? "your keys or your words" : "your words") : "your keys"}.`;
  }
  const seconds = trace.duration === null || trace.duration === undefined ? "" : `, ${plural(trace.duration, "second")}`;
  const error = trace.error_code ? ` Error ${trace.error_code}: ${trace.error_message}` : "";
  return `Call from ${caller} ended: ${trace.status}${seconds}.${error}`;
}

/** The controls for what the call waits for. */
function controlsHtml(waiting) {
  const a = waiting.attributes || {};
  const hangup = html`<div class="actions"><button type="button" class="danger" id="hang-up">Hang up</button></div>`;
  if (waiting.verb === "Record") {
    return html`<div class="record-box">
      <p class="hint" id="record-hint">Press Record, speak, then press Stop: the recording lasts as long as you spoke.</p>
      <div class="actions"><button type="button" id="record" aria-pressed="false" aria-describedby="record-hint">Record</button>
      <span id="record-time" class="muted" aria-live="off"></span>
      <button type="button" class="secondary" id="silent">Stay silent</button></div></div>${hangup}`;
  }
  const modes = String(a.input || "dtmf");
  const dtmf = modes.includes("dtmf");
  const speech = modes.includes("speech");
  const finish = a.finishOnKey === undefined ? "#" : String(a.finishOnKey);
  const keypad = dtmf ? html`<div class="keypad-box">
      <p class="hint" id="keypad-hint">Press the keys here or on your keyboard. ${a.numDigits ? `It takes ${plural(Number(a.numDigits), "key")}; they are sent when you have pressed them.` : finish ? `End with ${finish} (${KEY_NAMES[finish] || finish}), or press Send keys.` : "Press Send keys when you are done."}</p>
      <div class="keypad" role="group" aria-label="Keypad" aria-describedby="keypad-hint">
        ${KEYS.map((k) => html`<button type="button" class="key" data-key="${k}">${k}${KEY_NAMES[k] ? html`<span class="visually-hidden"> ${KEY_NAMES[k]}</span>` : ""}</button>`)}
      </div>
      <p>Keys pressed: <output id="keys-entered" aria-live="polite"></output></p>
      <div class="actions"><button type="button" id="send-keys">Send keys</button>
      <button type="button" class="secondary" id="clear-keys">Clear</button></div></div>` : "";
  const speak = speech ? html`<form id="speech-form" class="speech-box" novalidate>
      <div class="field"><label for="speech-text">What you say</label>
      <input id="speech-text" name="Speech" type="text" autocomplete="off"></div>
      <div class="actions"><button type="submit">Say it</button></div></form>` : "";
  return html`${keypad}${speak}<div class="actions"><button type="button" class="secondary" id="silent">Stay silent</button></div>${hangup}`;
}

function mountPhone(ctx, ac, form) {
  const state = document.getElementById("call-state");
  const heard = document.getElementById("heard");
  const controls = document.getElementById("call-controls");
  const traceBox = document.getElementById("phone-trace");
  mountCopyButtons(traceBox);
  let call = null; // { sid, account, caller }
  let sending = false;
  let recordTimer = null;
  const stopTimer = () => { if (recordTimer) { clearInterval(recordTimer.id); recordTimer = null; } };
  ctx.onLeave(stopTimer);
  // The computer's keys press the keypad's (0-9, * and #), unless typing in a field.
  const typed = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea, select")) return;
    const button = controls.hidden ? null : controls.querySelector(`button.key[data-key="${CSS.escape(event.key)}"]`);
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  };
  document.addEventListener("keydown", typed);
  ctx.onLeave(() => document.removeEventListener("keydown", typed));
  // Leaving the page hangs up a call that waits for you (closing the tab leaves it to expire
  // after InteractiveTimeout, as a caller who walked away).
  let live = false;
  ctx.onLeave(() => {
    if (live && call) api("POST", `${ext(call.account)}/InboundCalls/${call.sid}/Hangup`).catch(() => {});
  });

  const sync = () => {
    const client = form.querySelector("#as-client").checked;
    document.getElementById("client-fields").hidden = !client;
    document.getElementById("handset-fields").hidden = client;
  };
  form.querySelectorAll('[name="As"]').forEach((r) => r.addEventListener("change", sync));

  const show = (trace) => {
    stopTimer();
    heard.innerHTML = heardHtml(trace).map((item) => item.html).join("");
    state.textContent = stateText(trace, call.caller);
    traceBox.innerHTML = traceHtml(trace.account_sid || ac, trace).html;
    // On a phone's screen the trace follows the call: its requests' details folded, so that the
    // page is no taller than needed (each opens on a tap).
    if (NARROW.matches) traceBox.querySelectorAll("details[open]").forEach((d) => { d.open = false; });
    const waiting = trace.status === "in-progress" && trace.waiting;
    live = Boolean(waiting);
    controls.hidden = !waiting;
    controls.innerHTML = waiting ? controlsHtml(trace.waiting).html : "";
    document.getElementById("call-button").disabled = Boolean(waiting);
    if (waiting) mountControls(trace.waiting);
    announce(state.textContent);
  };

  /** One step of the call: `Input` (or a hang-up), then the trace as it is now. */
  const step = async (path, params) => {
    if (sending || !call) return;
    sending = true;
    controls.querySelectorAll("button, input").forEach((el) => { el.disabled = true; });
    state.textContent = "…";
    try {
      const trace = await api("POST", `${ext(call.account)}/InboundCalls/${call.sid}/${path}`, params);
      if (ctx.current()) show(trace);
    } catch (error) {
      if (!ctx.current()) return;
      // Expired or ended meanwhile: show the call as it ended.
      let trace = null;
      try { trace = await api("GET", `${ext(call.account)}/InboundCalls/${call.sid}`); } catch { trace = null; }
      if (trace) show(trace);
      state.textContent = `${path === "Hangup" ? "Not hung up" : "Not sent"}: ${describe(error)}. ${trace ? stateText(trace, call.caller) : ""}`;
      announce(state.textContent);
    } finally {
      sending = false;
    }
  };
  const input = (value) => step("Input", { Input: value });

  function mountControls(waiting) {
    document.getElementById("hang-up").addEventListener("click", () => step("Hangup"));
    document.getElementById("silent").addEventListener("click", () => input("timeout"));
    const a = waiting.attributes || {};
    if (waiting.verb === "Record") {
      const button = document.getElementById("record");
      const time = document.getElementById("record-time");
      button.addEventListener("click", () => {
        if (!recordTimer) {
          recordTimer = { started: performance.now(), id: setInterval(() => { time.textContent = `${Math.floor((performance.now() - recordTimer.started) / 1000)} s`; }, 250) };
          time.textContent = "0 s";
          button.textContent = "Stop";
          button.setAttribute("aria-pressed", "true");
          announce("Recording: speak, then press Stop.");
          return;
        }
        const seconds = Math.max(1, Math.round((performance.now() - recordTimer.started) / 1000));
        stopTimer();
        input(`record:${seconds}`);
      });
      return;
    }
    const entered = document.getElementById("keys-entered");
    if (entered) {
      const wanted = Number(a.numDigits || 0);
      const finish = a.finishOnKey === undefined ? "#" : String(a.finishOnKey);
      let keys = "";
      controls.querySelector(".keypad").addEventListener("click", (event) => {
        const key = event.target.closest("button.key");
        if (!key || sending) return;
        keys += key.dataset.key;
        entered.textContent = keys;
        if ((wanted && keys.length >= wanted) || (finish && key.dataset.key === finish)) input(keys);
      });
      document.getElementById("send-keys").addEventListener("click", () => { if (keys) input(keys); });
      document.getElementById("clear-keys").addEventListener("click", () => { keys = ""; entered.textContent = ""; });
    }
    const speech = document.getElementById("speech-form");
    if (speech) {
      speech.addEventListener("submit", (event) => {
        event.preventDefault();
        const text = speech.Speech.value.trim();
        if (text) input(`speech:${text}`);
      });
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const client = form.querySelector("#as-client").checked;
      if (!checkFields(form, CALL_RULES)) return;
      state.textContent = "Calling…";
      heard.innerHTML = "";
      traceBox.innerHTML = "";
      controls.hidden = true;
      try {
        let trace;
        if (client) {
          const params = new URLSearchParams({ Token: form.Token.value.trim(), Interactive: "true", InteractiveTimeout: String(WAIT_SECONDS) });
          const to = form.ParamTo.value.trim();
          if (to) params.append("Param", `To=${to}`);
          trace = await api("POST", `${ext(ac)}/ClientCalls`, params);
        } else {
          trace = await api("POST", `${ext(ac)}/InboundCalls`, {
            To: form.To.value, From: form.From.value.trim(), Interactive: "true", InteractiveTimeout: String(WAIT_SECONDS),
          });
        }
        if (!ctx.current()) return;
        call = { sid: trace.call_sid, account: trace.account_sid || ac, caller: trace.from };
        show(trace);
        const first = controls.querySelector("button");
        if (first && !controls.hidden) first.focus();
      } catch (error) {
        state.textContent = "No call.";
        showFormError(form, error, client ? "Token" : "To");
      }
    });
  });
}
