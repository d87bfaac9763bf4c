// In-page "second service" for scenario 24: code that is not the session
// SDK and verifies an access token the way another service would, with a
// standard JWT library (jose, bundled as window.joseLib): the issuer's
// OpenID discovery document names the JWKS; jose fetches the keys and
// checks the signature, the issuer and the expiry.
//
// Its requests go through the browser's own fetch, captured here at load
// time (before the SDK's init wraps window.fetch), without credentials: a
// service that is not the session's frontend sends no cookies and none of
// the SDK's headers. nativeViaSdk is the other case, for comparison: the
// same GET through window.fetch after the SDK wrapped it.
"use strict";
(function () {
  const nativeFetch = window.fetch.bind(window);
  const plain = (url, init = {}) => nativeFetch(url, { ...init, credentials: "omit" });
  const jose = window.joseLib;

  // One JWKS per jwks_uri, kept like a long-lived service keeps it (jose
  // refetches on an unknown kid); fetches counts what it asked for.
  const sets = new Map();
  let fetches = 0;
  const countingFetch = (url, init) => {
    fetches++;
    return plain(url, init);
  };
  function jwksFor(uri) {
    if (!sets.has(uri)) sets.set(uri, jose.createRemoteJWKSet(new URL(uri), { [jose.customFetch]: countingFetch }));
    return sets.get(uri);
  }

  const errorOf = (e) => ({ ok: false, code: (e && e.code) || "", error: String(e && e.message ? e.message : e) });

  async function getJSON(url, f) {
    try {
      const r = await f(url);
      const text = await r.text();
      let body = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { ok: r.ok, status: r.status, body };
    } catch (e) {
      return { ok: false, status: 0, error: String(e && e.message ? e.message : e) };
    }
  }

  function b64urlJSON(part) {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }
  function toB64urlJSON(v) {
    const bytes = new TextEncoder().encode(JSON.stringify(v));
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  window.verifier = {
    secure: () => window.isSecureContext && !!(window.crypto && window.crypto.subtle),
    fetches: () => fetches,
    // discover reads {issuer, jwks_uri, ...} from
    // {apiDomain}{basePath}/.well-known/openid-configuration.
    discover: (apiDomain, basePath = "/auth") => getJSON(apiDomain + basePath + "/.well-known/openid-configuration", plain),
    // jwks fetches the key set itself (no verification).
    jwks: (uri) => getJSON(uri, plain),
    // viaSdkFetch is the same GET through window.fetch as it is now (after
    // the SDK's init: the SDK's interceptor, credentials: include and its
    // headers, for URLs on its apiDomain).
    viaSdkFetch: (url) => getJSON(url, (u) => window.fetch(u)),
    // verify checks token against the issuer's keys; returns the payload
    // and protected header, or jose's error code.
    verify: async (token, issuer, jwksUri) => {
      try {
        const { payload, protectedHeader } = await jose.jwtVerify(token, jwksFor(jwksUri), { issuer });
        return { ok: true, payload, header: protectedHeader };
      } catch (e) {
        return errorOf(e);
      }
    },
    header: (token) => jose.decodeProtectedHeader(token),
    // tamper changes one claim of the payload and keeps the header and the
    // signature: what a holder of the token might try.
    tamper: (token, claim, value) => {
      const [h, p, s] = token.split(".");
      const payload = b64urlJSON(p);
      payload[claim] = value;
      return [h, toB64urlJSON(payload), s].join(".");
    },
  };
})();
