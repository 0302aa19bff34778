/* Tools: a signature checker (is this X-Twilio-Signature valid for the account's auth token?).
 *
 * The server checks, not the browser: a session signed in with an API key holds no auth token,
 * the server signs its own webhooks with the very same code, and it answers only "valid or not",
 * never the signature it expects (which would let a key holder forge webhooks). */

import { api, ext } from "./api.js";
import { BASE, SID, handoff, route } from "./app.js";
import { formEncode } from "./curl.js";
import { formErrors, onSubmit, textField } from "./forms.js";
import { html } from "./html.js";
import * as rules from "./rules.js";

const RULES = {
  Url: (value) => rules.required("URL", 21402)(value) || rules.url("URL")(value),
  Signature: rules.required("Signature", 20001),
};

/** The parameters as typed: one `Name=value` per line (as the request log shows them), or the
 *  form body as received (`Name=value&Other=x`, URL-encoded). */
function paramsBody(text) {
  const trimmed = text.trim();
  if (!trimmed) return "";
  if (!trimmed.includes("\n")) return trimmed;
  const params = {};
  for (const line of trimmed.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf("=");
    params[at < 0 ? line : line.slice(0, at)] = at < 0 ? "" : line.slice(at + 1).replace(/\r$/, "");
  }
  return formEncode(params);
}

route(`/accounts/(AC${SID})/tools`, async (ctx, ac) => {
  const given = handoff.signature || {};
  delete handoff.signature;
  ctx.done("Tools", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Tools</p>
    <h1>Tools</h1>
    <h2 id="sig-h">Check a webhook signature</h2>
    <p>Paste what your application received: is its <code>X-Twilio-Signature</code> valid for this
    account's auth token? Checked by the server, as twilio's <code>RequestValidator</code> checks
    it (the URL as given, without its port, with its default port).</p>
    <form id="signature-form" class="stack" aria-labelledby="sig-h" data-failed="Not checked" novalidate>
      ${formErrors()}
      ${textField("sig-url", "Url", "URL", { type: "url", value: given.url || "", hint: "Exactly as requested: scheme, host, port, path and query string." })}
      ${textField("sig-params", "Params", "Parameters", { value: given.params || "", multiline: 6, hint: "A POST's form parameters: one Name=value per line, or the body as received (a=1&b=2). Empty for a GET." })}
      ${textField("sig-signature", "Signature", "Signature", { value: given.signature || "", hint: "The X-Twilio-Signature header's value." })}
      <div class="actions"><button type="submit">Check</button></div>
    </form>
    <section id="signature-result" aria-live="polite" aria-label="Signature check"></section>
    <h2>Replay a request, or copy it as curl</h2>
    <p>Open a request in the <a href="${BASE}/accounts/${ac}/requests">request log</a>: its page copies it as
    a <code>curl</code> command (signature included) and has the server send it again.</p>`);
  const form = document.getElementById("signature-form");
  const result = document.getElementById("signature-result");
  onSubmit(form, {
    rules: RULES,
    send: async () => {
      result.innerHTML = "";
      const answer = await api("POST", `${ext(ac)}/SignatureCheck`, {
        Url: form.Url.value.trim(),
        Params: paramsBody(form.Params.value),
        Signature: form.Signature.value.trim(),
      });
      result.innerHTML = (answer.valid
        ? html`<p class="flash ok" role="status" id="signature-verdict"><strong>Valid:</strong> signed with the auth token of account ${answer.account_sid}${answer.url !== form.Url.value.trim() ? html`, for the URL written ${answer.url}` : ""}.</p>`
        : html`<p class="flash bad" role="status" id="signature-verdict"><strong>Not valid.</strong> ${answer.hint}</p>`).html;
    },
  });
});
