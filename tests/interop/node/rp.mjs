// A relying party on openid-client, driven over stdin/stdout by tests/integration.
//
// argv: issuer client_id client_secret|- redirect_uri auth_method scope [id_token_alg]
// 1. prints {"authorization_url": ...}
// 2. reads one line: the URL the provider redirected the browser to
// 3. redeems the code (validating the ID token against the JWKS, nonce, state, iss, at_hash),
//    reads userinfo, refreshes, and prints {"claims", "userinfo", "refreshed_claims", ...}
import * as client from "openid-client";
import readline from "node:readline";

const [issuer, clientId, secret, redirectUri, method, scope, alg = "RS256"] = process.argv.slice(2);
const auth = {
  client_secret_basic: () => client.ClientSecretBasic(secret),
  client_secret_post: () => client.ClientSecretPost(secret),
  none: () => client.None(),
}[method]();

const metadata = { id_token_signed_response_alg: alg };
const config = await client.discovery(new URL(issuer), clientId, metadata, auth, {
  execute: [client.allowInsecureRequests], // the tests serve plain http on 127.0.0.1
});
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope,
  nonce,
  state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: "S256",
});
console.log(JSON.stringify({ authorization_url: url.href }));

const lines = readline.createInterface({ input: process.stdin });
const callback = await new Promise((resolve) => lines.once("line", resolve));
lines.close();

const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
console.log(
  JSON.stringify({
    claims,
    userinfo,
    refreshed_claims: refreshed.claims(),
    rotated: refreshed.refresh_token !== tokens.refresh_token,
  }),
);
