// Entry for the supertokens-web-js browser bundle: the SDK core (the same
// module its own webpack build uses as the "supertokens" entry) and the
// Session recipe (its "supertokensSession" entry), under one global.
import * as SuperTokens from "supertokens-web-js/lib/build/bundleEntry.js";
import * as Session from "supertokens-web-js/lib/build/recipe/session/index.js";

export { SuperTokens, Session };
