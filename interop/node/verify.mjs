// A backend on supertokens-node verifying access tokens, its core being
// ginsession's MountCoreCompat routes. Run by interop/supertokensnode_test.go:
//
//   CORE_URI=http://127.0.0.1:PORT/st-core CORE_API_KEY=... node verify.mjs < cases.json
//
// stdin: [{"name": ..., "token": ..., "checkDatabase": bool}, ...]
// stdout: one JSON array, in the same order: {"name", "ok": true, "userId",
// "recipeUserId", "handle", "tenantId", "payload"} for a session the SDK
// accepted, {"name", "ok": false, "type", "message"} for one it refused
// ("type" is the SDK's error type: TRY_REFRESH_TOKEN, UNAUTHORISED; null
// for an error that is not a session error).
import supertokens from "supertokens-node";
import Session from "supertokens-node/recipe/session/index.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));

supertokens.init({
  supertokens: {
    connectionURI: process.env.CORE_URI,
    apiKey: process.env.CORE_API_KEY || undefined,
  },
  appInfo: {
    appName: "ginsession-interop",
    apiDomain: "http://127.0.0.1:1",
    websiteDomain: "http://127.0.0.1:2",
    apiBasePath: "/auth",
  },
  // The SDK's defaults otherwise: useDynamicAccessTokenSigningKey is true,
  // so the kid must start with "d-". Anti-CSRF is the backend's own
  // business; these calls pass no request to check it on.
  recipeList: [Session.init({ antiCsrf: "NONE" })],
});

const results = [];
for (const c of cases) {
  try {
    const s = await Session.getSessionWithoutRequestResponse(c.token, undefined, {
      checkDatabase: c.checkDatabase === true,
    });
    results.push({
      name: c.name,
      ok: true,
      userId: s.getUserId(),
      recipeUserId: s.getRecipeUserId().getAsString(),
      handle: s.getHandle(),
      tenantId: s.getTenantId(),
      payload: s.getAccessTokenPayload(),
    });
  } catch (err) {
    results.push({ name: c.name, ok: false, type: err.type ?? null, message: String(err.message) });
  }
}
process.stdout.write(JSON.stringify(results));
