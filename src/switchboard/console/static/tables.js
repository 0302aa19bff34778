/* Tables that become cards on a narrow screen (each cell carries its column's name), and long
 * lists drawn 100 rows at a time. */

import { announce } from "./app.js";
import { esc, html, raw } from "./html.js";

/** One cell: `content` is markup (a `raw`/`html` value) or text. */
export const cell = (label, content, cls = "") => html`<td data-label="${label}"${raw(cls ? ` class="${esc(cls)}"` : "")}>${content}</td>`;

/** A whole table: `head` the column names, `rows` lists of cells' contents (in `head`'s order). */
export function table({ id = "", caption, head, rows, cls = "" }) {
  return html`<div class="table-wrap" role="region" aria-labelledby="${id || "t"}-caption" tabindex="0">
    <table${raw(id ? ` id="${esc(id)}"` : "")} class="cards-narrow ${cls}">
      <caption id="${id || "t"}-caption">${caption}</caption>
      <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${rows.map((cells) => html`<tr>${cells.map((c, i) => cell(head[i], c))}</tr>`)}</tbody>
    </table></div>`;
}

/** A table of names and values (parameters, headers): two columns, cards when narrow. */
export function pairsTable(caption, pairs, [nameHead, valueHead] = ["Name", "Value"]) {
  return html`<table class="params cards-narrow"><caption class="visually-hidden">${caption}</caption>
    <thead><tr><th scope="col">${nameHead}</th><th scope="col">${valueHead}</th></tr></thead>
    <tbody>${pairs.map(([k, v]) => html`<tr>${cell(nameHead, k)}${cell(valueHead, v)}</tr>`)}</tbody></table>`;
}

const PAGE_ROWS = 100;

/**
 * A long list drawn 100 rows at a time: a filter over every item, and Previous/Next. All the
 * items are in memory (one API request); only the rows shown are in the DOM, so a page of a
 * 1000-application account draws as fast as a page of a small one. `row(item)`: the row's cells'
 * markup (strings, from `cell`).
 */
export function pagedTable({ id, items, noun, plural, filterLabel, head, text, row }) {
  const haystack = items.map((item) => text(item).toLowerCase());
  let matches = items.map((_, i) => i);
  let start = 0;
  let query = "";
  const rows = () => matches.slice(start, start + PAGE_ROWS).map((i) => `<tr>${row(items[i])}</tr>`).join("");
  const caption = () => {
    const total = items.length;
    const n = matches.length;
    if (!n) return `No ${plural} match “${query}” (of ${total})`;
    const range = n > PAGE_ROWS ? `, showing ${start + 1}–${Math.min(start + PAGE_ROWS, n)}` : "";
    return query
      ? `${n} of ${total} ${plural} match “${query}”${range}`
      : `${total} ${total === 1 ? noun : plural}${range}`;
  };
  const atStart = () => start === 0;
  const atEnd = () => start + PAGE_ROWS >= matches.length;
  const markup = html`
    <div class="actions">
      <label for="${id}-filter">${filterLabel}</label>
      <input id="${id}-filter" class="narrow" type="search" aria-controls="${id}" autocomplete="off">
    </div>
    <div class="table-wrap" role="region" aria-labelledby="${id}-caption" tabindex="0"><table id="${id}" class="cards-narrow">
      <caption id="${id}-caption">${caption()}</caption>
      <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${raw(rows())}</tbody></table></div>
    <div class="actions pager" role="group" aria-label="Pages of ${plural}"${raw(items.length > PAGE_ROWS ? "" : " hidden")}>
      <button type="button" class="secondary" id="${id}-prev" aria-controls="${id}" aria-disabled="true">Previous ${PAGE_ROWS}</button>
      <button type="button" class="secondary" id="${id}-next" aria-controls="${id}" aria-disabled="${atEnd()}">Next ${PAGE_ROWS}</button>
    </div>`;
  const mount = () => {
    const filter = document.getElementById(`${id}-filter`);
    const tbody = document.querySelector(`#${id} tbody`);
    const cap = document.getElementById(`${id}-caption`);
    const prev = document.getElementById(`${id}-prev`);
    const next = document.getElementById(`${id}-next`);
    const draw = () => {
      tbody.innerHTML = rows();
      cap.textContent = caption();
      prev.setAttribute("aria-disabled", String(atStart()));
      next.setAttribute("aria-disabled", String(atEnd()));
      announce(cap.textContent);
    };
    filter.addEventListener("input", () => {
      query = filter.value.trim();
      const q = query.toLowerCase();
      matches = [];
      haystack.forEach((h, i) => { if (!q || h.includes(q)) matches.push(i); });
      start = 0;
      draw();
    });
    // aria-disabled rather than disabled: the button keeps focus at either end.
    prev.addEventListener("click", () => { if (!atStart()) { start -= PAGE_ROWS; draw(); } });
    next.addEventListener("click", () => { if (!atEnd()) { start += PAGE_ROWS; draw(); } });
  };
  return { markup, mount };
}
