// In-page helper for run.mjs. It initialises whichever SuperTokens SDK the
// page loaded (supertokens-website as window.supertokens, or
// supertokens-web-js as window.supertokensWebJs) and exposes small async
// wrappers that return plain, serialisable data to page.evaluate.
"use strict";
(function () {
  const events = [];
  let sdk = null;
  let sdkName = "";

  function onHandleEvent(e) {
    events.push({
      action: e.action,
      sessionExpiredOrRevoked: e.sessionExpiredOrRevoked,
      claimValidationErrors: e.claimValidationErrors,
      at: Date.now(),
    });
  }

  // Frontend cookies written through the SDK's cookieHandler, as the SDK
  // gave them (cookieWrites) and as they went to document.cookie.
  const cookieWrites = [];

  // partitionedCookies is a cookieHandler that adds the Partitioned
  // attribute to every cookie the SDK writes. In a cross-site iframe whose
  // browser blocks third-party cookies, document.cookie refuses an
  // unpartitioned cookie; a partitioned one is kept, for this top-level
  // site only.
  function partitionedCookies(original) {
    return {
      ...original,
      setCookie: (line) => {
        const out = /;\s*partitioned\s*(;|$)/i.test(line) ? line : line + ";partitioned";
        cookieWrites.push(out);
        return original.setCookie(out);
      },
    };
  }

  // o: {apiDomain, apiBasePath, tokenTransferMethod, sessionTokenBackendDomain,
  //     isInIframe, partitionedCookies}
  function init(o) {
    const session = { onHandleEvent };
    if (o.tokenTransferMethod) session.tokenTransferMethod = o.tokenTransferMethod;
    if (o.sessionTokenBackendDomain) session.sessionTokenBackendDomain = o.sessionTokenBackendDomain;
    if (o.isInIframe) session.isInIframe = true;
    const handlers = {};
    if (o.partitionedCookies) handlers.cookieHandler = partitionedCookies;
    const apiBasePath = o.apiBasePath || "/auth";
    if (window.supertokensWebJs) {
      const w = window.supertokensWebJs;
      w.SuperTokens.init({
        appInfo: { appName: "ginsession-e2e", apiDomain: o.apiDomain, apiBasePath },
        recipeList: [w.Session.init(session)],
        ...handlers,
      });
      sdk = w.Session;
      sdkName = "supertokens-web-js";
    } else {
      window.supertokens.init({ apiDomain: o.apiDomain, apiBasePath, ...session, ...handlers });
      sdk = window.supertokens;
      sdkName = "supertokens-website";
    }
    return sdkName;
  }

  async function settle(promise) {
    try {
      return { ok: true, value: await promise };
    } catch (e) {
      if (e instanceof Response) return { ok: false, error: "Response " + e.status };
      return { ok: false, error: String(e && e.message ? e.message : e) };
    }
  }

  async function readResponse(r) {
    const text = await r.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {}
    const headers = {};
    r.headers.forEach((v, k) => (headers[k] = v));
    return { status: r.status, body, headers };
  }

  // call sends a request through the SDK's fetch interceptor (or, with
  // raw: true, through the browser's own fetch with credentials).
  async function call(url, opts = {}) {
    const init = { method: opts.method || "GET", headers: { ...(opts.headers || {}) } };
    if (opts.body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let f = fetch;
    if (opts.raw) {
      f = window.__supertokensOriginalFetch || fetch;
      init.credentials = "include";
    }
    try {
      return await readResponse(await f(url, init));
    } catch (e) {
      return { status: 0, error: String(e && e.message ? e.message : e) };
    }
  }

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === name) return v.join("=");
    }
    return undefined;
  }

  function decodeFrontToken(v) {
    const bytes = Uint8Array.from(atob(v), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  window.e2e = {
    init,
    events,
    cookieWrites,
    call,
    cookie,
    cookieNames: () => document.cookie.split(";").map((p) => p.trim().split("=")[0]).filter(Boolean).sort(),
    setCookie: (line) => {
      document.cookie = line;
    },
    // The front token as the SDK stored it (no SDK call, so no refresh).
    frontToken: () => {
      const v = cookie("sFrontToken");
      return v ? decodeFrontToken(v) : null;
    },
    doesSessionExist: () => settle(sdk.doesSessionExist()),
    getUserId: () => settle(sdk.getUserId()),
    getAccessTokenPayloadSecurely: () => settle(sdk.getAccessTokenPayloadSecurely()),
    // The access token, for calls to other services (refreshes first if it
    // expired); undefined unless the backend sent it (header mode, or
    // cookie mode with ExposeAccessTokenInCookieMode).
    getAccessToken: () => settle(sdk.getAccessToken()),
    attemptRefreshingSession: () => settle(sdk.attemptRefreshingSession()),
    signOut: () => settle(sdk.signOut()),
    // invalidClaims fetches url through the SDK and parses the 403 with
    // the SDK's own getInvalidClaimsFromResponse.
    invalidClaims: async (url) => {
      const r = await fetch(url);
      const parsed = await settle(sdk.getInvalidClaimsFromResponse({ response: r }));
      return { ...(await readResponse(r.clone())), parsed };
    },
  };
})();
