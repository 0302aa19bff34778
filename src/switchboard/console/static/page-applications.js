/* Applications: the list (1000 at once, drawn 100 at a time), create, edit, delete, and assign to
 * a number (a number already linked to another application is replaced only once confirmed). */

import { acct, api, listAll } from "./api.js";
import { BASE, SID, go, route, setFlash } from "./app.js";
import {
  askFirst, busy, checkField, clearFormErrors, confirmAction, formErrors, onSubmit, showFormError,
  showStatus,
} from "./forms.js";
import { dateHtml, html, sidHtml, urlHtml } from "./html.js";
import { WEBHOOKS, fieldControl, fieldParams, fieldRules, fields } from "./fields.js";
import { appNames, linksOf, numberLabel } from "./links.js";
import { picker } from "./picker.js";
import { cell, pagedTable } from "./tables.js";

const APP_FIELDS = fields("app", [
  "friendly_name", "api_version", ...WEBHOOKS,
  "sms_status_callback", "message_status_callback", "public_application_connect_enabled",
], {
  voice_url: "Requested when a call arrives at a number using this application.",
  sms_url: "Requested when a message arrives.",
});

function appForm(app, submitLabel) {
  const groups = ["General", "Voice", "Messaging", "Other"];
  return html`<form id="app-form" class="stack" novalidate>
    ${formErrors()}
    ${groups.map((g) => html`<fieldset><legend>${g}</legend>${APP_FIELDS.filter((f) => f.group === g).map((f) => fieldControl(f, app ? app[f.key] : null))}</fieldset>`)}
    <div class="actions"><button type="submit">${submitLabel}</button></div>
  </form>`;
}

route(`/accounts/(AC${SID})/applications`, async (ctx, ac) => {
  const page = await api("GET", `${acct(ac)}/Applications.json`, { PageSize: "1000" });
  ctx.dataArrived();
  const apps = page.applications;
  const table = pagedTable({
    id: "app-table",
    items: apps,
    noun: "application",
    plural: "applications",
    filterLabel: "Filter by name or SID",
    head: ["Friendly name", "SID", "Voice URL", "SMS URL", "Created"],
    text: (a) => `${a.friendly_name ?? ""} ${a.sid}`,
    row: (a) => [
      cell("Friendly name", html`<a href="${BASE}/accounts/${ac}/applications/${a.sid}">${a.friendly_name ?? "(no name)"}</a>`),
      cell("SID", sidHtml(a.sid)),
      cell("Voice URL", urlHtml(a.voice_url)),
      cell("SMS URL", urlHtml(a.sms_url)),
      cell("Created", dateHtml(a.date_created)),
    ].map((c) => c.html).join(""),
  });
  ctx.done("Applications", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Applications</p>
    <h1>Applications</h1>
    <div class="actions"><a class="button" href="${BASE}/accounts/${ac}/applications/new">New application</a></div>
    ${apps.length === 0 ? html`<p>No applications yet.</p>` : table.markup}`);
  if (apps.length) table.mount();
});

route(`/accounts/(AC${SID})/applications/new`, async (ctx, ac) => {
  ctx.done("New application", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/applications">Applications</a> › New</p>
    <h1>New application</h1>
    ${appForm(null, "Create application")}`);
  const form = document.getElementById("app-form");
  onSubmit(form, {
    rules: fieldRules(APP_FIELDS, { optionalName: true }),
    send: async () => {
      const app = await api("POST", `${acct(ac)}/Applications.json`, fieldParams(form, APP_FIELDS, null));
      setFlash("ok", `Created application ${app.sid}.`);
      go(`${BASE}/accounts/${ac}/applications/${app.sid}`);
    },
  });
});

route(`/accounts/(AC${SID})/applications/(AP${SID})`, async (ctx, ac, ap) => {
  const [app, numbers, names] = await Promise.all([
    api("GET", `${acct(ac)}/Applications/${ap}.json`),
    listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 1000),
    appNames(ac),
  ]);
  ctx.dataArrived();
  names[ap] = app.friendly_name ?? "(no name)";
  const using = numbers.filter((n) => n.voice_application_sid === ap || n.sms_application_sid === ap);
  const name = names[ap];
  const numberPicker = picker({
    id: "assign-number",
    name: "Number",
    legend: "Number",
    items: numbers.map((n) => ({ value: n.sid, label: numberLabel(n), detail: linksOf(n, names) })),
    value: numbers.length ? numbers[0].sid : "",
    hint: "Each number says which applications it uses now.",
  });
  ctx.done(name, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/applications">Applications</a> › ${ap}</p>
    <h1>${name}</h1>
    <dl class="props">
      <dt>SID</dt><dd>${sidHtml(app.sid)}</dd>
      <dt>Created</dt><dd>${dateHtml(app.date_created)}</dd>
      <dt>Updated</dt><dd id="app-updated">${dateHtml(app.date_updated)}</dd>
      <dt>Numbers using it</dt><dd>${using.length ? using.map((n, i) => html`${i ? ", " : ""}<a href="${BASE}/accounts/${ac}/numbers/${n.sid}">${n.phone_number}</a> (${[n.voice_application_sid === ap ? "voice" : "", n.sms_application_sid === ap ? "SMS" : ""].filter(Boolean).join(" and ")})`) : "none"}</dd>
    </dl>
    <h2>Edit</h2>
    ${appForm(app, "Save changes")}
    <h2 id="assign-h">Assign to a number</h2>
    ${numbers.length ? html`<form id="assign-form" class="stack" aria-labelledby="assign-h" data-failed="Not assigned" novalidate>
      ${formErrors()}
      ${numberPicker.markup}
      ${checkField("assign-voice", "ForVoice", "Use for voice calls", true)}
      ${checkField("assign-sms", "ForSms", "Use for SMS", true)}
      <div class="actions"><button type="submit">Assign</button></div>
      <div class="confirm-area"></div>
    </form>` : html`<p>This account has no numbers yet: <a href="${BASE}/accounts/${ac}/numbers">add one</a>.</p>`}
    <h2>Delete</h2>
    <div id="delete-area"><button type="button" class="danger" id="delete-app">Delete application…</button></div>`);

  const form = document.getElementById("app-form");
  onSubmit(form, {
    rules: fieldRules(APP_FIELDS, { optionalName: app.friendly_name === null }),
    send: async () => {
      const updated = await api("POST", `${acct(ac)}/Applications/${ap}.json`, fieldParams(form, APP_FIELDS, app));
      Object.assign(app, updated);
      document.getElementById("app-updated").innerHTML = dateHtml(updated.date_updated).html;
      document.getElementById("main").querySelector("h1").textContent = updated.friendly_name ?? "(no name)";
      showStatus(form, `Saved ${updated.sid}.`);
    },
  });

  const assign = document.getElementById("assign-form");
  if (assign) mountAssign(assign, ac, ap, name, numbers, numberPicker, names);

  confirmAction("delete-app", "Delete this application? Numbers using it lose the link.", async () => {
    await api("DELETE", `${acct(ac)}/Applications/${ap}.json`);
    setFlash("ok", `Deleted application ${name} (${ap}).`);
    go(`${BASE}/accounts/${ac}/applications`);
  });
});

/** Assigning: the links it would replace are named as soon as a number is chosen, and asked
 *  about before anything is sent. */
function mountAssign(form, ac, ap, name, numbers, numberPicker, names) {
  const replaced = () => {
    const n = numbers.find((x) => x.sid === numberPicker.value());
    if (!n) return [];
    const out = [];
    if (form.ForVoice.checked && n.voice_application_sid && n.voice_application_sid !== ap) out.push(["voice calls", n.voice_application_sid]);
    if (form.ForSms.checked && n.sms_application_sid && n.sms_application_sid !== ap) out.push(["SMS", n.sms_application_sid]);
    return out;
  };
  const describeReplaced = (list) => list.map(([what, sid]) => `its ${what} go to “${names[sid] ?? sid}”`).join("; ");
  const warn = () => {
    const list = replaced();
    numberPicker.note(list.length ? `Warning: now ${describeReplaced(list)}. Assigning replaces that link.` : "");
  };
  numberPicker.mount(warn);
  form.ForVoice.addEventListener("change", warn);
  form.ForSms.addEventListener("change", warn);
  const submit = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFormErrors(form);
    const params = {};
    if (form.ForVoice.checked) params.VoiceApplicationSid = ap;
    if (form.ForSms.checked) params.SmsApplicationSid = ap;
    if (!Object.keys(params).length) {
      showFormError(form, { message: "ForVoice: choose voice, SMS or both", status: 400 });
      return;
    }
    const n = numbers.find((x) => x.sid === numberPicker.value());
    const list = replaced();
    const send = async () => {
      const updated = await api("POST", `${acct(ac)}/IncomingPhoneNumbers/${n.sid}.json`, params);
      setFlash("ok", `${updated.phone_number} now uses this application.`);
      go(location.pathname, { replace: true });
    };
    if (list.length) {
      // The confirmation shows a failure itself.
      askFirst(form.querySelector(".confirm-area"), submit, "replace-link", `Replace ${n.phone_number}'s link?`, send, {
        yes: "Yes, replace it",
        failed: "Not assigned",
        detail: `Now ${describeReplaced(list)}; it will use “${name}” instead.`,
      });
      return;
    }
    busy(form, async () => {
      try { await send(); } catch (error) { showFormError(form, error, "Number"); }
    });
  });
}
