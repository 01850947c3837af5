/**
 * Talking to the dashboard's server: JSON reads and writes relative to the page (so a dashboard
 * mounted under a path prefix works unchanged), the token sent in a header, and the live event
 * stream. The token comes from the URL fragment (`#token=…`, printed by `cairn dashboard`), is
 * kept in sessionStorage for this tab and removed from the address bar; or the user types it
 * when the server asks for it.
 */

const KEY = "cairn-dashboard-token";

/** Takes `token=` out of the fragment into sessionStorage; returns the hash without it. */
export function adoptTokenFromHash() {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
  const rest = location.hash.replace(/(^#|&)token=[^&]*/, "$1").replace(/^#&/, "#");
  history.replaceState(null, "", rest === "#" ? location.pathname : `${location.pathname}${rest}`);
}

export const token = () => sessionStorage.getItem(KEY) ?? "";

/** Asks for the token (after a 401) and keeps it; false when the user gave none. */
export function askForToken() {
  const given = prompt("This action needs the dashboard's token (printed by `cairn dashboard`):");
  if (!given) return false;
  sessionStorage.setItem(KEY, given.trim());
  return true;
}

/** An API failure with the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body) {
  const headers = { "x-cairn-token": token() };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`api/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error ?? response.statusText);
  return data;
}

/** GET, asking for the token once if the server wants it. */
export async function get(path) {
  try {
    return await request("GET", path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && askForToken()) {
      return request("GET", path);
    }
    throw error;
  }
}

/** POST a JSON body, asking for the token once if the server wants it. */
export async function post(path, body = {}) {
  try {
    return await request("POST", path, body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && askForToken()) {
      return request("POST", path, body);
    }
    throw error;
  }
}

/** Opens the live stream; `onChange(notification)` per change, `onState("live"|"offline")`. */
export function openLive(onChange, onState) {
  const source = new EventSource(`api/live?token=${encodeURIComponent(token())}`);
  source.addEventListener("ready", () => onState("live"));
  source.addEventListener("change", (event) => onChange(JSON.parse(event.data)));
  source.addEventListener("error", () => onState("offline"));
  return source;
}
