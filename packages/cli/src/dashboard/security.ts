/**
 * The dashboard's defences, applied to every request before any handler runs:
 * - a strict Content Security Policy (scripts, styles and connections from this origin only, no
 *   inline script, no framing) and the usual hardening headers;
 * - the Host header checked against an allow-list when bound to loopback, so a page on another
 *   site cannot reach the dashboard by pointing its own domain at 127.0.0.1 (DNS rebinding);
 * - the token: required on every mutating request, and on reads too unless the dashboard is
 *   bound to loopback; compared in constant time;
 * - mutations only as `POST` with `Content-Type: application/json`, a custom token header, and
 *   an `Origin` (when the browser sends one) equal to the dashboard's own, so a cross-site form
 *   or script can neither send one nor get one through (no CORS headers are ever sent).
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http.js";

export const TOKEN_HEADER = "x-cairn-token";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** What the checks need to know about how the dashboard is served. */
export interface SecurityPolicy {
  readonly token: string;
  /** Reads need the token too (any bind other than loopback, or when mounted by default). */
  readonly tokenForReads: boolean;
  /** Host headers accepted; `undefined`: any (the token protects everything then). */
  readonly allowedHosts: readonly string[] | undefined;
}

/** Headers every response carries. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("cross-origin-opener-policy", "same-origin");
  res.setHeader("cross-origin-resource-policy", "same-origin");
}

/** Rejects a request whose Host is not allowed. */
export function checkHost(req: IncomingMessage, policy: SecurityPolicy): void {
  if (!policy.allowedHosts) return;
  const host = (req.headers.host ?? "").toLowerCase();
  if (!policy.allowedHosts.includes(host)) {
    throw new HttpError(403, `host "${host}" is not allowed`);
  }
}

/** True when `given` is the token, in time independent of where they differ. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined || given === "") return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The token a request carries: its header, or `?token=` (EventSource cannot set headers). */
function tokenOf(req: IncomingMessage, url: URL, allowQuery: boolean): string | undefined {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === "string") return header;
  return allowQuery ? (url.searchParams.get("token") ?? undefined) : undefined;
}

/** Rejects a read without the token when reads need it. */
export function checkRead(req: IncomingMessage, url: URL, policy: SecurityPolicy): void {
  if (!policy.tokenForReads) return;
  if (!tokenMatches(tokenOf(req, url, true), policy.token)) {
    throw new HttpError(401, "this dashboard needs its token");
  }
}

/** Rejects a mutation that is not a same-origin JSON POST carrying the token. */
export function checkMutation(req: IncomingMessage, url: URL, policy: SecurityPolicy): void {
  if (req.method !== "POST") throw new HttpError(405, "use POST");
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(415, "send Content-Type: application/json");
  }
  const origin = req.headers.origin;
  if (
    origin !== undefined &&
    origin !== `http://${req.headers.host ?? ""}` &&
    origin !== `https://${req.headers.host ?? ""}`
  ) {
    throw new HttpError(403, "cross-site request refused");
  }
  if (!tokenMatches(tokenOf(req, url, false), policy.token)) {
    throw new HttpError(401, "this action needs the dashboard's token");
  }
}

/** The Host headers a loopback bind on `port` answers to. */
export function loopbackHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/** Whether `host` (an address to bind) is loopback. */
export function isLoopback(host: string): boolean {
  return (
    host === "127.0.0.1" ||
    host === "localhost" ||
    host === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}
