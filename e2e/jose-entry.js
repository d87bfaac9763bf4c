// Entry for the jose browser bundle (global `joseLib`): what the "second
// service" of scenario 24 needs to verify ginsession's access tokens the
// way any standard JWT library does, from the issuer's discovery document
// and JWKS. jose ships ESM only; esbuild makes it an IIFE like the SDKs.
export { createRemoteJWKSet, jwtVerify, decodeProtectedHeader, decodeJwt, customFetch, errors } from "jose";
