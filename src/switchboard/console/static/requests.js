/* One webhook request as the console shows it (in a trace's timeline and on its own page): its
 * signature, parameters (the empty location ones folded away), headers, answer, and the command
 * that sends it again. */

import { copy, curlCommand } from "./curl.js";
import { html, raw, show, urlHtml } from "./html.js";
import { pairsTable } from "./tables.js";

export const ok = (status) => status >= 200 && status < 300;
export const failed = (r) => Boolean(r.error_code) || !ok(r.status_code);

/** Twilio's location parameters (`FromCity`, `CallerZip`...), which are empty for most calls. */
const GEO = /^(From|To|Caller|Called)(City|State|Zip|Country)$/;

export const signatureOf = (r) => (r.headers && (r.headers["X-Twilio-Signature"] || r.headers["x-twilio-signature"])) || "";

/** The parameters: the filled ones in a table, the empty location ones folded into one line. */
function paramsHtml(params, id) {
  const entries = Object.entries(params || {});
  const empty = entries.filter(([k, v]) => v === "" && GEO.test(k));
  const shown = entries.filter(([k, v]) => !(v === "" && GEO.test(k)));
  return html`<details open><summary>Parameters (${entries.length})</summary>
    ${pairsTable(`Parameters of request ${id}`, shown)}
    ${empty.length ? html`<details class="folded"><summary>${empty.length} empty location parameters</summary>
      <p class="mono">${empty.map(([k]) => k).join(", ")}</p></details>` : ""}
  </details>`;
}

/** The parts every view of a request shares, below its heading. `id`: unique on the page. */
export function requestBody(r, id) {
  const signature = signatureOf(r);
  const headers = Object.entries(r.headers || {});
  return html`
    <p class="request-line"><code>${r.method} ${urlHtml(r.url)}</code></p>
    <dl class="props">
      <dt>X-Twilio-Signature</dt><dd class="signature"><code class="sig">${signature || "—"}</code></dd>
      <dt>Status</dt><dd>${r.status_code ?? "—"}</dd>
      <dt>Content type</dt><dd>${show(r.content_type)}</dd>
      <dt>Duration</dt><dd>${Number(r.duration_ms).toFixed(1)} ms</dd>
      ${r.error_code ? html`<dt>Error</dt><dd><strong>${r.error_code}</strong>: ${r.error_message}</dd>` : ""}
    </dl>
    ${paramsHtml(r.params, id)}
    <details><summary>Request headers (${headers.length})</summary>
      ${pairsTable(`Headers of request ${id}`, headers, ["Header", "Value"])}
    </details>
    <details${raw(r.response_body ? " open" : "")}><summary>Response body</summary><pre tabindex="0">${show(r.response_body)}</pre></details>
    <details class="curl"><summary>As a curl command</summary>
      <p class="hint">Sends this request again from a shell, exactly: method, URL, headers (the signature included) and body.</p>
      <pre id="curl-${id}" class="curl-command" tabindex="0">${curlCommand(r)}</pre>
    </details>
    <div class="actions"><button type="button" class="secondary copy-curl" data-curl="curl-${id}">Copy as curl</button>
    <span class="copy-status" role="status"></span></div>`;
}

/** The "Copy as curl" buttons inside `root` (one listener for all). */
export function mountCopyButtons(root) {
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy-curl");
    if (!button) return;
    const command = document.getElementById(button.dataset.curl).textContent;
    copy(command, "the curl command", button.parentElement.querySelector(".copy-status"));
  });
}
