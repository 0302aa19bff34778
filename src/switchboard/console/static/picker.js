/* A searchable choice among many (an account's applications, up to 1000; its numbers): a filter
 * box over radio buttons, of which at most SHOWN are drawn, the current choice always among
 * them. Each choice says what it is linked to now, so a link is never replaced unknowingly. */

import { errorBox } from "./forms.js";
import { esc, html, raw } from "./html.js";

const SHOWN = 20;

/**
 * `items`: [{ value, label, detail }] (detail: what the choice is linked to now); `none`: the
 * label of the empty choice, if there is one. Returns the markup and `mount(onChange)`, after
 * which `value()` is the current choice.
 */
export function picker({ id, name, legend, items, value, none = null, hint = "" }) {
  const all = none === null ? items : [{ value: "", label: none, detail: "" }, ...items];
  const haystack = all.map((item) => `${item.label} ${item.value}`.toLowerCase());
  let current = value ?? "";
  let query = "";

  const choice = (item) => {
    const key = item.value || "none";
    return `<div class="choice"><input type="radio" id="${esc(id)}-${esc(key)}" name="${esc(name)}" value="${esc(item.value)}"${item.value === current ? " checked" : ""}>
      <label for="${esc(id)}-${esc(key)}"><span class="choice-name">${esc(item.label)}</span>${item.value ? ` <code class="sid">${esc(item.value)}</code>` : ""}${item.detail ? `<span class="choice-detail">${esc(item.detail)}</span>` : ""}</label></div>`;
  };

  const choices = () => {
    const q = query.toLowerCase();
    const matching = [];
    all.forEach((item, i) => { if (!q || item.value === "" || haystack[i].includes(q)) matching.push(item); });
    const shown = matching.slice(0, SHOWN);
    const chosen = all.find((item) => item.value === current);
    if (chosen && !shown.includes(chosen)) shown.splice(none === null ? 0 : 1, 0, chosen);
    const real = matching.filter((item) => item.value !== "").length;
    const more = real > SHOWN - (none === null ? 0 : 1)
      ? `<p class="hint choice-more">${Math.min(SHOWN, real)} of ${real} shown: type to narrow.</p>`
      : "";
    const nothing = q && !real ? `<p class="hint">Nothing matches “${esc(query)}”.</p>` : "";
    return shown.map(choice).join("") + nothing + more;
  };

  const markup = html`<fieldset class="picker" id="${id}" aria-describedby="${id}-error${raw(hint ? ` ${esc(id)}-hint` : "")}">
    <legend>${legend}</legend>
    ${hint ? html`<p id="${id}-hint" class="hint">${hint}</p>` : ""}
    <div class="field"><label for="${id}-filter">Filter: ${legend}</label>
    <input id="${id}-filter" type="search" class="narrow" autocomplete="off" aria-controls="${id}-choices"></div>
    <div id="${id}-choices" class="choices">${raw(choices())}</div>
    <p id="${id}-note" class="note" role="status"></p>
    ${errorBox(id)}
  </fieldset>`;

  const mount = (onChange = () => {}) => {
    const box = document.getElementById(`${id}-choices`);
    const filter = document.getElementById(`${id}-filter`);
    filter.addEventListener("input", () => {
      query = filter.value.trim();
      box.innerHTML = choices();
    });
    // The filter box is not part of the form's values.
    filter.addEventListener("keydown", (event) => { if (event.key === "Enter") event.preventDefault(); });
    box.addEventListener("change", (event) => {
      if (event.target.name !== name) return;
      current = event.target.value;
      onChange(current);
    });
    onChange(current);
  };

  return { markup, mount, value: () => current, note: (text) => { document.getElementById(`${id}-note`).textContent = text; } };
}
