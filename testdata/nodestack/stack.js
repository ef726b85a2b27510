// stack.js: a test backend + OpenID Connect identity provider, in Node.js.
//
// A second, independent implementation of the clilogin test stack (the first
// is the Go/Dex one in devstack/). It starts two HTTP servers on loopback:
//
//   IdP      http://localhost:<port>   oidc-provider with its own login and
//                                      consent pages (below), in-memory store
//   backend  http://127.0.0.1:<port2>  /login /callback /user/token /user/id
//
// The two use different host names so that browser cookies are really scoped
// apart (cookies ignore ports). When both listen, one line of JSON goes to
// stdout; everything else goes to stderr. SIGTERM/SIGINT stop it (exit 0).
//
// Run: cd testdata/nodestack && npm ci && node stack.js (smoke.sh checks it).
//
// Environment (read once at start; unset = the default behaviour):
//
//   NODESTACK_PASSWORD=<s>     fixes bob's password (default: random per start).
//   NODESTACK_FLOW=<flow>      the shape of the sign-in pages:
//     one-page  (default) one form: email + password + "Sign in" (+ Cancel).
//     two-step  identifier-first, like Auth0 Universal Login, Okta, Azure AD
//               or Google: page 1 has only a username field (name=identifier)
//               and <input type=submit value=Next>; an unknown username gets
//               an error on page 1. Page 2, a new document, shows "Signed in
//               as <email> — not you?" and only a password field
//               (name=passwd) + <input type=submit value="Sign in">.
//     spa       one document: the email field and <button type=button
//               id=next>Next</button>; a click checks the email by fetch
//               (with a ~150 ms "Checking…" delay), then reveals the hidden
//               password field and a "Sign in" submit button. Sign in posts by
//               fetch; a wrong password inserts <p role=alert class=error>
//               into the same document, success does location.assign().
//   NODESTACK_TOTP_SECRET=<base32>  after the password (any flow), a page asks
//               for a 6-digit code (input name=otp, autocomplete=one-time-code)
//               checked as RFC 6238 TOTP: SHA-1, 30 s, 6 digits, ±1 step.
//   NODESTACK_STAY_SIGNED_IN=1  after the password (and code), an Azure-AD-like
//               "Stay signed in?" page with No (id=idBtn_Back) and Yes
//               (id=idSIButton9): Yes keeps the IdP session cookie with an
//               expiry (14 days), No makes it a browser-session cookie. It
//               comes before the consent page.
//   NODESTACK_REQUIRE_HEADED=1  the sign-in page (GET /interaction/<uid> at
//               the login prompt) answers a User-Agent with "HeadlessChrome"
//               with a 200 page "This browser or app may not be secure. Try
//               using a different browser." and no form, as bot-protected IdPs
//               do. The consent page is not affected.
//
// The JSON line has backend, issuer, username, password, email and flow, plus
// totp_secret (normalised base32), stay_signed_in and require_headed when set.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import * as OTPAuth from 'otpauth';

// stdout carries exactly one JSON line. oidc-provider prints notices with
// console.info, so route console.log/info to stderr.
console.log = console.error;
console.info = console.error;
const log = (...args) => console.error('nodestack:', ...args);

const USER = {
  sub: 'bob',
  email: 'bob@example.org',
  password: process.env.NODESTACK_PASSWORD || randomBytes(12).toString('base64url'),
};
const CLIENT_ID = 'clilogin-nodestack';

// The modes (see the top of this file).
const on = (name) => /^(1|true|yes)$/i.test(process.env[name] ?? '');
const FLOW = process.env.NODESTACK_FLOW || 'one-page';
if (!['one-page', 'two-step', 'spa'].includes(FLOW)) {
  console.error(`nodestack: NODESTACK_FLOW=${FLOW}: want one-page, two-step or spa`);
  process.exit(2);
}
let totp; // an OTPAuth.TOTP when NODESTACK_TOTP_SECRET is set
if (process.env.NODESTACK_TOTP_SECRET) {
  let secret;
  try {
    secret = OTPAuth.Secret.fromBase32(process.env.NODESTACK_TOTP_SECRET);
  } catch (err) {
    console.error(`nodestack: NODESTACK_TOTP_SECRET is not base32: ${err.message}`);
    process.exit(2);
  }
  if (secret.bytes.length === 0) {
    console.error('nodestack: NODESTACK_TOTP_SECRET is too short');
    process.exit(2);
  }
  totp = new OTPAuth.TOTP({
    issuer: 'Node test IdP', label: USER.email, algorithm: 'SHA1', digits: 6, period: 30, secret,
  });
}
const STAY_SIGNED_IN = on('NODESTACK_STAY_SIGNED_IN');
const REQUIRE_HEADED = on('NODESTACK_REQUIRE_HEADED');
const CLIENT_SECRET = randomBytes(24).toString('base64url');

const random = () => randomBytes(16).toString('hex');

// ---------------------------------------------------------------- servers

// listen binds a server to host:port (0 = any free port) and resolves the port.
function listen(server, host, port = 0) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

// The handlers are attached once the provider exists: the issuer URL must
// contain the port, which is only known after binding.
let idpHandler = (req, res) => { res.statusCode = 503; res.end(); };
let backendHandler = idpHandler;
const idpServer = http.createServer((req, res) => idpHandler(req, res));
const idpServer6 = http.createServer((req, res) => idpHandler(req, res));
const backendServer = http.createServer((req, res) => backendHandler(req, res));

const idpPort = await listen(idpServer, '127.0.0.1');
// "localhost" may resolve to ::1 first (Node's fetch, some browsers): also
// serve the IdP on [::1] at the same port when that is possible.
await listen(idpServer6, '::1', idpPort).catch((err) => log(`no [::1]:${idpPort} listener (${err.code}), IPv4 only`));
const backendPort = await listen(backendServer, '127.0.0.1');

const ISSUER = `http://localhost:${idpPort}`;
const BACKEND = `http://127.0.0.1:${backendPort}`;

// ---------------------------------------------------------------- the IdP

// A fresh signing key per start (oidc-provider's built-in dev key is public).
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: random(), use: 'sig', alg: 'RS256' };

const provider = new Provider(ISSUER, {
  clients: [{
    // A confidential web client: http redirect URIs are allowed for web
    // clients using the code flow (only implicit flow forces https).
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [`${BACKEND}/callback`],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [random()] }, // sign the IdP's cookies
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // By default, with the code flow, scope-requested claims (email) go only to
  // the userinfo endpoint; put them into the id_token as well.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } }, // our pages, below
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (id !== USER.sub) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: USER.sub, email: USER.email, email_verified: true }),
    };
  },
  // The IdP's session cookie gets an Expires of the session's lifetime (it is
  // not a browser-session cookie), so a browser restart keeps the login.
  ttl: {
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600, // the remembered consent
    Interaction: 3600,
    IdToken: 3600,
    AccessToken: 3600,
  },
});
provider.on('server_error', (ctx, err) => log('idp server_error:', err));

const idpCallback = provider.callback();
idpHandler = async (req, res) => {
  const m = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(req.url.split('?')[0]);
  if (!m) return idpCallback(req, res); // everything else is oidc-provider's
  try {
    await interaction(req, res, m[2]);
  } catch (err) {
    // e.g. SessionNotFound: the interaction expired or its cookie is missing
    log('interaction error:', err.message);
    if (!res.headersSent) send(res, 400, `interaction failed: ${err.message}`);
  }
};

// interaction renders or handles the login and consent pages. Each form posts
// under /interaction/<uid>/ because oidc-provider's interaction cookie is
// path-scoped to that prefix.
async function interaction(req, res, action) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session, grantId } = details;

  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') return page(res, 200, loginPage(uid, params.login_hint || ''));
    if (prompt.name === 'consent') return page(res, 200, consentPage(uid, prompt.details));
    return send(res, 501, `unsupported prompt ${prompt.name}`);
  }
  if (req.method !== 'POST' || !action) return send(res, 405, 'method not allowed');

  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  const form = await readForm(req);
  if (action === 'login') {
    if (prompt.name !== 'login') return send(res, 400, 'not at the login step');
    const ok = form.get('username') === USER.email && sameString(form.get('password') ?? '', USER.password);
    if (!ok) {
      log(`failed login for ${JSON.stringify(form.get('username'))}`);
      return page(res, 200, loginPage(uid, form.get('username') ?? '', 'Wrong email address or password.'));
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: USER.sub }, // remember (persistent cookie) is the default
    }, { mergeWithLastSubmission: false });
  }

  // action === 'confirm': grant what was asked; the grant is kept in the
  // in-memory store and its id in the IdP session, so the next login of the
  // same browser skips this page.
  if (prompt.name !== 'consent') return send(res, 400, 'not at the consent step');
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return provider.interactionFinished(req, res, {
    consent: { grantId: await grant.save() },
  }, { mergeWithLastSubmission: true });
}

function sameString(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(title)} · Node test IdP</title></head>
<body>
<main class="nodestack-idp">
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function loginPage(uid, username, error = '') {
  return layout('Sign in to the Node test IdP', `${error ? `<p class="error" role="alert">${esc(error)}</p>\n` : ''}<form id="signin" method="post" action="/interaction/${uid}/login">
  <label for="username">Email address</label>
  <input id="username" name="username" type="email" autocomplete="username" required value="${esc(username)}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button id="signin-submit" type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/abort">
  <button id="signin-cancel" type="submit">Cancel</button>
</form>`);
}

function consentPage(uid, details) {
  const scopes = (details.missingOIDCScope ?? []).filter((s) => s !== 'openid');
  const items = [...scopes, ...(details.missingOIDCClaims ?? [])].map((s) => `  <li>${esc(s)}</li>`).join('\n');
  return layout('Allow access?', `<p>The application <b>${esc(CLIENT_ID)}</b> asks for:</p>
<ul>
${items || '  <li>your identity</li>'}
</ul>
<form id="consent" method="post" action="/interaction/${uid}/confirm">
  <button id="consent-allow" type="submit">Allow</button>
</form>
<form method="post" action="/interaction/${uid}/abort">
  <button id="consent-deny" type="submit">Deny</button>
</form>`);
}

// ---------------------------------------------------------------- the backend

// openid-client refuses plain-http IdPs unless told otherwise (dev only), and
// by default trusts the id_token from the token endpoint without checking its
// signature: enableNonRepudiationChecks makes it verify it against the JWKS.
const oidc = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
  execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
});
const JWKS = jose.createRemoteJWKSet(new URL(oidc.serverMetadata().jwks_uri));

// In-memory sessions, keyed by the value of the HttpOnly "session" cookie.
const sessions = new Map(); // id -> { state, nonce, verifier, token }

function getSession(req, res, create) {
  const id = /(?:^|;\s*)session=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
  if (id && sessions.has(id)) return sessions.get(id);
  if (!create) return undefined;
  const newId = random();
  const s = {};
  sessions.set(newId, s);
  res.setHeader('Set-Cookie', `session=${newId}; Path=/; HttpOnly; SameSite=Lax`);
  return s;
}

backendHandler = async (req, res) => {
  const url = new URL(req.url, BACKEND);
  if (req.method !== 'GET') return send(res, 405, 'method not allowed');
  try {
    switch (url.pathname) {
      case '/': return send(res, 200, 'clilogin node backend: GET /login to sign in\n');
      case '/login': return await login(req, res);
      case '/callback': return await callback(req, res, url);
      case '/user/token': return userToken(req, res);
      case '/user/id': return await userId(req, res);
      default: return send(res, 404, 'not found');
    }
  } catch (err) {
    log('backend error:', err);
    if (!res.headersSent) send(res, 500, 'internal error');
  }
};

async function login(req, res) {
  const s = getSession(req, res, true);
  s.state = client.randomState();
  s.nonce = client.randomNonce();
  s.verifier = client.randomPKCECodeVerifier();
  const to = client.buildAuthorizationUrl(oidc, {
    redirect_uri: `${BACKEND}/callback`,
    scope: 'openid email',
    state: s.state,
    nonce: s.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(s.verifier),
    code_challenge_method: 'S256',
  });
  res.writeHead(302, { Location: to.href }).end();
}

async function callback(req, res, url) {
  const q = url.searchParams;
  const s = getSession(req, res, false);
  const { state, nonce, verifier } = s ?? {};
  if (s) s.state = undefined; // a state is good once
  if (q.has('error')) {
    return send(res, 401, `login failed: ${q.get('error')}: ${q.get('error_description') ?? ''}`);
  }
  if (!s) return send(res, 400, 'no login in progress (missing session cookie)');
  if (!state || q.get('state') !== state) return send(res, 400, 'state mismatch');
  let tokens;
  try {
    // Exchanges the code (client_secret_basic + PKCE) and checks the id_token:
    // signature (JWKS), iss, aud, exp, nonce.
    tokens = await client.authorizationCodeGrant(oidc, url, {
      expectedState: state,
      expectedNonce: nonce,
      pkceCodeVerifier: verifier,
    });
  } catch (err) {
    log('code exchange failed:', err);
    return send(res, 502, `code exchange failed: ${err.message}`);
  }
  s.token = tokens.id_token;
  send(res, 200, 'ok');
}

function userToken(req, res) {
  const token = getSession(req, res, false)?.token;
  if (!token) return send(res, 401, 'not logged in');
  send(res, 200, token);
}

async function userId(req, res) {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (!m) return send(res, 401, 'missing bearer token');
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(m[1], JWKS, {
      issuer: ISSUER,
      audience: CLIENT_ID,
      algorithms: ['RS256'],
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    log('bearer token rejected:', err.code ?? err.message);
    return send(res, 401, 'invalid token');
  }
  if (typeof payload.email !== 'string' || !payload.email) return send(res, 401, 'token has no email');
  send(res, 200, payload.email);
}

// ---------------------------------------------------------------- helpers

function send(res, status, text) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  }).end(text);
}

function page(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  }).end(html);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// ---------------------------------------------------------------- run

function shutdown(signal) {
  log(`${signal}, stopping`);
  for (const srv of [idpServer, idpServer6, backendServer]) {
    srv.close();
    srv.closeAllConnections(); // browsers keep connections alive
  }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

log(`IdP ${ISSUER}, backend ${BACKEND}`);
process.stdout.write(`${JSON.stringify({
  backend: BACKEND,
  issuer: ISSUER,
  username: USER.email,
  password: USER.password,
  email: USER.email,
})}\n`);
