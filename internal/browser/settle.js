// The settle watcher of clilogin. It is added to every document the window
// opens, before the document's own scripts run, and called with a key (a
// property name random per login). It counts the changes of the DOM (a
// MutationObserver) and notes whether the page's event loop has been idle
// since the last one: a requestIdleCallback runs only once the tasks and
// callbacks queued before it (a script's, a request's answer's) have run.
//
// When the page turns calm it calls the binding named key + "_" (a
// DevTools binding: the login is woken to probe it at once, not at its next
// tick). The probe reads it through window[key].state(gen): gen is the number of
// the page's requests that have ended, as the DevTools events count them. A
// new gen counts as a change too, so that the answer to a request is
// handled (and the DOM changed by it) before the page is called calm.
(function (key) {
  if (Object.prototype.hasOwnProperty.call(window, key)) return;
  let changes = 0;
  let idleAt = -1;
  let asked = false;
  let gen = -1;
  const idle = () => {
    asked = false;
    if (idleAt === changes) return;
    idleAt = changes;
    try { window[key + "_"](""); } catch (e) { /* no binding: the next probe sees it */ }
  };
  const ask = () => {
    if (asked) return;
    asked = true;
    if (window.requestIdleCallback) requestIdleCallback(idle);
    else setTimeout(idle, 0);
  };
  const change = () => { changes++; ask(); };
  new MutationObserver(change).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  document.addEventListener("readystatechange", change);
  Object.defineProperty(window, key, {
    value: Object.freeze({
      state: (g) => {
        if (g !== gen) { gen = g; change(); }
        return { changes: changes, calm: idleAt === changes, gen: g };
      },
    }),
  });
  ask();
})
