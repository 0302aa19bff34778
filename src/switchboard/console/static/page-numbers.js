/* Phone numbers: the list, adding one, and a number's settings as Twilio's console has them: its
 * friendly name, its own voice and SMS URLs and methods, and the applications that serve it,
 * chosen in a searchable picker that says which numbers use each application; replacing a link
 * is named as soon as it is chosen and confirmed before saving. */

import { acct, api, listAll } from "./api.js";
import { BASE, SID, go, route, setFlash } from "./app.js";
import { askFirst, busy, clearFormErrors, checkFields, confirmAction, formErrors, onSubmit, showFormError, showStatus, textField } from "./forms.js";
import { dateHtml, html, sidHtml, urlHtml } from "./html.js";
import { WEBHOOKS, fieldControl, fieldParams, fieldRules, fields } from "./fields.js";
import { appNames, usersOf } from "./links.js";
import { picker } from "./picker.js";
import * as rules from "./rules.js";
import { cell, pagedTable } from "./tables.js";

const NUMBER_FIELDS = fields("number", ["friendly_name", ...WEBHOOKS], {
  voice_url: "The number's own: requested when a call arrives and no voice application is chosen.",
  voice_fallback_url: "",
  sms_url: "The number's own: requested when a message arrives and no SMS application is chosen.",
});

route(`/accounts/(AC${SID})/numbers`, async (ctx, ac) => {
  const [numbers, names] = await Promise.all([
    listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers"),
    appNames(ac),
  ]);
  ctx.dataArrived();
  const appLink = (sid) => (sid ? html`<a href="${BASE}/accounts/${ac}/applications/${sid}">${names[sid] ?? sid}</a>` : "—");
  const table = pagedTable({
    id: "number-table",
    items: numbers,
    noun: "number",
    plural: "numbers",
    filterLabel: "Filter by number, name or SID",
    head: ["Number", "Friendly name", "Voice application", "SMS application", "SID"],
    text: (n) => `${n.phone_number} ${n.friendly_name} ${n.sid}`,
    row: (n) => [
      cell("Number", html`<a href="${BASE}/accounts/${ac}/numbers/${n.sid}">${n.phone_number}</a>`),
      cell("Friendly name", n.friendly_name),
      cell("Voice application", appLink(n.voice_application_sid)),
      cell("SMS application", appLink(n.sms_application_sid)),
      cell("SID", sidHtml(n.sid)),
    ].map((c) => c.html).join(""),
  });
  ctx.done("Phone numbers", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Numbers</p>
    <h1>Phone numbers</h1>
    ${numbers.length ? table.markup : html`<p>No numbers yet.</p>`}
    <h2 id="new-number-h">Add a number</h2>
    <form id="number-form" class="stack" aria-labelledby="new-number-h" novalidate>
      ${formErrors()}
      ${textField("number-phone", "PhoneNumber", "Phone number", { type: "tel", hint: "E.164, for example +15005550006." })}
      <div class="actions"><button type="submit">Add number</button></div>
    </form>`);
  if (numbers.length) table.mount();
  const form = document.getElementById("number-form");
  onSubmit(form, {
    rules: { PhoneNumber: rules.phoneNumber("Phone number") },
    fallbackParam: "PhoneNumber",
    send: async () => {
      const n = await api("POST", `${acct(ac)}/IncomingPhoneNumbers.json`, { PhoneNumber: form.PhoneNumber.value.trim() });
      setFlash("ok", `Added ${n.phone_number}.`);
      go(`${BASE}/accounts/${ac}/numbers/${n.sid}`);
    },
  });
});

route(`/accounts/(AC${SID})/numbers/(PN${SID})`, async (ctx, ac, pn) => {
  const [number, page, numbers] = await Promise.all([
    api("GET", `${acct(ac)}/IncomingPhoneNumbers/${pn}.json`),
    api("GET", `${acct(ac)}/Applications.json`, { PageSize: "1000" }),
    listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 5000),
  ]);
  ctx.dataArrived();
  const names = await appNames(ac, page.applications);
  const users = usersOf(numbers);
  const items = page.applications.map((a) => ({ value: a.sid, label: names[a.sid], detail: users[a.sid] || "Not used by any number" }));
  const pickers = {
    VoiceApplicationSid: picker({
      id: "number-voice-app", name: "VoiceApplicationSid", legend: "Voice application", items,
      value: number.voice_application_sid, none: "None: the number's own voice URLs below",
    }),
    SmsApplicationSid: picker({
      id: "number-sms-app", name: "SmsApplicationSid", legend: "SMS application", items,
      value: number.sms_application_sid, none: "None: the number's own SMS URLs below",
    }),
  };
  const group = (g) => NUMBER_FIELDS.filter((f) => f.group === g).map((f) => fieldControl(f, number[f.key]));
  ctx.done(number.phone_number, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/numbers">Numbers</a> › ${number.phone_number}</p>
    <h1>${number.phone_number}</h1>
    <dl class="props">
      <dt>SID</dt><dd>${sidHtml(number.sid)}</dd>
      <dt>Type</dt><dd>${number.type}</dd>
      <dt>Created</dt><dd>${dateHtml(number.date_created)}</dd>
      <dt>Updated</dt><dd id="number-updated">${dateHtml(number.date_updated)}</dd>
      <dt>Voice URL (own)</dt><dd id="number-own-voice">${urlHtml(number.voice_url)}</dd>
    </dl>
    <p><a href="${BASE}/accounts/${ac}/simulate?to=${encodeURIComponent(number.phone_number)}">Simulate a call or SMS to this number</a></p>
    <form id="number-settings" class="stack" aria-labelledby="settings-h" novalidate>
      <h2 id="settings-h">Settings</h2>
      ${formErrors()}
      <fieldset><legend>General</legend>${group("General")}</fieldset>
      <fieldset><legend>Voice</legend>${pickers.VoiceApplicationSid.markup}${group("Voice")}</fieldset>
      <fieldset><legend>Messaging</legend>${pickers.SmsApplicationSid.markup}${group("Messaging")}</fieldset>
      <div class="actions"><button type="submit">Save settings</button></div>
      <div class="confirm-area"></div>
    </form>
    <h2>Release</h2>
    <div id="delete-area"><button type="button" class="danger" id="delete-number">Release number…</button></div>`);

  const form = document.getElementById("number-settings");
  const saved = { VoiceApplicationSid: number.voice_application_sid ?? "", SmsApplicationSid: number.sms_application_sid ?? "" };
  const what = { VoiceApplicationSid: "voice calls", SmsApplicationSid: "SMS" };
  const name = (sid) => (sid ? `“${names[sid] ?? sid}”` : "its own URLs");
  const replaced = () => Object.entries(pickers)
    .filter(([param, p]) => saved[param] && p.value() !== saved[param])
    .map(([param, p]) => `its ${what[param]} go to ${name(saved[param])} now, and would go to ${name(p.value())}`);
  for (const [param, p] of Object.entries(pickers)) {
    p.mount((value) => p.note(saved[param] && value !== saved[param]
      ? `Warning: this replaces the link to ${name(saved[param])} when you save.`
      : ""));
  }
  const submit = form.querySelector('button[type="submit"]');
  const save = async () => {
    const params = { ...fieldParams(form, NUMBER_FIELDS, number) };
    for (const [param, p] of Object.entries(pickers)) params[param] = p.value();
    const updated = await api("POST", `${acct(ac)}/IncomingPhoneNumbers/${pn}.json`, params);
    Object.assign(number, updated);
    saved.VoiceApplicationSid = updated.voice_application_sid ?? "";
    saved.SmsApplicationSid = updated.sms_application_sid ?? "";
    Object.values(pickers).forEach((p) => p.note(""));
    document.getElementById("number-updated").innerHTML = dateHtml(updated.date_updated).html;
    document.getElementById("number-own-voice").innerHTML = urlHtml(updated.voice_url).html;
    showStatus(form, `Saved the settings of ${updated.phone_number}.`);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFormErrors(form);
    if (!checkFields(form, fieldRules(NUMBER_FIELDS))) return;
    const list = replaced();
    if (list.length) {
      // The confirmation shows a failure itself.
      askFirst(form.querySelector(".confirm-area"), submit, "replace-link", "Replace this number's links?", save, {
        yes: "Yes, replace", failed: "Not saved", detail: `${list.join("; ").replace(/^i/, "I")}.`,
      });
      return;
    }
    busy(form, async () => {
      try { await save(); } catch (error) { showFormError(form, error); }
    });
  });
  confirmAction("delete-number", `Release ${number.phone_number} from this account?`, async () => {
    await api("DELETE", `${acct(ac)}/IncomingPhoneNumbers/${pn}.json`);
    setFlash("ok", `Released ${number.phone_number}.`);
    go(`${BASE}/accounts/${ac}/numbers`);
  }, { yes: "Yes, release", failed: "Not released" });
});
