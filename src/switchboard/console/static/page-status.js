/* Status: what runs (version, database kind, schema revision), what the account holds, and, when
 * the server allows it and the caller may, the test-suite controls: export and reset. */

import { EXT, api, describe, ext } from "./api.js";
import { BASE, SID, go, route, setFlash } from "./app.js";
import { askFirst } from "./forms.js";
import { html } from "./html.js";
import { table } from "./tables.js";

const COUNTS = [
  ["applications", "Applications", "applications"],
  ["incoming_phone_numbers", "Phone numbers", "numbers"],
  ["keys", "API keys", "keys"],
  ["subaccounts", "Subaccounts", null],
  ["calls", "Simulated calls (kept)", "requests"],
  ["messages", "Simulated messages (kept)", "requests"],
  ["requests", "Webhook requests (kept)", "requests"],
];

route(`/accounts/(AC${SID})/status`, async (ctx, ac) => {
  const status = await api("GET", `${ext(ac)}/Status`);
  ctx.dataArrived();
  const { controls } = status;
  ctx.done("Status", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Status</p>
    <h1>Status</h1>
    <dl class="props" id="server-props">
      <dt>Switchboard</dt><dd>${status.version}</dd>
      <dt>Database</dt><dd>${status.database === "postgresql" ? "PostgreSQL" : "SQLite"}</dd>
      <dt>Schema revision</dt><dd><code>${status.schema_revision ?? "—"}</code></dd>
    </dl>
    <h2 id="counts-h">This account</h2>
    ${table({
      id: "count-table",
      caption: `What account ${ac} holds (its subaccounts hold their own)`,
      head: ["Resource", "Count", "Limit"],
      rows: COUNTS.map(([key, label, page]) => [
        page ? html`<a href="${BASE}/accounts/${ac}/${page}">${label}</a>` : label,
        String(status.counts[key]),
        key === "applications" ? String(status.limits.applications)
          : ["calls", "messages", "requests"].includes(key) ? `newest ${status.limits.request_log}` : "—",
      ]),
    })}
    <h2 id="controls-h">Test-suite controls</h2>
    ${controls.export || controls.reset ? html`
      <p>The server runs with <code>--allow-reset</code> and you signed in with a main account's
      auth token: you may download the whole store as a fixture (every account's auth token
      included: keep the file private) and empty it.</p>
      <div class="actions" id="export-actions">
        <button type="button" class="secondary" id="export-yaml">Download the export (YAML)</button>
        <button type="button" class="secondary" id="export-json">Download the export (JSON)</button>
        <span id="export-status" role="status"></span>
      </div>
      <div id="reset-area"><button type="button" class="danger" id="reset">Reset the store…</button></div>`
    : html`<p>Export and reset are off for this session: they need a server started with
      <code>--allow-reset</code>, and a main account signed in with its auth token (not a
      subaccount, not an API key).</p>`}`);
  if (!(controls.export || controls.reset)) return;
  for (const format of ["yaml", "json"]) {
    document.getElementById(`export-${format}`).addEventListener("click", () => download(format));
  }
  const reset = document.getElementById("reset");
  reset.addEventListener("click", () => askFirst(reset.parentElement, reset, "reset", "Reset the store?", async () => {
    await api("POST", `${EXT}/reset`);
    setFlash("ok", "The store is reset: only the main accounts remain.");
    go(location.pathname, { replace: true });
  }, {
    yes: "Yes, empty the store",
    failed: "Not reset",
    detail: "Every application, number, API key, subaccount, other account, trace and logged request is deleted. The main accounts stay, with their auth tokens.",
  }));
});

/** Fetch the export with the session's credentials and save it as a file. */
async function download(format) {
  const status = document.getElementById("export-status");
  status.textContent = "Preparing the export…";
  try {
    const response = await api("GET", `${EXT}/Export`, { Format: format }, null, { raw: true });
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `switchboard-export.${format}`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    status.textContent = `Downloaded switchboard-export.${format}.`;
  } catch (error) {
    status.textContent = `Not exported: ${describe(error)}`;
  }
}
