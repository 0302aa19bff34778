/* API keys: the list, creating one (its secret shown once), renaming, deleting. An API key session
 * cannot manage keys (the API answers 403), and the page says so. */

import { acct, api, listAll } from "./api.js";
import { BASE, SID, go, handoff, route, setFlash } from "./app.js";
import { confirmAction, formErrors, onSubmit, showStatus, textField } from "./forms.js";
import { dateHtml, html, sidHtml } from "./html.js";
import { mountSecretCopy, secretOnce } from "./page-accounts.js";
import * as rules from "./rules.js";
import { getSession } from "./session.js";
import { table } from "./tables.js";

const NAME = rules.friendlyName("Friendly name", { optional: true });

function keyless(ctx, title) {
  const s = getSession();
  if (!s.isKey) return false;
  ctx.done(title, html`<h1>${title}</h1>
    <p>An API key cannot list or manage API keys: sign in with the account's auth token for that.</p>`);
  return true;
}

route(`/accounts/(AC${SID})/keys`, async (ctx, ac) => {
  if (keyless(ctx, "API keys")) return;
  const keys = await listAll(`${acct(ac)}/Keys.json`, "keys");
  ctx.dataArrived();
  ctx.done("API keys", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › API keys</p>
    <h1>API keys</h1>
    <p class="lead">Keys act as this account on the REST API (but cannot manage accounts or keys), and
    sign Access Tokens. Each key's secret is shown once, when it is made.</p>
    ${keys.length ? table({
      id: "key-table",
      caption: `${keys.length} key${keys.length === 1 ? "" : "s"}`,
      head: ["Friendly name", "SID", "Created"],
      rows: keys.map((k) => [html`<a href="${BASE}/accounts/${ac}/keys/${k.sid}">${k.friendly_name || "(no name)"}</a>`, sidHtml(k.sid), dateHtml(k.date_created)]),
    }) : html`<p>No API keys yet.</p>`}
    <h2 id="new-key-h">Create a key</h2>
    <form id="key-form" class="stack" aria-labelledby="new-key-h" data-failed="Not created" novalidate>
      ${formErrors()}
      ${textField("key-name", "FriendlyName", "Friendly name", { hint: "Optional; 1 to 64 characters." })}
      <div class="actions"><button type="submit">Create key</button></div>
    </form>`);
  const form = document.getElementById("key-form");
  onSubmit(form, {
    rules: { FriendlyName: NAME },
    fallbackParam: "FriendlyName",
    send: async () => {
      const name = form.FriendlyName.value.trim();
      const key = await api("POST", `${acct(ac)}/Keys.json`, name ? { FriendlyName: name } : {});
      handoff.secret = { sid: key.sid, value: key.secret, what: "secret" };
      setFlash("ok", `Created key ${key.sid}.`);
      go(`${BASE}/accounts/${ac}/keys/${key.sid}`);
    },
  });
});

route(`/accounts/(AC${SID})/keys/(SK${SID})`, async (ctx, ac, sk) => {
  if (keyless(ctx, "API key")) return;
  const key = await api("GET", `${acct(ac)}/Keys/${sk}.json`);
  ctx.dataArrived();
  const name = key.friendly_name || "(no name)";
  ctx.done(name, html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/keys">API keys</a> › ${sk}</p>
    <h1>${name}</h1>
    ${secretOnce(sk)}
    <dl class="props">
      <dt>SID</dt><dd>${sidHtml(key.sid)}</dd>
      <dt>Created</dt><dd>${dateHtml(key.date_created)}</dd>
      <dt>Updated</dt><dd id="key-updated">${dateHtml(key.date_updated)}</dd>
      <dt>Secret</dt><dd>Not shown: only when the key was made.</dd>
    </dl>
    <h2 id="rename-key-h">Rename</h2>
    <form id="key-rename" class="stack" aria-labelledby="rename-key-h" novalidate>
      ${formErrors()}
      ${textField("key-friendly-name", "FriendlyName", "Friendly name", { value: key.friendly_name || "", hint: "1 to 64 characters." })}
      <div class="actions"><button type="submit">Rename</button></div>
    </form>
    <h2>Delete</h2>
    <div id="delete-area"><button type="button" class="danger" id="delete-key">Delete key…</button></div>`);
  mountSecretCopy();
  const form = document.getElementById("key-rename");
  onSubmit(form, {
    rules: { FriendlyName: rules.friendlyName("Friendly name") },
    fallbackParam: "FriendlyName",
    send: async () => {
      const updated = await api("POST", `${acct(ac)}/Keys/${sk}.json`, { FriendlyName: form.FriendlyName.value.trim() });
      document.getElementById("main").querySelector("h1").textContent = updated.friendly_name;
      document.getElementById("key-updated").innerHTML = dateHtml(updated.date_updated).html;
      showStatus(form, `Renamed to “${updated.friendly_name}”.`);
    },
  });
  confirmAction("delete-key", `Delete ${name}? Code using it is refused from then on.`, async () => {
    await api("DELETE", `${acct(ac)}/Keys/${sk}.json`);
    setFlash("ok", `Deleted key ${name} (${sk}).`);
    go(`${BASE}/accounts/${ac}/keys`);
  });
});
