/**
 * Building the page without innerHTML: `h(tag, attributes, ...children)` creates elements and
 * text nodes only, so values from the database can never become markup. Plus the formatting
 * the views share: relative times, durations, status badges, JSON blocks.
 */

/** Creates an element; strings and numbers become text nodes, arrays are flattened. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

const UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/** `850ms`, `1.2s`, `4m 10s`, `3h 05m`. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const index = UNITS.findIndex(([, size]) => ms >= size);
  const [bigName, bigSize] = UNITS[index];
  const [smallName, smallSize] = UNITS[index + 1];
  const whole = Math.floor(ms / bigSize);
  const rest = Math.floor((ms - whole * bigSize) / smallSize);
  return `${whole}${bigName} ${String(rest).padStart(2, "0")}${smallName}`;
}

/** `12s ago`, `in 5m`, `just now`, with the exact time as a tooltip. */
export function ago(iso) {
  if (!iso) return "–";
  const diff = Date.now() - Date.parse(iso);
  let text = "just now";
  if (Math.abs(diff) >= 1_000) {
    const [name, size] = UNITS.find(([, s]) => Math.abs(diff) >= s) ?? UNITS[3];
    const count = Math.floor(Math.abs(diff) / size);
    text = diff > 0 ? `${count}${name} ago` : `in ${count}${name}`;
  }
  return h("time", { datetime: iso, title: iso }, text);
}

/** A coloured status badge. */
export const badge = (status) => h("span", { class: `badge s-${status}` }, status);

/** A value as indented JSON in a `<pre>`. */
export const jsonBlock = (value) =>
  h("pre", { class: "json" }, value === undefined ? "undefined" : JSON.stringify(value, null, 2));

/** A one-line summary of a value for table cells. */
export function summary(value, max = 80) {
  const text = value === undefined ? "" : (JSON.stringify(value) ?? "");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A link to a workflow's page. */
export const workflowLink = (id) =>
  h("a", { href: `#/workflow/${encodeURIComponent(id)}`, class: "mono" }, id);

/** A table with a header row; `rows` are arrays of cells. */
export function table(headers, rows, empty) {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headers.map((name) => h("th", {}, name)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((cell) => h("td", {}, cell)),
        ),
      ),
    ),
  );
}
