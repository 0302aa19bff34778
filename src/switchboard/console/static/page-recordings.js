/* Recordings: Twilio's list (newest first, its paging and filters: CallSid, DateCreated and its
 * < and > forms), each with a player. The media needs the account's credentials like every API
 * path (docs/api.md#recordings), which an <audio src> cannot send: the console fetches the WAV
 * with them and plays it from memory (a blob: URL). */

import { acct, api, describe } from "./api.js";
import { BASE, SID, go, route } from "./app.js";
import { checkFields, formErrors, textField } from "./forms.js";
import { dateHtml, html, raw, sidHtml } from "./html.js";
import * as rules from "./rules.js";
import { cell } from "./tables.js";

const optional = (rule) => (value) => (value === "" ? null : rule(value));
const DATE = (label) => (value) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? null : { code: 20001, text: `${label} must be a date, YYYY-MM-DD` });
const FILTER_RULES = {
  call: optional(rules.sid("Call SID", ["CA"])),
  after: optional(DATE("Made on or after")),
  before: optional(DATE("Made on or before")),
};

/** The console's filters (its own query string) -> Twilio's. */
function apiFilters(query) {
  const out = {};
  if (query.get("call")) out.CallSid = query.get("call");
  if (query.get("after")) out["DateCreated>"] = query.get("after");
  if (query.get("before")) out["DateCreated<"] = query.get("before");
  return out;
}

route(`/accounts/(AC${SID})/recordings`, async (ctx, ac) => {
  const query = new URLSearchParams(location.search);
  const filters = apiFilters(query);
  const filtered = Object.keys(filters).length > 0;
  let page = await api("GET", `${acct(ac)}/Recordings.json`, { PageSize: "50", ...filters });
  ctx.dataArrived();
  const rows = () => page.recordings.map((r) => html`<tr>
    ${cell("Made", dateHtml(r.date_created))}
    ${cell("Recording", html`${sidHtml(r.sid)}<div class="player"><button type="button" class="secondary play-recording" data-sid="${r.sid}">Play ${r.duration} s</button></div>`)}
    ${cell("Length", `${r.duration} s, ${Number(r.channels) === 2 ? "two channels" : "one channel"}`)}
    ${cell("Made by", r.source === "DialVerb" ? "<Dial record>" : r.source === "RecordVerb" ? "<Record>" : r.source)}
    ${cell("Call", html`<a href="${BASE}/accounts/${ac}/calls/${r.call_sid}">${sidHtml(r.call_sid)}</a>`)}
  </tr>`.html).join("");
  const caption = () => `${page.page === 0 ? "The newest" : `Page ${page.page + 1}:`} ${page.recordings.length} recording${page.recordings.length === 1 ? "" : "s"}${filtered ? " matching the filters" : ""}`;
  ctx.done("Recordings", html`
    <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Recordings</p>
    <h1>Recordings</h1>
    <p class="lead">What <code>&lt;Record&gt;</code> and <code>&lt;Dial record&gt;</code> recorded in calls, newest first.</p>
    <details class="filters"${raw(filtered ? " open" : "")}><summary>Filters${filtered ? " (on)" : ""}</summary>
    <form id="rec-filters" class="stack" data-failed="Not filtered" novalidate>
      ${formErrors()}
      <div class="filter-grid">
        ${textField("rec-call", "call", "Call SID", { value: query.get("call") || "", hint: "CA…" })}
        ${textField("rec-after", "after", "Made on or after", { value: query.get("after") || "", hint: "YYYY-MM-DD (UTC)" })}
        ${textField("rec-before", "before", "Made on or before", { value: query.get("before") || "", hint: "YYYY-MM-DD (UTC)" })}
      </div>
      <div class="actions"><button type="submit">Apply filters</button>
      ${filtered ? html`<a href="${BASE}/accounts/${ac}/recordings">Clear the filters</a>` : ""}</div>
    </form></details>
    <div class="table-wrap" role="region" aria-labelledby="rec-caption" tabindex="0"><table id="rec-table" class="cards-narrow">
      <caption id="rec-caption">${caption()}</caption>
      <thead><tr>${["Made", "Recording", "Length", "Made by", "Call"].map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${raw(rows())}</tbody></table></div>
    <div class="actions pager" role="group" aria-label="Pages of recordings">
      <button type="button" class="secondary" id="rec-newer" aria-controls="rec-table">Newer</button>
      <button type="button" class="secondary" id="rec-older" aria-controls="rec-table">Older</button>
    </div>
    ${page.recordings.length ? "" : html`<p id="rec-empty">${filtered ? "No recording matches these filters." : html`No recordings yet: <a href="${BASE}/accounts/${ac}/phone">call one of your numbers</a> and leave a message.`}</p>`}`);

  const form = document.getElementById("rec-filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!checkFields(form, FILTER_RULES)) return;
    const wanted = new URLSearchParams();
    for (const name of ["call", "after", "before"]) {
      const value = form.elements[name].value.trim();
      if (value) wanted.set(name, value);
    }
    const qs = wanted.toString();
    go(`${BASE}/accounts/${ac}/recordings${qs ? `?${qs}` : ""}`);
  });
  const tbody = document.querySelector("#rec-table tbody");
  const cap = document.getElementById("rec-caption");
  const newer = document.getElementById("rec-newer");
  const older = document.getElementById("rec-older");
  const sync = () => {
    newer.hidden = !page.previous_page_uri;
    older.hidden = !page.next_page_uri;
    newer.parentElement.hidden = newer.hidden && older.hidden;
  };
  sync();
  cap.tabIndex = -1;
  const turn = async (uri) => {
    page = await api("GET", uri);
    if (!ctx.current()) return;
    tbody.innerHTML = rows();
    cap.textContent = caption();
    sync();
    cap.focus();
  };
  newer.addEventListener("click", () => turn(page.previous_page_uri));
  older.addEventListener("click", () => turn(page.next_page_uri));
  const urls = [];
  ctx.onLeave(() => urls.forEach((u) => URL.revokeObjectURL(u)));
  tbody.addEventListener("click", (event) => {
    const button = event.target.closest("button.play-recording");
    if (button) playRecording(ac, button, urls);
  });
});

/** Fetch a recording's WAV with the session's credentials and put a player in place of the
 *  button (playing), with a link to save it. */
export async function playRecording(ac, button, urls) {
  const sid = button.dataset.sid;
  const box = button.parentElement;
  button.disabled = true;
  try {
    const response = await api("GET", `${acct(ac)}/Recordings/${sid}.wav`, null, null, { raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    urls.push(url);
    box.innerHTML = html`<audio controls src="${url}" aria-label="Recording ${sid}"></audio>
      <a href="${url}" download="${sid}.wav">Save the WAV file</a>`.html;
    const audio = box.querySelector("audio");
    audio.play().catch(() => {}); // a browser may refuse to start it: the controls are there
    audio.focus();
  } catch (error) {
    box.innerHTML = html`<p class="flash bad" role="alert">Not played: ${describe(error)}</p>`.html;
  }
}
