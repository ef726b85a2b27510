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
const ACTIONS = 'login|confirm|abort|identifier|password|identify|otp|kmsi|restart';
const interactionPath = new RegExp(`^/interaction/([\\w-]+)(?:/(${ACTIONS}))?$`);
idpHandler = async (req, res) => {
  const m = interactionPath.exec(req.url.split('?')[0]);
  if (!m) return idpCallback(req, res); // everything else is oidc-provider's
  try {
    await interaction(req, res, m[2]);
  } catch (err) {
    // e.g. SessionNotFound: the interaction expired or its cookie is missing
    log('interaction error:', err.message);
    if (!res.headersSent) send(res, 400, `interaction failed: ${err.message}`);
  }
};

// Where each interaction is in the sign-in steps, by interaction uid:
// { step, created, username, otpDone, remember }. step is one of
//   login (one-page form), identifier, password (two-step), spa,
//   otp (NODESTACK_TOTP_SECRET), kmsi (NODESTACK_STAY_SIGNED_IN).
// The uid is only usable with its interaction cookie, so it is a fine key.
const steps = new Map();
const FIRST_STEP = { 'one-page': 'login', 'two-step': 'identifier', spa: 'spa' }[FLOW];

function stepOf(uid) {
  let st = steps.get(uid);
  if (!st) {
    const now = Date.now();
    for (const [k, v] of steps) if (now - v.created > 3600 * 1000) steps.delete(k); // Interaction ttl
    st = { step: FIRST_STEP, created: now };
    steps.set(uid, st);
  }
  return st;
}

// interaction renders or handles the sign-in and consent pages. Each form
// posts under /interaction/<uid>/ because oidc-provider's interaction cookie
// is path-scoped to that prefix.
async function interaction(req, res, action) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session, grantId } = details;

  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') {
      if (REQUIRE_HEADED && /HeadlessChrome/.test(req.headers['user-agent'] ?? '')) {
        log('refused a headless browser');
        return page(res, 200, unsupportedBrowserPage());
      }
      const st = stepOf(uid);
      const hint = params.login_hint || '';
      switch (st.step) {
        case 'login': return page(res, 200, loginPage(uid, hint));
        case 'identifier': return page(res, 200, identifierPage(uid, hint));
        case 'password': return page(res, 200, passwordPage(uid, st.username));
        case 'spa': return page(res, 200, spaPage(uid, hint));
        case 'otp': return page(res, 200, otpPage(uid));
        case 'kmsi': return page(res, 200, staySignedInPage(uid));
      }
    }
    if (prompt.name === 'consent') return page(res, 200, consentPage(uid, prompt.details));
    return send(res, 501, `unsupported prompt ${prompt.name}`);
  }
  if (req.method === 'GET' && action === 'restart') { // "not you?": back to the first step
    if (prompt.name === 'login') steps.set(uid, { step: FIRST_STEP, created: Date.now() });
    return seeOther(res, `/interaction/${uid}`);
  }
  if (req.method !== 'POST' || !action) return send(res, 405, 'method not allowed');

  if (action === 'abort') {
    steps.delete(uid);
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  const form = await readForm(req);
  if (action !== 'confirm') {
    if (prompt.name !== 'login') return send(res, 400, 'not at the login step');
    return signInStep(req, res, uid, action, form);
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

// signInStep handles a POST of one sign-in step. A POST that does not fit the
// interaction's current step is sent to the page of that step (303).
async function signInStep(req, res, uid, action, form) {
  const st = stepOf(uid);
  const json = /application\/json/.test(req.headers.accept ?? ''); // the SPA's fetch
  const fits = { login: 'login', identifier: 'identifier', password: st.step === 'spa' ? 'spa' : 'password',
    identify: 'spa', otp: 'otp', kmsi: 'kmsi' }[action];
  if (fits !== st.step) {
    if (json) return sendJSON(res, 409, { ok: false, error: `not at this step (at ${st.step})`, location: `/interaction/${uid}` });
    return seeOther(res, `/interaction/${uid}`);
  }
  const knownUser = (s) => (s ?? '').trim().toLowerCase() === USER.email;

  switch (action) {
    case 'login': { // the one-page form
      const ok = form.get('username') === USER.email && sameString(form.get('password') ?? '', USER.password);
      if (!ok) {
        log(`failed login for ${JSON.stringify(form.get('username'))}`);
        return page(res, 200, loginPage(uid, form.get('username') ?? '', 'Wrong email address or password.'));
      }
      return passwordAccepted(req, res, uid, st, false);
    }
    case 'identifier': { // two-step, page 1
      const id = form.get('identifier') ?? '';
      if (!knownUser(id)) {
        log(`unknown identifier ${JSON.stringify(id)}`);
        return page(res, 200, identifierPage(uid, id, "We couldn't find an account with that email."));
      }
      st.step = 'password';
      st.username = USER.email;
      return seeOther(res, `/interaction/${uid}`);
    }
    case 'identify': { // spa, "Next": only answers whether the account exists
      if (!knownUser(form.get('email'))) {
        log(`unknown identifier ${JSON.stringify(form.get('email'))}`);
        return sendJSON(res, 200, { ok: false, error: "We couldn't find an account with that email." });
      }
      return sendJSON(res, 200, { ok: true });
    }
    case 'password': {
      if (st.step === 'spa') { // fetch from the SPA (or a plain form post without JavaScript)
        const email = form.get('email');
        let error = '';
        if (!knownUser(email)) error = "We couldn't find an account with that email.";
        else if (!sameString(form.get('pass') ?? '', USER.password)) error = 'Incorrect password.';
        if (error) {
          log(`failed login for ${JSON.stringify(email)}`);
          return json ? sendJSON(res, 200, { ok: false, error }) : page(res, 200, spaPage(uid, email ?? '', error));
        }
        return passwordAccepted(req, res, uid, st, json);
      }
      if (!sameString(form.get('passwd') ?? '', USER.password)) { // two-step, page 2
        log(`failed login for ${JSON.stringify(st.username)}`);
        return page(res, 200, passwordPage(uid, st.username, 'Wrong password. Try again.'));
      }
      return passwordAccepted(req, res, uid, st, false);
    }
    case 'otp': {
      const code = (form.get('otp') ?? '').replace(/\s+/g, '');
      if (!/^\d{6}$/.test(code) || totp.validate({ token: code, window: 1 }) === null) {
        log('wrong one-time code');
        return page(res, 200, otpPage(uid, 'Invalid code.'));
      }
      st.otpDone = true;
      return nextStep(req, res, uid, st, false);
    }
    case 'kmsi': {
      st.remember = form.get('stay') === 'Yes'; // anything else is No
      return nextStep(req, res, uid, st, false);
    }
  }
  return send(res, 404, 'not found');
}

function passwordAccepted(req, res, uid, st, json) {
  st.passwordDone = true;
  return nextStep(req, res, uid, st, json);
}

// nextStep goes on after an accepted step: to the code page, to "Stay signed
// in?", or, when all is done, back to oidc-provider with the login. A browser
// post gets a redirect; the SPA's fetch gets {ok, location} to go to.
async function nextStep(req, res, uid, st, json) {
  let step = 'done';
  if (totp && !st.otpDone) step = 'otp';
  else if (STAY_SIGNED_IN && st.remember === undefined) step = 'kmsi';
  if (step !== 'done') {
    st.step = step;
    return json ? sendJSON(res, 200, { ok: true, location: `/interaction/${uid}` }) : seeOther(res, `/interaction/${uid}`);
  }
  steps.delete(uid);
  // remember (a persistent IdP session cookie) is the default; only "No" on
  // the "Stay signed in?" page makes it a browser-session cookie.
  const result = { login: { accountId: USER.sub, ...(STAY_SIGNED_IN ? { remember: st.remember } : {}) } };
  if (!json) return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  const location = await provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
  return sendJSON(res, 200, { ok: true, location });
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

// The pages of the other modes use other markup than the default form above
// (a <div> layout, other names and ids, <input type=submit> buttons), so that
// clilogin is tried on something it was not written against.
function cardLayout(title, body, script = '') {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Node test IdP</title>
<style>
  body { font-family: sans-serif; background: #f2f2f2; }
  .card { max-width: 24rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 4px; }
  .row { margin: 0.75rem 0; }
  .row input[type=text], .row input[type=email], .row input[type=password] { display: block; width: 100%; }
  .alert-error, .error { color: #a00; }
</style>
</head>
<body>
<div class="card" id="card">
<div class="card-title" role="heading" aria-level="1">${esc(title)}</div>
${body}
</div>${script}
</body>
</html>
`;
}

const alertDiv = (error) => (error ? `<div class="alert alert-error" role="alert">${esc(error)}</div>\n` : '');

// identifierPage: two-step, page 1 (only the username).
function identifierPage(uid, identifier, error = '') {
  return cardLayout('Welcome', `${alertDiv(error)}<div class="subtitle">Log in to continue to ${esc(CLIENT_ID)}.</div>
<form class="identifier-form" method="post" action="/interaction/${uid}/identifier">
  <div class="row">
    <label for="identifier-input">Email address or username</label>
    <input id="identifier-input" name="identifier" type="text" inputmode="email" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${esc(identifier)}">
  </div>
  <div class="row">
    <input id="identifier-next" type="submit" value="Next">
  </div>
</form>`);
}

// passwordPage: two-step, page 2 (only the password; the username as text).
function passwordPage(uid, username, error = '') {
  return cardLayout('Enter your password', `${alertDiv(error)}<div class="identity">Signed in as <span id="identity-name">${esc(username)}</span> — <a id="not-you" href="/interaction/${uid}/restart">not you?</a></div>
<form class="password-form" method="post" action="/interaction/${uid}/password">
  <div class="row">
    <label for="passwd-input">Password</label>
    <input id="passwd-input" name="passwd" type="password" autocomplete="current-password" required>
  </div>
  <div class="row">
    <input id="passwd-submit" type="submit" value="Sign in">
  </div>
</form>`);
}

// spaPage: one document; the script below reveals the password after "Next".
// Without JavaScript the form still posts (the server answers with this page
// and an error, or goes on).
function spaPage(uid, email, error = '') {
  return cardLayout('Sign in', `${error ? `<p role="alert" class="error" id="spa-error">${esc(error)}</p>\n` : ''}<form id="spa-form" method="post" action="/interaction/${uid}/password" novalidate>
  <div class="row" id="email-step">
    <label for="spa-email">Email</label>
    <input id="spa-email" name="email" type="email" autocomplete="username" value="${esc(email)}">
  </div>
  <div class="row">
    <button type="button" id="next">Next</button>
  </div>
  <p id="spa-status" class="status" aria-live="polite" hidden></p>
  <div id="password-step" style="display:none">
    <div class="row">
      <label for="spa-pass">Password</label>
      <input id="spa-pass" name="pass" type="password" autocomplete="current-password">
    </div>
    <div class="row">
      <button type="submit" id="spa-signin">Sign in</button>
    </div>
  </div>
</form>`, `
<script>
(() => {
  const form = document.getElementById('spa-form');
  const email = document.getElementById('spa-email');
  const pass = document.getElementById('spa-pass');
  const next = document.getElementById('next');
  const signin = document.getElementById('spa-signin');
  const passwordStep = document.getElementById('password-step');
  const status = document.getElementById('spa-status');
  const base = form.getAttribute('action').replace(/\\/password$/, '');
  let busy = false;
  let revealed = false;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function showError(text) {
    let p = document.getElementById('spa-error');
    if (!p) {
      p = document.createElement('p');
      p.id = 'spa-error';
      p.className = 'error';
      p.setAttribute('role', 'alert');
      form.before(p);
    }
    p.textContent = text;
  }
  const clearError = () => document.getElementById('spa-error')?.remove();

  async function post(path, fields) {
    const r = await fetch(base + path, {
      method: 'POST',
      headers: { Accept: 'application/json' },
      body: new URLSearchParams(fields),
      credentials: 'same-origin',
    });
    return r.json();
  }

  // The values are read when the buttons are used, never cached.
  async function onNext() {
    if (busy || revealed) return;
    const id = email.value.trim();
    if (!id) return showError('Enter your email address.');
    busy = true;
    next.disabled = true;
    status.textContent = 'Checking…';
    status.hidden = false;
    try {
      const [res] = await Promise.all([post('/identify', { email: id }), sleep(150)]);
      if (!res.ok) return showError(res.error);
      clearError();
      revealed = true;
      next.style.display = 'none';
      passwordStep.style.display = '';
      pass.focus();
    } catch (err) {
      showError('Something went wrong. Try again.');
    } finally {
      busy = false;
      next.disabled = false;
      status.hidden = true;
      status.textContent = '';
    }
  }

  async function onSignIn() {
    if (busy) return;
    busy = true;
    signin.disabled = true;
    try {
      const res = await post('/password', { email: email.value.trim(), pass: pass.value });
      if (res.ok) return location.assign(res.location); // stays busy
      showError(res.error);
    } catch (err) {
      showError('Something went wrong. Try again.');
    }
    busy = false;
    signin.disabled = false;
  }

  next.addEventListener('click', onNext);
  email.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !revealed) { e.preventDefault(); onNext(); }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (revealed) onSignIn(); else onNext();
  });
})();
</script>`);
}

// otpPage: NODESTACK_TOTP_SECRET, after the password.
function otpPage(uid, error = '') {
  return cardLayout('Two-step verification', `${error ? `<div role="alert">${esc(error)}</div>\n` : ''}<div class="subtitle">Enter the 6-digit code from your authenticator app.</div>
<form class="otp-form" method="post" action="/interaction/${uid}/otp">
  <div class="row">
    <label for="otp-input">Code</label>
    <input id="otp-input" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required>
  </div>
  <div class="row">
    <button id="otp-verify" type="submit">Verify</button>
  </div>
</form>`);
}

// staySignedInPage: NODESTACK_STAY_SIGNED_IN, like Azure AD's "KMSI" page.
function staySignedInPage(uid) {
  return cardLayout('Stay signed in?', `<div class="row" id="kmsi-description">Do this to reduce the number of times you are asked to sign in.</div>
<form class="kmsi-form" method="post" action="/interaction/${uid}/kmsi">
  <div class="row">
    <input type="submit" name="stay" value="No" id="idBtn_Back">
    <input type="submit" name="stay" value="Yes" id="idSIButton9">
  </div>
</form>`);
}

// unsupportedBrowserPage: NODESTACK_REQUIRE_HEADED and a headless browser.
function unsupportedBrowserPage() {
  return cardLayout("Couldn't sign you in", `<div class="row" id="unsupported-browser">This browser or app may not be secure. Try using a different browser.</div>`);
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

function sendJSON(res, status, value) {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  }).end(JSON.stringify(value));
}

function seeOther(res, location) {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store' }).end();
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

log(`IdP ${ISSUER}, backend ${BACKEND}, flow ${FLOW}${totp ? ', TOTP' : ''}${STAY_SIGNED_IN ? ', stay signed in' : ''}${REQUIRE_HEADED ? ', headed only' : ''}`);
process.stdout.write(`${JSON.stringify({
  backend: BACKEND,
  issuer: ISSUER,
  username: USER.email,
  password: USER.password,
  email: USER.email,
  flow: FLOW,
  ...(totp ? { totp_secret: totp.secret.base32 } : {}),
  ...(STAY_SIGNED_IN ? { stay_signed_in: true } : {}),
  ...(REQUIRE_HEADED ? { require_headed: true } : {}),
})}\n`);
