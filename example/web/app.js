// The demo page's client. The real SuperTokens frontend SDK is not bundled
// here, so this file does, in miniature, what the SDK does:
//   - every API call sends "st-auth-mode" and "rid: anti-csrf". In cookie
//     mode (the default) it uses credentials: "include" and the tokens live
//     in HttpOnly cookies; in header mode (open the page with ?mode=header)
//     it keeps the st-access-token / st-refresh-token response headers in
//     localStorage, sends "Authorization: Bearer <access token>" and, to
//     the refresh endpoint, the refresh token, and sends no cookies;
//   - a 401 triggers one POST /auth/session/refresh (rid: session,
//     fdi-version, no body); after a 200 the original request is retried
//     once, after a 401 the user is signed out;
//   - the front-token response header (base64 JSON {uid, ate, up}) is the
//     page's only view of the session: who is signed in and when the access
//     token expires. "front-token: remove" means the session is gone.
"use strict";

const REFRESH_PATH = "/auth/session/refresh";
const SIGNOUT_PATH = "/auth/signout";

const $ = (id) => document.getElementById(id);

// MODE is the token transfer method: "cookie" or, with ?mode=header, "header".
const MODE = new URLSearchParams(location.search).get("mode") === "header" ? "header" : "cookie";

let frontToken = loadFrontToken(); // {uid, ate, up} or null
let refreshing = null; // the refresh in flight, shared by concurrent calls

// ---- log ------------------------------------------------------------------

function log(text, kind) {
  const li = document.createElement("li");
  li.textContent = new Date().toLocaleTimeString() + "  " + text;
  if (kind) li.className = kind;
  const list = $("log");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

// ---- front-token ----------------------------------------------------------

function decodeFrontToken(value) {
  const bytes = Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function loadFrontToken() {
  try {
    return JSON.parse(localStorage.getItem("frontToken"));
  } catch {
    return null;
  }
}

function setFrontToken(ft) {
  frontToken = ft;
  if (ft) localStorage.setItem("frontToken", JSON.stringify(ft));
  else localStorage.removeItem("frontToken");
  renderStatus();
}

// ---- header-mode tokens ---------------------------------------------------

const TOKEN_HEADERS = { access: "st-access-token", refresh: "st-refresh-token" };

function token(kind) {
  return localStorage.getItem(TOKEN_HEADERS[kind]) || "";
}

// readTokens keeps the tokens a response hands over in header mode; an
// empty value means the server cleared them.
function readTokens(res) {
  if (MODE !== "header") return;
  for (const name of Object.values(TOKEN_HEADERS)) {
    const value = res.headers.get(name);
    if (value === null) continue;
    if (value === "" || value === "remove") localStorage.removeItem(name);
    else localStorage.setItem(name, value);
  }
}

// requestInit is fetch's init for the transfer method; bearer is the token
// to send in header mode.
function requestInit(method, headers, bearer) {
  headers["st-auth-mode"] = MODE;
  if (MODE === "header") {
    if (bearer) headers["authorization"] = "Bearer " + bearer;
    return { method, headers, credentials: "omit" };
  }
  return { method, headers, credentials: "include" };
}

// readSession applies what a response says about the session.
function readSession(res) {
  readTokens(res);
  readFrontToken(res);
}

// readFrontToken applies a response's front-token header, if any.
function readFrontToken(res) {
  const value = res.headers.get("front-token");
  if (value === null) return;
  if (value === "remove") {
    setFrontToken(null);
    return;
  }
  try {
    setFrontToken(decodeFrontToken(value));
    log("front-token: user " + frontToken.uid + ", access token until " +
      new Date(frontToken.ate).toLocaleTimeString());
  } catch (e) {
    log("unreadable front-token: " + e, "error");
  }
}

function renderStatus() {
  const el = $("status");
  if (!frontToken) {
    el.textContent = "Signed out";
    el.className = "status out";
    return;
  }
  const left = Math.round((frontToken.ate - Date.now()) / 1000);
  const email = frontToken.up && frontToken.up.email ? " (" + frontToken.up.email + ")" : "";
  el.textContent = "Signed in as " + frontToken.uid + email + " · access token " +
    (left > 0 ? "expires in " + left + " s" : "expired: the next call refreshes it");
  el.className = "status in";
}

// ---- the client -----------------------------------------------------------

// refresh calls the refresh endpoint once, however many calls are waiting
// for it. It resolves to true when the session was refreshed.
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      log("→ POST " + REFRESH_PATH, "refresh");
      let res;
      try {
        res = await fetch(REFRESH_PATH,
          requestInit("POST", { "rid": "session", "fdi-version": "4.1" }, token("refresh")));
      } catch (e) {
        log("refresh failed: " + e, "error");
        return false;
      }
      readSession(res);
      log("← " + res.status + " refresh", res.status === 200 ? "refresh" : "error");
      if (res.status === 200) return true;
      if (res.status === 401) signedOut();
      // Anything else is a server fault: it does not end the session.
      return false;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

// call sends one API request the way the SDK does and returns
// {status, data}; status 401 means the user is signed out.
async function call(method, path, body, opts = {}) {
  const send = () => {
    const headers = { "rid": "anti-csrf", ...opts.headers };
    const init = requestInit(method, headers, token("access"));
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    log("→ " + method + " " + path);
    return fetch(path, init);
  };
  const mayRefresh = opts.refresh !== false;
  // Like the SDK: an access token known to be expired is refreshed first.
  if (mayRefresh && frontToken && Date.now() >= frontToken.ate && !(await refresh())) {
    return { status: 401, data: null };
  }
  let res = await send();
  readSession(res);
  if (res.status === 401 && mayRefresh) {
    log("← 401 " + method + " " + path + ": trying a refresh", "refresh");
    if (!(await refresh())) return { status: 401, data: null };
    res = await send(); // once
    readSession(res);
  }
  const data = await res.json().catch(() => null);
  log("← " + res.status + " " + method + " " + path, res.ok ? "ok" : "error");
  return { status: res.status, data };
}

// ---- the page -------------------------------------------------------------

function signedOut() {
  for (const name of Object.values(TOKEN_HEADERS)) localStorage.removeItem(name);
  setFrontToken(null);
  $("auth-result").textContent = "";
  $("cart").replaceChildren();
  $("me-result").textContent = "signed out";
  $("notes").replaceChildren();
  $("sessions").replaceChildren();
  $("devices-result").textContent = "";
  $("revoke-others").disabled = true;
}

function show(el, result) {
  el.textContent = result.status + " " + JSON.stringify(result.data, null, 2);
}

async function authSubmit(event) {
  event.preventDefault();
  const path = event.submitter ? event.submitter.dataset.action : "/signin";
  const body = { email: $("email").value, password: $("password").value, rememberMe: $("remember").checked };
  const r = await call("POST", path, body, { refresh: false });
  const out = $("auth-result");
  if (r.status === 200 && r.data && r.data.status === "OK") {
    out.textContent = "OK: signed in as " + r.data.user.email;
    $("password").value = "";
    loadAll();
  } else if (r.data && r.data.status) {
    out.textContent = r.data.status;
  } else {
    out.textContent = r.status + " " + ((r.data && r.data.message) || "");
  }
}

async function loadMe() {
  show($("me-result"), await call("GET", "/api/me"));
}

async function loadNotes() {
  const r = await call("GET", "/api/notes");
  const list = $("notes");
  list.replaceChildren();
  if (r.status !== 200) return;
  for (const n of r.data.notes) {
    const li = document.createElement("li");
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = new Date(n.createdAt).toLocaleString();
    li.append(n.text, meta);
    list.append(li);
  }
}

async function addNote(event) {
  event.preventDefault();
  const r = await call("POST", "/api/notes", { text: $("note-text").value });
  if (r.status === 201) {
    $("note-text").value = "";
    loadNotes();
  }
}

// ---- your devices -----------------------------------------------------------

// deviceName turns a User-Agent into a short name such as "Chrome on Linux"
// or "Safari on iPhone". It knows a handful of browsers and systems, which
// covers what people use; anything else is shown as the raw string.
function deviceName(ua) {
  if (!ua) return "Unknown browser";
  const browser =
    /Edg(e|A|iOS)?\//.test(ua) ? "Edge" :
    /OPR\/|Opera/.test(ua) ? "Opera" :
    /Firefox\/|FxiOS\//.test(ua) ? "Firefox" :
    /Chrome\/|CriOS\//.test(ua) ? "Chrome" :
    /Version\/.*Safari\//.test(ua) ? "Safari" : "";
  const os =
    /iPhone/.test(ua) ? "iPhone" :
    /iPad/.test(ua) ? "iPad" :
    /Android/.test(ua) ? "Android" :
    /Windows/.test(ua) ? "Windows" :
    /CrOS/.test(ua) ? "ChromeOS" :
    /Macintosh|Mac OS X/.test(ua) ? "macOS" :
    /Linux/.test(ua) ? "Linux" : "";
  if (!browser) return ua;
  return os ? browser + " on " + os : browser;
}

// timeAgo says how long ago a moment was: "just now", "1 minute ago",
// "3 hours ago".
function timeAgo(date, now = Date.now()) {
  const secs = Math.floor((now - date.getTime()) / 1000);
  const units = [["year", 365 * 86400], ["month", 30 * 86400], ["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) {
    if (secs >= size) {
      const n = Math.floor(secs / size);
      return n + " " + unit + (n === 1 ? "" : "s") + " ago";
    }
  }
  return "just now"; // also a moment a skewed clock puts in the future
}

// timeElement is a <time> that shows how long ago date was and, on hover,
// the date itself; renderTimes keeps the text current.
function timeElement(iso) {
  const el = document.createElement("time");
  el.dateTime = iso;
  el.title = new Date(iso).toLocaleString();
  el.className = "ago";
  el.textContent = timeAgo(new Date(iso));
  return el;
}

function renderTimes() {
  for (const el of document.querySelectorAll("time.ago")) {
    el.textContent = timeAgo(new Date(el.dateTime));
  }
}

async function loadSessions() {
  const r = await call("GET", "/api/sessions");
  const list = $("sessions");
  list.replaceChildren();
  if (r.status !== 200) return;
  for (const s of r.data.sessions) {
    const li = document.createElement("li");
    li.className = s.current ? "device current" : "device";
    li.dataset.handle = s.handle;

    const name = document.createElement("strong");
    name.className = "device-name";
    name.textContent = deviceName(s.userAgent);
    name.title = s.userAgent || "no User-Agent";
    const head = document.createElement("div");
    head.className = "device-head";
    head.append(name);
    if (s.current) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "This device";
      head.append(" ", badge);
    }

    const meta = document.createElement("div");
    meta.className = "meta";
    meta.append("Last active ", timeElement(s.lastActiveAt), " · IP ");
    const ip = document.createElement("span");
    ip.className = "ip";
    ip.textContent = s.ip || "unknown";
    meta.append(ip, " · signed in ", timeElement(s.createdAt));
    if (!s.remembered) meta.append(" · ends when the browser closes");

    const button = document.createElement("button");
    button.type = "button";
    button.className = "danger";
    button.textContent = "Sign out";
    button.title = s.current ? "Sign out this device" : "Sign out " + name.textContent;
    button.addEventListener("click", () => revokeSession(s.handle, name.textContent));

    li.append(head, meta, button);
    list.append(li);
  }
  $("revoke-others").disabled = !r.data.sessions.some((s) => !s.current);
}

async function revokeSession(handle, name) {
  const r = await call("DELETE", "/api/sessions/" + encodeURIComponent(handle));
  if (r.status === 200 && r.data.signedOut) {
    signedOut();
    return;
  }
  await loadSessions();
  if (r.status === 200) $("devices-result").textContent = "Signed out " + name + ".";
}

// revokeOthers signs out every device but this one, then shows the list
// again and how many were signed out.
async function revokeOthers() {
  const r = await call("POST", "/api/sessions/revoke-others");
  if (r.status !== 200 || !r.data || r.data.status !== "OK") {
    if (r.status !== 401) $("devices-result").textContent = "Could not sign out the other devices (" + r.status + ").";
    return;
  }
  await loadSessions();
  const n = r.data.revoked;
  $("devices-result").textContent = n === 0 ? "No other device was signed in." :
    "Signed out " + n + " other device" + (n === 1 ? "" : "s") + ".";
}

async function reloadSessions() {
  $("devices-result").textContent = "";
  await loadSessions();
}

async function signOut() {
  const r = await call("POST", SIGNOUT_PATH, undefined, { headers: { "rid": "session" } });
  if (r.status === 200 || r.status === 401) signedOut();
}

async function loadCart() {
  const r = await call("GET", "/cart");
  const list = $("cart");
  list.replaceChildren();
  if (r.status !== 200) return;
  for (const item of r.data.cart) {
    const li = document.createElement("li");
    li.textContent = item;
    list.append(li);
  }
}

async function addToCart(event) {
  event.preventDefault();
  const r = await call("POST", "/cart", { item: $("cart-item").value });
  if (r.status === 201) {
    $("cart-item").value = "";
    loadCart();
  }
}

function loadAll() {
  loadCart();
  loadMe();
  loadNotes();
  loadSessions();
}

document.addEventListener("DOMContentLoaded", () => {
  $("auth-form").addEventListener("submit", authSubmit);
  $("me-button").addEventListener("click", loadMe);
  $("signout-button").addEventListener("click", signOut);
  $("note-form").addEventListener("submit", addNote);
  $("cart-form").addEventListener("submit", addToCart);
  $("notes-reload").addEventListener("click", loadNotes);
  $("sessions-reload").addEventListener("click", reloadSessions);
  $("revoke-others").addEventListener("click", revokeOthers);
  $("log-clear").addEventListener("click", () => $("log").replaceChildren());
  const other = MODE === "header" ? "cookie" : "header";
  $("mode").textContent = "Tokens travel in " + (MODE === "header" ? "headers" : "cookies") + " · ";
  const link = document.createElement("a");
  link.href = "?mode=" + other;
  link.textContent = "switch to " + other + " mode";
  $("mode").append(link);
  log("transfer method: " + MODE);
  setInterval(() => {
    renderStatus();
    renderTimes();
  }, 1000);
  renderStatus();
  if (frontToken) loadAll();
  else log("no session yet: sign up or sign in");
});
