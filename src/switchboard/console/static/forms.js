/* Forms: labelled fields, every bad field reported before sending, the API's errors next to the
 * field they are about (in the field's words), confirmations, and busy buttons. */

import { describe } from "./api.js";
import { announce } from "./app.js";
import { esc, html, raw } from "./html.js";

export const METHODS = [["POST", "POST"], ["GET", "GET"]];

export const errorBox = (id) => html`<p id="${id}-error" class="field-error" hidden></p>`;

export function textField(id, name, label, { value = "", type = "text", hint = "", required = false, autocomplete = "", multiline = 0 } = {}) {
  const describedBy = [hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
  const attrs = raw(`${required ? " required" : ""}${autocomplete ? ` autocomplete="${esc(autocomplete)}"` : ""}`);
  const input = multiline
    ? html`<textarea id="${id}" name="${name}" rows="${multiline}" aria-describedby="${describedBy}"${attrs} spellcheck="false">${value ?? ""}</textarea>`
    : html`<input id="${id}" name="${name}" type="${type}" value="${value ?? ""}" aria-describedby="${describedBy}"${attrs} spellcheck="false">`;
  return html`<div class="field">
    <label for="${id}">${label}</label>
    ${input}
    ${hint ? html`<p id="${id}-hint" class="hint">${hint}</p>` : ""}
    ${errorBox(id)}
  </div>`;
}

export function selectField(id, name, label, options, value, hint = "") {
  const describedBy = [hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
  return html`<div class="field">
    <label for="${id}">${label}</label>
    <select id="${id}" name="${name}" aria-describedby="${describedBy}">
      ${options.map(([v, text]) => html`<option value="${v}"${raw(v === (value ?? "") ? " selected" : "")}>${text}</option>`)}
    </select>
    ${hint ? html`<p id="${id}-hint" class="hint">${hint}</p>` : ""}
    ${errorBox(id)}
  </div>`;
}

export function checkField(id, name, label, checked) {
  return html`<div class="field inline">
    <input id="${id}" name="${name}" type="checkbox" value="true"${raw(checked ? " checked" : "")} aria-describedby="${id}-error">
    <label for="${id}">${label}</label>
    ${errorBox(id)}
  </div>`;
}

/** The summary every form starts with: where errors that concern no field (or several) go. */
export const formErrors = () => html`<p class="flash bad form-error" role="alert" hidden></p>`;

const visible = (el) => el.getClientRects().length > 0;

/** A field's label as the user reads it ("Voice URL"), for the parameter `name` ("VoiceUrl"). */
function labelOf(form, name) {
  const input = form.querySelector(`[name="${name}"]`);
  if (!input) return null;
  const group = input.closest("fieldset.picker");
  if (group) return group.querySelector("legend").textContent.trim();
  const label = input.id && form.querySelector(`label[for="${input.id}"]`);
  return label ? label.textContent.trim() : null;
}

/** An API message with the parameter names of the form's fields written as their labels:
 *  "VoiceUrl is not a valid URL" -> "Voice URL is not a valid URL". */
function inLabels(form, message) {
  let out = message;
  for (const name of new Set([...form.querySelectorAll("[name]")].map((el) => el.getAttribute("name")))) {
    const label = labelOf(form, name);
    if (label && label !== name) out = out.replace(new RegExp(`\\b${name}\\b`, "g"), label);
  }
  return out;
}

/** The parameter an error's code is about, where its message does not spell the name. */
const CODE_PARAMS = { 21617: "Body" };

/** The input (or picker) an API error is about: the one its message names, else its code's,
 *  else (for a 400 only) `fallbackParam`. None for an error about no field (21301, a 403, a 404,
 *  a 5xx), nor for a field that is not shown. */
function fieldFor(form, error, fallbackParam) {
  const inputs = [...form.querySelectorAll("[name][id]")].filter(visible);
  const named = (input) => input.getAttribute("name");
  const byName = (param) => inputs.find((input) => named(input) === param);
  return inputs.find((input) => error.message.startsWith(`${named(input)} `) || error.message.startsWith(`${named(input)}:`))
    || inputs.find((input) => new RegExp(`\\b${named(input)}\\b`).test(error.message))
    || byName(CODE_PARAMS[error.code])
    || (error.status === 400 ? byName(fallbackParam) : null)
    || null;
}

/** Bring a message that belongs to no field to the user: into view, and the focus on it (it is
 *  role=alert, so it is announced too). */
function reveal(box) {
  box.tabIndex = -1;
  box.scrollIntoView({ block: "center" });
  box.focus({ preventScroll: true });
}

/** The element that shows `input`'s error, and the one that takes the focus (a picker's group
 *  shows it once, its first radio takes the focus). */
function markField(input, message) {
  const group = input.closest("fieldset.picker");
  const owner = group || input;
  const box = document.getElementById(`${owner.id}-error`);
  (group ? group.querySelectorAll("input") : [input]).forEach((el) => el.setAttribute("aria-invalid", "true"));
  if (box) { box.textContent = message; box.hidden = false; }
}

function showSummary(form, text) {
  const summary = form.querySelector(".form-error");
  summary.textContent = text;
  summary.hidden = false;
  return summary;
}

/** Show an API error next to the field it is about and in the form's summary, in the form's
 *  words; an error about no field in the summary alone, where the user is looking. */
export function showFormError(form, error, fallbackParam) {
  clearFormErrors(form);
  const message = inLabels(form, describe(error));
  const failed = `${form.dataset.failed || "Not saved"}: ${message}`;
  const target = fieldFor(form, error, fallbackParam);
  const summary = showSummary(form, failed);
  if (target) {
    markField(target, message);
    target.focus();
  } else {
    reveal(summary);
  }
  announce(failed);
}

/** Check every field that has a rule (`rules`: parameter name -> rule, see rules.js), as the API
 *  would, and show every problem at once. True when all are valid. */
export function checkFields(form, rules) {
  clearFormErrors(form);
  const problems = [];
  for (const input of form.querySelectorAll("[name]")) {
    const rule = rules[input.getAttribute("name")];
    if (!rule || !visible(input) || input.type === "radio") continue;
    // As the form sends them: a text box's value trimmed, a text area's as typed.
    const value = input.type === "checkbox" ? String(input.checked)
      : input.tagName === "TEXTAREA" ? input.value : input.value.trim();
    const problem = rule(value);
    if (problem) problems.push({ input, message: `${problem.text} (code ${problem.code})` });
  }
  if (!problems.length) return true;
  problems.forEach(({ input, message }) => markField(input, message));
  const labels = problems.map(({ input }) => labelOf(form, input.getAttribute("name")));
  const what = problems.length === 1 ? `${labels[0]} is not valid` : `${problems.length} fields are not valid: ${labels.join(", ")}`;
  const text = `${form.dataset.failed || "Not saved"}: ${what}. Nothing was sent.`;
  showSummary(form, text);
  problems[0].input.focus();
  announce(text);
  return false;
}

export function clearFormErrors(form) {
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  form.querySelectorAll(".field-error, .form-error").forEach((el) => { el.hidden = true; el.textContent = ""; });
}

/** Run `fn` with the form's submit button disabled; returns fn's result. */
export async function busy(form, fn) {
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try { return await fn(); } finally { if (button) button.disabled = false; }
}

/** On submit: check `rules`, then `send()`; an API error goes to its field. The usual shape of
 *  every form here. */
export function onSubmit(form, { rules = {}, fallbackParam, send }) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      if (!checkFields(form, rules)) return;
      try { await send(); } catch (error) { showFormError(form, error, fallbackParam); }
    });
  });
}

export function showStatus(form, text) {
  let box = form.querySelector(".form-ok");
  if (!box) {
    box = document.createElement("p");
    box.className = "flash ok form-ok";
    box.setAttribute("role", "status");
    form.querySelector(".actions").after(box);
  }
  box.textContent = text;
  announce(text);
}

/**
 * A two-step action: the button opens a confirmation whose default is Cancel (it has the focus,
 * so Enter cancels). Cancel or Escape close it and give the focus back to the button; the rest of
 * the page (an edit not saved yet) is left as it was. `yes`: the confirming button's text.
 */
export function confirmAction(buttonId, question, action, { yes = "Yes, delete", failed = "Not deleted", detail = "" } = {}) {
  const button = document.getElementById(buttonId);
  const area = button.parentElement;
  button.addEventListener("click", () => askFirst(area, button, buttonId, question, action, { yes, failed, detail }));
}

/** Show the confirmation now (also for actions that start from a form's submit). Resolves with
 *  whether the action ran. */
export function askFirst(area, returnTo, id, question, action, { yes = "Yes", failed = "Not done", detail = "" } = {}) {
  return new Promise((resolve) => {
    const kept = [...area.childNodes];
    area.innerHTML = html`<div class="confirm" role="alertdialog" aria-labelledby="${id}-q"${raw(detail ? ` aria-describedby="${id}-d"` : "")}>
      <p id="${id}-q"><strong>${question}</strong></p>
      ${detail ? html`<p id="${id}-d">${detail}</p>` : ""}
      <p class="flash bad form-error" role="alert" hidden></p>
      <div class="actions"><button type="button" class="danger" id="${id}-yes">${yes}</button>
      <button type="button" class="secondary" id="${id}-no">Cancel</button></div></div>`.html;
    const dialog = area.firstElementChild;
    const yesButton = document.getElementById(`${id}-yes`);
    let running = false;
    const close = () => {
      if (running) return;
      area.replaceChildren(...kept);
      returnTo.focus();
      resolve(false);
    };
    document.getElementById(`${id}-no`).addEventListener("click", close);
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      close();
    });
    yesButton.addEventListener("click", async () => {
      running = true;
      yesButton.disabled = true;
      try {
        await action();
        if (dialog.isConnected) area.replaceChildren(...kept);
        resolve(true);
      } catch (error) {
        const box = dialog.querySelector(".form-error");
        box.textContent = `${failed}: ${describe(error)}`;
        box.hidden = false;
        reveal(box);
      } finally {
        running = false;
        yesButton.disabled = false;
      }
    });
    document.getElementById(`${id}-no`).focus();
  });
}
