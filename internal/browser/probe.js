// The page probe of clilogin. It is evaluated as a function expression and
// called with a config object; it returns a plain object. With act set it
// also fills or clicks, once. It never throws: a page that is changing under
// it gives an empty answer.
(function (cfg, act) {
  const visible = (el) => {
    if (!el || el.disabled) return false;
    if (el.type === "hidden") return false;
    const st = getComputedStyle(el);
    if (st.visibility === "hidden" || st.display === "none" || Number(st.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const all = (sel, root) => { try { return Array.from((root || document).querySelectorAll(sel)); } catch (e) { return []; } };
  const text = (el) => ((el && (el.innerText || el.value || el.getAttribute("aria-label") || el.title)) || "").trim().replace(/\s+/g, " ");
  const attrs = (el) => [el.name, el.id, el.getAttribute("autocomplete"), el.getAttribute("placeholder"), el.getAttribute("aria-label")].join(" ").toLowerCase();

  const otpRe = /one-time-code|\botp\b|totp|passcode|verification|2fa|mfa|\bcode\b|authenticator/;
  const userRe = /user|login|email|e-mail|identifier|account|name|\bid\b/;

  const passwords = cfg.passwordField ? all(cfg.passwordField).filter(visible) : all("input[type=password]").filter(visible);
  const texts = all("input:not([type]), input[type=text], input[type=email], input[type=tel], input[type=number]").filter(visible);
  const otps = texts.filter((el) => otpRe.test(attrs(el)) || el.getAttribute("autocomplete") === "one-time-code");
  let users = cfg.usernameField ? all(cfg.usernameField).filter(visible)
    : texts.filter((el) => !otps.includes(el) && (el.type === "email" || userRe.test(attrs(el))));
  if (!cfg.usernameField && users.length === 0 && passwords.length > 0) {
    // a lone text field before the password is the user name, whatever it is called
    const form = passwords[0].form;
    users = texts.filter((el) => !otps.includes(el) && el.form === form);
  }
  if (passwords.length > 0 && users.length > 1) {
    const form = passwords[0].form;
    const same = users.filter((el) => el.form === form);
    if (same.length > 0) users = same;
  }

  const denyRe = /\b(deny|denied|cancel|reject|decline|no|not now|don't|do not|back|forgot|reset|create|sign ?up|register|use another|other account|help)\b/i;
  const approveRe = /^(grant access|grant|allow|allow access|approve|accept|authori[sz]e|consent|agree|continue|yes|confirm|ok)\b/i;
  const clickables = all("button, input[type=submit], input[type=button], [role=button], a.btn, a.button").filter(visible);
  const submitOf = (field) => {
    if (cfg.submit) return all(cfg.submit).filter(visible)[0] || null;
    const form = field && field.form;
    const inForm = form ? clickables.filter((b) => b.form === form || form.contains(b)) : [];
    const pool = inForm.length ? inForm : clickables;
    const typed = pool.filter((b) => (b.type === "submit" || b.tagName === "BUTTON" && !b.getAttribute("type")) && !denyRe.test(text(b)));
    if (typed.length) return typed[0];
    return pool.find((b) => /^(next|continue|sign in|log ?in|submit|verify|proceed)/i.test(text(b))) || null;
  };

  const errSel = "[role=alert], [aria-live=assertive], .error, .alert-danger, .alert-error, .invalid-feedback, .form-error, [class*=error i], [id*=error i], [class*=danger i]";
  // An error is marked by a class, a role or, often, only by its colour.
  const red = (el) => {
    const m = getComputedStyle(el).color.match(/\d+/g);
    return m && Number(m[0]) >= 150 && Number(m[1]) < 110 && Number(m[2]) < 110;
  };
  const shortText = (el) => visible(el) && text(el).length > 0 && text(el).length < 300;
  const errEl = all(errSel).filter(shortText)[0] ||
    all("p, span, div, li, small, strong, em, label").filter((el) =>
      shortText(el) && red(el) && el.children.length === 0 && !el.closest("a, button"))[0];

  const approve = clickables.filter((b) => approveRe.test(text(b)) && !denyRe.test(text(b)));
  const deny = clickables.filter((b) => denyRe.test(text(b)));
  const body = (document.body && document.body.innerText) || "";
  const consentWords = /access|permission|consent|authori[sz]e|allow|grant|scope|stay signed in|share/i.test(body);
  const consent = passwords.length === 0 && users.length === 0 && otps.length === 0 && approve.length > 0 && (deny.length > 0 || consentWords);

  const r = {
    href: location.href,
    doc: String(performance.timeOrigin),
    ready: document.readyState,
    title: document.title,
    marker: false,
    user: users.length > 0,
    pass: passwords.length > 0,
    otp: otps.length > 0,
    consent: consent,
    error: errEl ? text(errEl) : "",
    text: body.trim().replace(/\s+/g, " ").slice(0, 300),
  };
  try { r.marker = Boolean(eval(cfg.marker)); } catch (e) { r.marker = false; }
  if (!act) return r;

  const setValue = (el, v) => {
    el.focus();
    const proto = Object.getPrototypeOf(el);
    const desc = Object.getOwnPropertyDescriptor(proto, "value") || Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
    desc.set.call(el, v); // the native setter, so that frameworks see the change
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const submit = (field) => {
    const b = submitOf(field);
    if (b) { b.click(); return "clicked " + (text(b) || b.tagName.toLowerCase()); }
    if (field && field.form) { field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit(); return "submitted the form"; }
    return "";
  };
  r.did = "";
  if (act.kind === "credentials") {
    if (users.length && act.username) setValue(users[0], act.username);
    if (passwords.length && act.password) setValue(passwords[0], act.password);
    r.did = submit(passwords[0] || users[0]);
  } else if (act.kind === "otp" && otps.length) {
    setValue(otps[0], act.code);
    r.did = submit(otps[0]);
  } else if (act.kind === "consent" && approve.length) {
    approve[0].click();
    r.did = "clicked " + text(approve[0]);
  }
  return r;
})
