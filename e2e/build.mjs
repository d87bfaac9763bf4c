// Builds the browser bundles the test pages load, from the pinned npm
// packages, into dist/ (never committed):
//
//   dist/supertokens-website.js  global `supertokens`      (supertokens-website)
//   dist/supertokens-web-js.js   global `supertokensWebJs` (supertokens-web-js: SuperTokens + Session)
//   dist/jose.js                 global `joseLib`          (jose: createRemoteJWKSet, jwtVerify, ...)
//
// The SDKs ship CommonJS only, jose ESM only; esbuild turns each into an
// IIFE bundle, the way the SDK's own docs build them.
import { build } from "esbuild";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdirSync, writeFileSync } from "node:fs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const dist = join(here, "dist");
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  format: "iife",
  define: { global: "globalThis" },
  platform: "browser",
  target: "es2020",
  logLevel: "warning",
  legalComments: "none",
};

const bundles = [
  {
    entryPoints: [require.resolve("supertokens-website/lib/build/bundleEntry.js")],
    globalName: "supertokens",
    outfile: join(dist, "supertokens-website.js"),
  },
  {
    entryPoints: [join(here, "webjs-entry.js")],
    globalName: "supertokensWebJs",
    outfile: join(dist, "supertokens-web-js.js"),
  },
  {
    entryPoints: [join(here, "jose-entry.js")],
    globalName: "joseLib",
    outfile: join(dist, "jose.js"),
  },
];

const versions = {};
for (const pkg of ["supertokens-website", "supertokens-web-js", "jose", "playwright-core", "esbuild"]) {
  versions[pkg] = require(`${pkg}/package.json`).version;
}

const started = Date.now();
for (const b of bundles) {
  await build({ ...common, ...b });
}
writeFileSync(join(dist, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`built ${bundles.map((b) => b.outfile.slice(here.length + 1)).join(", ")} in ${Date.now() - started} ms (${Object.entries(versions).map(([k, v]) => k + "@" + v).join(" ")})`);
