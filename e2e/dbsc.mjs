// The Device Bound Session Credentials lane (TestRealBrowserDeviceBound in
// dbsc_test.go starts the servers and passes them in $E2E_CONFIG).
//
// Chromium runs with DBSC on and software keys (no TPM here), over HTTPS
// with a certificate made at test time and accepted by its SPKI hash,
// which needs a user data dir: each profile is a persistent context. The
// "browser" profile signs up on the SDK page; the "thief" profile is
// another machine: the browser's cookies copied in, no key.
//
//   1. registration: the sign-up response offers it, Chromium registers
//      (the server's deviceBound event; the bound cookie in the jar; the
//      CDP events where this Chromium reports them);
//   2. after the bound cookie and the access token expired, the SDK's call
//      sees 200 after one 401 and one refresh: Chromium held the refresh,
//      answered the DBSC challenge and got a new bound cookie first;
//   3. the cookies copied into the thief's profile, once the bound cookie
//      copy expired, cannot refresh (401, a deviceBindingFailed event); the
//      browser itself carries on, and no theft is reported;
//   4. the control: the same steps against the server without binding,
//      where the copy refreshes.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const cfg = JSON.parse(process.env.E2E_CONFIG || "null");
if (!cfg) {
  console.error("dbsc.mjs: $E2E_CONFIG is not set; run it with `go test ./e2e/ -run TestRealBrowserDeviceBound`");
  process.exit(2);
}
const PASSWORD = "correct horse battery";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const js = (v) => JSON.stringify(v);
class Fail extends Error {}
function check(cond, msg) {
  if (!cond) throw new Fail(msg);
}
function eq(actual, expected, what) {
  if (js(actual) !== js(expected)) throw new Fail(`${what}: got ${js(actual)}, want ${js(expected)}`);
}

const args = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-features=DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting,DeviceBoundSessionsDevTools",
  `--ignore-certificate-errors-spki-list=${cfg.spki}`,
];

async function stats(server) {
  const r = await fetch(server.direct + "/test/stats");
  check(r.status === 200, `GET ${server.origin}/test/stats: ${r.status}`);
  return r.json();
}

// statsWindow reads the server's counters before and after a step.
async function statsWindow(server) {
  const before = await stats(server);
  return async () => {
    const after = await stats(server);
    const n = (st, path, status) => {
      const p = st.requests[path];
      if (!p) return 0;
      return status === undefined ? p.count : p.byStatus[String(status)] || 0;
    };
    return {
      count: (path, status) => n(after, path, status) - n(before, path, status),
      event: (name) => (after.events[name] || 0) - (before.events[name] || 0),
    };
  };
}

// profile is one browser profile (a persistent context) and a log of what
// went over its wire to the API.
async function profile(dir, log) {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: cfg.chromium,
    headless: true,
    args,
    viewport: { width: 1280, height: 900 },
  });
  const wire = [];
  context.on("response", (res) => {
    const u = new URL(res.url());
    if (u.pathname.startsWith("/auth/") || u.pathname.startsWith("/api/") || u.pathname === "/signup") {
      wire.push(`${res.request().method()} ${u.pathname} ${res.status()}`);
    }
  });
  context.on("console", (m) => log(`console ${m.type()}: ${m.text()}`));
  return { context, wire };
}

async function sdkPage(p, server) {
  const page = p.context.pages()[0] || (await p.context.newPage());
  const resp = await page.goto(server.origin + "/static/sdk.html");
  check(resp && resp.ok(), `GET ${server.origin}/static/sdk.html: ${resp && resp.status()}`);
  await page.evaluate((o) => window.e2e.init(o), { apiDomain: server.origin, tokenTransferMethod: "cookie" });
  return page;
}

const call = (page, url, opts) => page.evaluate(([u, o]) => e2e.call(u, o), [url, opts || {}]);

// cdpEvents collects Network.deviceBoundSessionEventOccurred where this
// Chromium has it (DeviceBoundSessionsDevTools); [] otherwise.
async function cdpEvents(p, page, log) {
  const events = [];
  try {
    const cdp = await p.context.newCDPSession(page);
    cdp.on("Network.deviceBoundSessionEventOccurred", (e) => events.push(e));
    await cdp.send("Network.enable");
    await cdp.send("Network.enableDeviceBoundSessions", { enable: true });
  } catch (e) {
    log(`CDP device-bound events unavailable: ${e.message}`);
  }
  return events;
}

// describeCDP names the device-bound session events seen so far by their
// details' kind (creation, refresh, …) and success.
function describeCDP(events) {
  if (events.length === 0) return "no events";
  return events
    .map((e) => {
      const kind = Object.keys(e).find((k) => k.endsWith("EventDetails")) || "event";
      return `${kind.replace(/EventDetails$/, "")}${e.succeeded === false ? " failed" : ""}`;
    })
    .join(", ");
}

async function signUp(page, server, tag) {
  const email = `${tag}-${Date.now().toString(36)}@example.com`;
  const r = await call(page, server.origin + "/signup", { method: "POST", body: { email, password: PASSWORD } });
  eq([r.status, r.body && r.body.status], [200, "OK"], `POST /signup (${js(r.body)})`);
  return email;
}

async function waitFor(what, fn, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// steal copies the profile's cookies for the server into the thief's.
async function steal(from, to, server) {
  const cookies = (await from.context.cookies(server.origin + "/auth/session/refresh")).concat(
    await from.context.cookies(server.origin + "/"),
  );
  const seen = new Set();
  const copy = cookies.filter((c) => {
    const k = c.name + c.path;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  await to.context.addCookies(copy);
  return copy.map((c) => c.name).sort();
}

// lane runs the steps against one server; bound says whether it binds.
async function lane(name, server, log) {
  const browser = await profile(join(cfg.profiles[0], name), log);
  const thief = await profile(join(cfg.profiles[1], name), log);
  const notes = [];
  try {
    const page = await sdkPage(browser, server);
    const cdp = await cdpEvents(browser, page, log);
    let w = await statsWindow(server);
    await signUp(page, server, "dbsc-" + name);
    const bound = name === "bound";
    if (bound) {
      // 1. Registration.
      await waitFor("the browser's registration (deviceBound event)", async () => (await w()).event("deviceBound") === 1);
      const d = await w();
      eq([d.count("/auth/session/dbsc/register", 200), d.event("deviceBindingFailed")], [1, 0], "server: one registration, no failure");
      const jar = await browser.context.cookies(server.origin + "/auth/session/refresh");
      const bc = jar.find((c) => c.name === "sDeviceBound");
      check(bc && bc.httpOnly && bc.secure && bc.path === "/auth/session/refresh", `bound cookie: ${js(bc)}`);
      notes.push(`registered (CDP: ${describeCDP(cdp)})`);
    } else {
      await sleep(1000);
      const d = await w();
      eq([d.count("/auth/session/dbsc/register"), d.event("deviceBound")], [0, 0], "control server: no registration");
    }

    // 2. The bound cookie and the access token expire; the SDK's call
    // refreshes through DBSC without any extra 401.
    await sleep(cfg.boundMaxAgeMs + 1500);
    w = await statsWindow(server);
    let mark = browser.wire.length;
    let r = await call(page, server.origin + "/api/me");
    eq(r.status, 200, "GET /api/me after expiry, as the caller sees it");
    let d = await w();
    eq([d.count("/api/me", 401), d.count("/auth/session/refresh", 200), d.count("/auth/session/refresh", 401)], [1, 1, 0], "server: one 401, one refresh 200, no refused refresh");
    if (bound) {
      const challenged = d.count("/auth/session/dbsc/refresh", 403);
      const proven = d.count("/auth/session/dbsc/refresh", 200);
      // A challenge and a proof, each answered: Chromium 156 also renews a
      // bound cookie with under about two minutes left when a request in
      // scope goes out, so with this lane's 10 s cookie the released
      // refresh request itself triggers a second, non-blocking round
      // (measured: 403 and 200 twice). The scope is the refresh route, so
      // no other request does.
      if (process.env.DBSC_DEBUG) for (const e of cdp) console.log("CDP " + js(e));
      check(challenged === proven && proven >= 1 && proven <= 2, `server: DBSC refresh 403 ×${challenged}, 200 ×${proven}: want one or two rounds, each a challenge and a proof`);
      eq(d.event("deviceBindingFailed"), 0, "server: binding failures");
      const renewed = (await browser.context.cookies(server.origin + "/auth/session/refresh")).find((c) => c.name === "sDeviceBound");
      check(renewed && renewed.expires * 1000 > Date.now(), `no live bound cookie after the DBSC refresh: ${js(renewed)}`);
      notes.push(`refresh after expiry: ${browser.wire.slice(mark).join(", ")}, DBSC refresh 403 ×${challenged} then 200 ×${proven} (CDP: ${describeCDP(cdp)})`);
    }

    // 3. The cookies, copied now (the refresh token is current), into a
    // profile without the key; the copy of the bound cookie expires first.
    const names = await steal(browser, thief, server);
    check(names.includes("sRefreshToken") && names.includes("sAccessToken"), `copied cookies: ${names}`);
    await sleep(cfg.boundMaxAgeMs + 1500);
    const thiefPage = await sdkPage(thief, server);
    w = await statsWindow(server);
    mark = thief.wire.length;
    r = await call(thiefPage, server.origin + "/api/me");
    d = await w();
    if (bound) {
      eq(r.status, 401, "the thief's GET /api/me after its refresh");
      eq([d.count("/auth/session/refresh", 401), d.count("/auth/session/refresh", 200), d.event("deviceBindingFailed:refresh")], [1, 0, 1], "server: the thief's refresh refused, as an event");
      notes.push(`copied cookies (${names.join(" ")}): ${thief.wire.slice(mark).join(", ")}`);
      // The browser itself carries on, and nothing looked like theft.
      w = await statsWindow(server);
      r = await call(page, server.origin + "/api/me");
      eq(r.status, 200, "the browser's GET /api/me after the thief's attempt");
      d = await w();
      eq([d.count("/auth/session/refresh", 401), d.event("theftDetected")], [0, 0], "server: the browser's refresh, no theft");
    } else {
      eq(r.status, 200, "control: the copied cookies' GET /api/me");
      eq(d.count("/auth/session/refresh", 200), 1, "control: the copy refreshed");
      notes.push(`control: copied cookies refreshed (${thief.wire.slice(mark).join(", ")})`);
    }
    return notes.join("; ");
  } finally {
    await browser.context.close().catch(() => {});
    await thief.context.close().catch(() => {});
  }
}

async function main() {
  const started = Date.now();
  const results = [];
  let failed = 0;
  for (const name of ["bound", "plain"]) {
    const logs = [];
    const t0 = Date.now();
    let status = "PASS";
    let note = "";
    try {
      note = await lane(name, cfg.servers[name], (l) => logs.push(l));
    } catch (e) {
      status = "FAIL";
      failed++;
      note = e instanceof Fail ? e.message : e.stack || String(e);
    }
    console.log(`${status} [dbsc] ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${note}`);
    if (status === "FAIL") for (const l of logs) console.log(`     [dbsc] ${name} log: ${l}`);
    results.push({ name, status, note });
  }
  const wall = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`dbsc lane: passed ${results.length - failed}, failed ${failed}; wall time ${wall} s`);
  writeFileSync(join(cfg.artifacts, "dbsc-results.json"), JSON.stringify({ wallSeconds: Number(wall), results }, null, 2) + "\n");
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
