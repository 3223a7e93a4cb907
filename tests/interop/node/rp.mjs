// Relying parties built on openid-client (OpenID Certified), driven by tests/integration.
//
// One process serves a whole test module: each stdin line is a JSON command
// {"command": ..., ...arguments}, answered by one stdout line, {"result": ...} or
// {"error": {...}} (what the library threw). The test plays the browser in between.
//
// Every ID token is validated by the library: issuer, audience, expiry, nonce, state and the
// response's iss; signatures against the JWKS, from the authorization endpoint (implicit and
// hybrid, with c_hash) and, with enableNonRepudiationChecks, from the token endpoint too.
// openid-client has no HS256 signature check (it verifies only against the JWKS) and no
// logout-token validation: for those, `jose`, the JOSE library openid-client itself depends
// on, verifies with the client's secret or the JWKS.
import * as client from "openid-client";
import * as jose from "jose";
import readline from "node:readline";

const AUTH = { client_secret_basic: client.ClientSecretBasic, client_secret_post: client.ClientSecretPost, none: client.None };
const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
const relyingParties = new Map(); // name -> {config, clientId, secret}
const flows = new Map(); // state -> what the RP remembers between redirect and callback

// Discovery, for one client and one response type: openid-client fixes the flow per
// Configuration (useCodeIdTokenResponseType for hybrid, useIdTokenResponseType for implicit).
// Client authentication (OIDC Core §9). private_key_jwt signs with the private JWK given
// (its alg: RS256, PS256, ES256, or EdDSA, which openid-client sends as RFC 9864's Ed25519);
// client_secret_jwt with the secret (HS256).
async function authentication(method, secret, privateJwk) {
  if (method === "private_key_jwt") {
    const key = await jose.importJWK(privateJwk, privateJwk.alg);
    return client.PrivateKeyJwt({ key, kid: privateJwk.kid });
  }
  if (method === "client_secret_jwt") return client.ClientSecretJwt(secret);
  return AUTH[method](secret);
}

async function configure({ name, issuer, client_id, secret, method = "client_secret_basic", alg = "RS256", flow = "code", private_jwk, userinfo_alg }) {
  const execute = [client.allowInsecureRequests]; // the tests serve plain http on 127.0.0.1
  if (alg !== "HS256") execute.push(client.enableNonRepudiationChecks);
  if (flow === "hybrid") execute.push(client.useCodeIdTokenResponseType);
  if (flow === "implicit") execute.push(client.useIdTokenResponseType);
  const metadata = { id_token_signed_response_alg: alg };
  // A client that registered signed UserInfo: the library then takes only a JWT there,
  // verified against the JWKS with this algorithm.
  if (userinfo_alg) metadata.userinfo_signed_response_alg = userinfo_alg;
  const auth = await authentication(method, secret, private_jwk);
  const config = await client.discovery(new URL(issuer), client_id, metadata, auth, { execute });
  relyingParties.set(name, { config, clientId: client_id, secret });
  return config.serverMetadata();
}

// With `par`, openid-client pushes the parameters (RFC 9126) and the URL carries only
// client_id and the request_uri it got back. `resource` (RFC 8707) is a list: one parameter each.
// With `jar` (a private JWK with its kid and alg), the parameters travel as a request object
// signed with it (RFC 9101): in the URL, or pushed.
async function authorize({ rp, redirect_uri, response_type = "code", scope = "openid", par = false, resource = [], jar, ...extra }) {
  const { config } = relyingParties.get(rp);
  const flow = { rp, response_type, nonce: client.randomNonce(), state: client.randomState() };
  const params = { redirect_uri, response_type, scope, nonce: flow.nonce, state: flow.state, ...extra };
  if (response_type.split(" ").includes("code")) {
    flow.verifier = client.randomPKCECodeVerifier();
    params.code_challenge = await client.calculatePKCECodeChallenge(flow.verifier);
    params.code_challenge_method = "S256";
  }
  flows.set(flow.state, flow);
  let request = new URLSearchParams(params);
  for (const indicator of resource) request.append("resource", indicator);
  if (jar) {
    const key = await jose.importJWK(jar, jar.alg);
    request = (await client.buildAuthorizationUrlWithJAR(config, request, { key, kid: jar.kid })).searchParams;
  }
  // With a DPoP key, the push carries a proof: the code is bound to the key (RFC 9449 §10.1).
  const url = par ? await client.buildAuthorizationUrlWithPAR(config, request, dpop(rp)) : client.buildAuthorizationUrl(config, request);
  return { url: url.href, state: flow.state, nonce: flow.nonce };
}

// The browser arrived at the redirect URI: validate the response, redeem the code if any,
// read UserInfo with each access token received.
async function callback({ state, url }) {
  const flow = flows.get(state);
  flows.delete(state);
  const { config } = relyingParties.get(flow.rp);
  const current = new URL(url);
  const fragment = new URLSearchParams(current.hash.slice(1));
  const result = {};
  if (flow.response_type === "id_token" || flow.response_type === "id_token token") {
    result.claims = await client.implicitAuthentication(config, current, flow.nonce, { expectedState: flow.state });
  } else {
    let response = current;
    if (flow.response_type === "code token") {
      // openid-client's hybrid flow is `code id_token`; without an ID token in the fragment
      // this is a code response that travelled in the fragment: hand it over as a query.
      response = new URL(current);
      response.search = current.hash.slice(1);
      response.hash = "";
    }
    const tokens = await client.authorizationCodeGrant(config, response, {
      pkceCodeVerifier: flow.verifier,
      expectedNonce: flow.nonce,
      expectedState: flow.state,
      idTokenExpected: true,
    }, undefined, dpop(flow.rp));
    result.tokens = { ...tokens };
    result.claims = tokens.claims();
    result.userinfo = await client.fetchUserInfo(config, tokens.access_token, result.claims.sub, dpop(flow.rp));
  }
  if (fragment.has("access_token")) {
    result.front_userinfo = await client.fetchUserInfo(config, fragment.get("access_token"), result.claims.sub);
  }
  return result;
}

// `resource` narrows the new access token to one of the grant's resources (RFC 8707 §2.2).
async function refresh({ rp, refresh_token, resource }) {
  const parameters = resource ? { resource } : undefined;
  const tokens = await client.refreshTokenGrant(relyingParties.get(rp).config, refresh_token, parameters, dpop(rp));
  return { tokens: { ...tokens }, claims: tokens.claims() };
}

async function clientCredentials({ rp, scope, resource }) {
  const parameters = { ...(scope ? { scope } : {}), ...(resource ? { resource } : {}) };
  return { ...(await client.clientCredentialsGrant(relyingParties.get(rp).config, parameters)) };
}

// `bearer`: leave the RP's DPoP key out, as a thief holding only the token would.
async function userinfo({ rp, access_token, sub, bearer = false }) {
  return client.fetchUserInfo(relyingParties.get(rp).config, access_token, sub, bearer ? undefined : dpop(rp));
}

// DPoP (RFC 9449): from now on the RP proves possession of a new key pair of `alg` at the
// token endpoint and UserInfo (openid-client's DPoP handle: it signs the proofs, keeps the
// server's DPoP-Nonce and retries once on use_dpop_nonce). Returns the key's RFC 7638
// thumbprint, as jose computes it.
async function dpopKey({ rp, alg = "ES256" }) {
  const party = relyingParties.get(rp);
  const keyPair = await client.randomDPoPKeyPair(alg, { extractable: true });
  party.dpop = client.getDPoPHandle(party.config, keyPair);
  return { jkt: await jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey)) };
}

function dpop(rp) {
  const handle = relyingParties.get(rp).dpop;
  return handle ? { DPoP: handle } : undefined;
}

// A request to a protected resource as openid-client makes it (with the RP's DPoP key, if
// it has one): what came back, for the test to look at.
async function protectedResource({ rp, access_token, url, method = "GET" }) {
  const { config } = relyingParties.get(rp);
  const response = await client.fetchProtectedResource(config, access_token, new URL(url), method, undefined, undefined, dpop(rp));
  return {
    status: response.status,
    nonce: response.headers.get("dpop-nonce"),
    body: await response.json(),
  };
}

async function introspect({ rp, token, token_type_hint }) {
  const params = token_type_hint ? { token_type_hint } : {};
  return client.tokenIntrospection(relyingParties.get(rp).config, token, params);
}

async function revoke({ rp, token, token_type_hint }) {
  const params = token_type_hint ? { token_type_hint } : {};
  await client.tokenRevocation(relyingParties.get(rp).config, token, params);
  return {};
}

async function endSessionUrl({ rp, ...params }) {
  return { url: client.buildEndSessionUrl(relyingParties.get(rp).config, params).href };
}

// HS256 (OIDC Core §10.1): the key is the client secret's UTF-8 octets.
async function verifyWithSecret({ rp, token }) {
  const { config, clientId, secret } = relyingParties.get(rp);
  const verified = await jose.jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ["HS256"],
    issuer: config.serverMetadata().issuer,
    audience: clientId,
  });
  return { header: verified.protectedHeader, claims: verified.payload };
}

// Back-Channel Logout 1.0 §2.6: signature against the JWKS, iss, aud, iat, typ, the event,
// and no nonce.
async function verifyLogoutToken({ rp, token }) {
  const { config, clientId } = relyingParties.get(rp);
  const metadata = config.serverMetadata();
  const verified = await jose.jwtVerify(token, jose.createRemoteJWKSet(new URL(metadata.jwks_uri)), {
    issuer: metadata.issuer,
    audience: clientId,
    typ: "logout+jwt",
    requiredClaims: ["iat", "jti", "events"],
  });
  const claims = verified.payload;
  if (typeof claims.events?.[BACKCHANNEL_EVENT] !== "object") throw new Error("no back-channel logout event");
  if ("nonce" in claims) throw new Error("a logout token must not carry a nonce");
  if (!claims.sub && !claims.sid) throw new Error("a logout token names a sub or a sid");
  return { header: verified.protectedHeader, claims };
}

// The device authorization grant (RFC 8628): openid-client asks for the codes and starts
// polling at once, in the background (honouring interval and slow_down), while the test
// plays the person on the device page; device_result awaits the polling's outcome, then
// reads UserInfo with the access token. The ID token is validated by the library.
const devices = new Map(); // user_code -> {rp, outcome}

async function deviceStart({ rp, scope = "openid", ...extra }) {
  const { config } = relyingParties.get(rp);
  const response = await client.initiateDeviceAuthorization(config, { scope, ...extra });
  const outcome = client.pollDeviceAuthorizationGrant(config, response).then(
    (tokens) => ({ tokens: { ...tokens }, claims: tokens.claims() }),
    (error) => ({ error }),
  );
  devices.set(response.user_code, { rp, outcome });
  return response;
}

async function deviceResult({ user_code }) {
  const { rp, outcome } = devices.get(user_code);
  devices.delete(user_code);
  const result = await outcome;
  if (result.error) throw result.error;
  if (result.claims) {
    result.userinfo = await client.fetchUserInfo(relyingParties.get(rp).config, result.tokens.access_token, result.claims.sub);
  }
  return result;
}

const COMMANDS = {
  device_start: deviceStart,
  device_result: deviceResult,
  configure,
  authorize,
  callback,
  refresh,
  client_credentials: clientCredentials,
  protected_resource: protectedResource,
  userinfo,
  dpop_key: dpopKey,
  introspect,
  revoke,
  end_session_url: endSessionUrl,
  verify_with_secret: verifyWithSecret,
  verify_logout_token: verifyLogoutToken,
};

async function describe(error) {
  const challenges = Array.isArray(error.cause) ? error.cause : []; // WWW-Authenticate, parsed
  let body = {};
  if (error.code === "OAUTH_WWW_AUTHENTICATE_CHALLENGE" && error.response && !error.response.bodyUsed) {
    // A challenge without an error parameter (Basic realm=...): the error is in the JSON body.
    body = await error.response.json().catch(() => ({}));
  }
  return {
    name: error.name,
    message: error.message,
    code: error.code,
    error: error.error ?? challenges[0]?.parameters?.error ?? body.error, // the OAuth error code
    status: error.status,
    cause: error.cause instanceof Error ? error.cause.message : undefined,
  };
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  const { command, ...args } = JSON.parse(line);
  let answer;
  try {
    answer = { result: await COMMANDS[command](args) };
  } catch (error) {
    answer = { error: await describe(error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
