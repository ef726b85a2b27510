// The page probe of clilogin. It is evaluated as a function expression and
// called with a config object; it returns a plain object. It never throws: a
// page that is changing under it gives an empty answer.
//
// It reports the page's state: one kind from the table `kinds` below (the
// first whose detect matches), a fingerprint of that state, and the errors
// shown. With act set, and the page still in the state act names (kind and
// fingerprint), it does that kind's action, once. Each kind here has an
// entry of the same name in pages.go, which says when the action is taken.
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
  // words: a whole-word, case-insensitive match of any of the alternatives,
  // for any script (\b knows only ASCII letters).
  const words = (alts, anchored) => new RegExp((anchored ? "^\\s*" : "(?<![\\p{L}\\p{N}])") + "(?:" + alts + ")(?![\\p{L}\\p{N}])", "iu");

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
  const fields = passwords.length + users.length + otps.length;
  // Where what is typed would be sent: each field's form's action, and a
  // submit button's own formaction (absolute URLs; a javascript: action
  // leaves it to the page's script, which the probe cannot follow).
  const posts = [...new Set([...passwords, ...users, ...otps].map((el) => el.form && el.form.action)
    .concat(all("[formaction]").map((b) => b.formAction)).filter((a) => a && !/^javascript:/i.test(a)))];

  // Words in English, German, French and Spanish.
  const denyRe = words("deny|denied|cancel|reject|decline|no|not now|don't|do not|back|forgot|reset|create|sign ?up|register|use another|other account|help|log ?out|sign ?out|log ?off" +
    "|ablehnen|abbrechen|verweigern|nein|zurück|abmelden|registrieren|vergessen" +
    "|refuser|annuler|non|retour|déconnexion|se déconnecter|oublié|créer" +
    "|rechazar|cancelar|denegar|volver|cerrar sesión|salir|olvidé|crear");
  const approveRe = words("grant access|grant|allow|allow access|approve|accept|authori[sz]e|consent|agree|continue|proceed|yes|confirm|ok" +
    "|zulassen|erlauben|gewähren|zustimmen|akzeptieren|genehmigen|autorisieren|weiter|fortfahren|ja|bestätigen" +
    "|autoriser|accepter|permettre|approuver|continuer|poursuivre|oui|confirmer|valider" +
    "|permitir|autorizar|aceptar|conceder|aprobar|continuar|seguir|sí|confirmar", true);
  const continueRe = words("continue|proceed|next|go on|weiter|fortfahren|continuer|poursuivre|suivant|continuar|seguir|siguiente", true);
  const consentWordsRe = words("access|permission|permissions|consent|authori[sz]e|allow|grant|scopes?|stay signed in|share" +
    "|zugriff|berechtigung|berechtigungen|zustimmung|autorisieren|erlauben|angemeldet bleiben" +
    "|accès|autorisation|autorisations|consentement|autoriser|permettre|rester connecté" +
    "|acceso|permiso|permisos|consentimiento|autorizar|permitir|mantener la sesión");
  const rememberRe = words("remember|stay signed|keep me|trust|don't ask|do not ask|save|don't show|do not show" +
    "|merken|angemeldet bleiben|nicht mehr|se souvenir|mémoriser|rester connecté|ne plus|recordar|mantener|no volver");

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
  const errors = [];
  const notControl = (el) => !el.closest("a, button, [role=button], select, label") && !/^(INPUT|TEXTAREA)$/.test(el.tagName);
  // A notice (info, warning) or a progress line is not an error.
  const classes = (el) => { let c = ""; for (let e = el; e && e !== document.body; e = e.parentElement) c += " " + (e.getAttribute("class") || ""); return c; };
  const noticeRe = /(?:^|[\s_-])(info|warning|warn|notice|success|positive|hint)(?:$|[\s_-])/i;
  const progressRe = /^(loading|signing in|logging in|please wait|connecting|redirecting|verifying)\b/i;
  // A wrapper (LemonLDAP::NG's div#errormsg) whose one child holds all its
  // text is judged by that child's classes too (its message-warning); not
  // past an element that says it is an alert, whatever its style.
  const loud = (el) => el.getAttribute("role") === "alert" || el.getAttribute("aria-live") === "assertive";
  const holder = (el) => {
    while (!loud(el) && el.children.length === 1 && !loud(el.children[0]) && text(el.children[0]) === text(el)) el = el.children[0];
    return el;
  };
  const isError = (el) => {
    if (!notControl(el) || progressRe.test(text(el))) return false;
    const c = classes(holder(el));
    return !(noticeRe.test(c) && !/error|danger|invalid|fail/i.test(c));
  };
  for (const el of all(errSel).filter((el) => shortText(el) && isError(el)).concat(all("p, span, div, li, small, strong, em, label").filter((el) =>
    shortText(el) && red(el) && el.children.length === 0 && isError(el)))) {
    if (!errors.includes(text(el)) && !errors.some((e) => e.includes(text(el)))) errors.push(text(el));
    if (errors.length >= 5) break;
  }

  const body = (document.body && document.body.innerText) || "";
  const heading = text(all("h1, h2, h3, h4, [role=heading]").filter(visible)[0]).slice(0, 80);
  const approve = clickables.filter((b) => approveRe.test(text(b)) && !denyRe.test(text(b)));
  const deny = clickables.filter((b) => denyRe.test(text(b)));
  const primaries = clickables.filter((b) => !denyRe.test(text(b)) && text(b) !== "");
  // The requested scopes: checkboxes on a consent page that are not a
  // "remember me" or "do not ask again" choice.
  const labelOf = (el) => [text(el.labels && el.labels[0]), attrs(el), text(el.parentElement)].join(" ");
  const boxes = all("input[type=checkbox]").filter((el) => !el.disabled);
  const scopes = boxes.filter((el) => !rememberRe.test(labelOf(el)));

  // The page kinds, most specific first. detect says whether the page is in
  // that state; control is what the action clicks; act does it and says what
  // it did.
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
  const click = (b) => { b.click(); return "clicked " + text(b); };
  // A step to approve on another device (a push, number matching), and a
  // choice between ways to sign in: asked at the terminal of a headless
  // login (pages.go).
  const deviceRe = /(approve|confirm|accept) (the |this |your )?(sign[- ]?in|log[- ]?in)|check your (phone|device|mobile)|(sent|send) (a |you a )?(push|notification)|enter the number|number (shown|displayed)|tap the number|open (the |your )?authenticator app/i;
  const choiceRe = /choose|select|pick|how (do|would) you (want|like)|another way|verification method|sign-?in method|wählen|choisissez|elija|seleccione/i;
  const leaves = all("p, span, div, strong, b, h1, h2, h3, h4, output, [role=status]").filter((el) => el.children.length === 0 && visible(el) && /^\s*\d{1,3}\s*$/.test(el.textContent));
  const number = leaves.sort((a, b) => parseFloat(getComputedStyle(b).fontSize) - parseFloat(getComputedStyle(a).fontSize))[0];
  const radios = all("input[type=radio]").filter(visible);
  const choices = radios.length >= 2 ? radios : primaries;
  const choiceText = (el) => el.type === "radio" ? text(el.labels && el.labels[0]) || el.value : text(el);
  const unsupportedRe = /(browser|app) (may|might) not be secure|(unsupported|not a supported|isn't supported|is not supported) browser|browser (is )?not supported|try (using )?a different browser|automated (browser|software)/i;
  const kinds = [
    { name: "password", detect: () => passwords.length > 0, control: () => submitOf(passwords[0]),
      act: (a) => {
        if (users.length && a.username) setValue(users[0], a.username);
        setValue(passwords[0], a.password);
        return submit(passwords[0]);
      } },
    { name: "username", detect: () => users.length > 0, control: () => submitOf(users[0]),
      act: (a) => { setValue(users[0], a.username); return submit(users[0]); } },
    { name: "otp", detect: () => otps.length > 0, control: () => submitOf(otps[0]),
      act: (a) => { setValue(otps[0], a.code); return submit(otps[0]); } },
    { name: "unsupported", detect: () => fields === 0 && unsupportedRe.test(body) },
    { name: "device", detect: () => fields === 0 && deviceRe.test(body) },
    // consent: an approving button, and consent words, scope checkboxes or
    // a refusing button (unless the approving one only says continue). Its
    // action ticks the scopes first.
    { name: "consent", detect: () => fields === 0 && approve.length > 0 &&
        (scopes.length > 0 || consentWordsRe.test(body) || deny.length > 0 && !continueRe.test(text(approve[0]))),
      control: () => approve[0],
      act: () => {
        const ticked = scopes.filter((el) => !el.checked);
        ticked.forEach((el) => el.click());
        return (ticked.length ? "ticked " + ticked.length + " scopes, " : "") + click(approve[0]);
      } },
    // continue: one primary action beside a cancel or logout, or one
    // button saying continue.
    { name: "continue", detect: () => fields === 0 && errors.length === 0 &&
        (primaries.length === 1 && deny.length > 0 || primaries.filter((b) => continueRe.test(text(b))).length === 1),
      control: () => primaries.length === 1 ? primaries[0] : primaries.find((b) => continueRe.test(text(b))),
      act: () => click(primaries.length === 1 ? primaries[0] : primaries.find((b) => continueRe.test(text(b)))) },
    { name: "choice", detect: () => fields === 0 && choices.length >= 2 && choiceRe.test(heading + " " + body.slice(0, 500)),
      act: (a) => {
        const el = choices[a.choice];
        if (!el) return "";
        if (el.type !== "radio") return click(el);
        el.click();
        return "chose " + choiceText(el) + ", " + submit(el);
      } },
  ];
  const kind = kinds.find((k) => k.detect()) || { name: "" };
  const control = kind.control ? kind.control() : null;

  // The fingerprint tells one state from the next: for forms, which fields
  // are shown (not the button, whose label changes while it works); for
  // other steps, the heading and the control too.
  const fieldNames = [...passwords, ...users, ...otps].map((el) => el.name || el.id || el.type).join(",");
  const fp = [kind.name, fieldNames, heading, fields ? "" : text(control), errors.join("|")].join("\u0001");

  const r = {
    href: location.href,
    doc: String(performance.timeOrigin),
    ready: document.readyState,
    title: document.title,
    marker: false,
    kind: kind.name,
    users: users.length,
    number: kind.name === "device" && number ? number.textContent.trim() : "",
    options: kind.name === "choice" ? choices.map(choiceText) : [],
    heading: heading,
    webauthn: window.__cliloginWebAuthn || null,
    fp: fp,
    control: control ? (text(control) || control.tagName.toLowerCase()) : "",
    errors: errors,
    posts: posts,
    text: body.trim().replace(/\s+/g, " ").slice(0, 300),
  };
  // Signs that the page may still change (settle.go): the settle watcher's
  // state (settle.js), and error-like boxes shown still without their text.
  const watcher = cfg.settle && window[cfg.settle.key];
  r.settle = watcher ? watcher.state(cfg.settle.gen) : null;
  r.blank = all(errSel).filter((el) => visible(el) && notControl(el) && text(el) === "" &&
    !el.querySelector("input, select, textarea, button, img, svg")).length;
  try { r.marker = Boolean(eval(cfg.marker)); } catch (e) { r.marker = false; }
  r.did = "";
  if (act && act.kind === kind.name && act.fp === fp && kind.act) r.did = kind.act(act) || "";
  return r;
})
