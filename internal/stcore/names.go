package stcore

// AlgRefreshV2 is the store.ImportedKey.Algorithm of a core app's
// refresh-token key (whose Key is the key's text): the key OpenRefreshToken
// takes. The app's public keys are imported as "RS256".
const AlgRefreshV2 = "supertokens-refresh-v2"

// KeyIssuer is the store.ImportedKey.Issuer of the keys imported from a
// core app.
func KeyIssuer(appID string) string { return "supertokens-core:" + appID }

// RefreshKeyID is the store.ImportedKey.ID of a core app's refresh-token
// key.
func RefreshKeyID(appID string) string { return "supertokens-core:" + appID + ":refresh_token_key" }
