package browser

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/internal/atomicfile"
	"github.com/clilogin/clilogin/internal/redact"
)

// pageHTML serialises a copy of the page with every input's value
// replaced, so that no typed or hidden secret (state, CSRF tokens, codes)
// reaches the file.
const pageHTML = `(() => {
  const doc = document.documentElement.cloneNode(true);
  for (const el of doc.querySelectorAll("input, textarea")) {
    const t = (el.getAttribute("type") || "").toLowerCase();
    if (["submit", "button", "checkbox", "radio", "image", "reset"].includes(t)) continue;
    if (el.hasAttribute("value")) el.setAttribute("value", "` + redact.Mask + `");
    if (el.tagName === "TEXTAREA") el.textContent = "";
  }
  return "<!DOCTYPE html>\n" + doc.outerHTML;
})()`

// queryValue matches a query parameter's value inside text, such as a
// form's action or a link in the page's HTML.
var queryValue = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)([?&;](?:amp;)?([a-z0-9_.-]+)=)([^&"'\s<>#]*)`)
})

// redactHTML masks query values that are not known to be safe and every
// known secret.
func redactHTML(html string, secrets []string) string {
	re := queryValue()
	html = re.ReplaceAllStringFunc(html, func(m string) string {
		sub := re.FindStringSubmatch(m)
		if redact.SafeParam(sub[2]) || sub[3] == "" {
			return m
		}
		return sub[1] + redact.Mask
	})
	return redact.Secrets(html, secrets...)
}

// saveArtifacts writes, for a failed login, a screenshot of the page, its
// HTML and the chain of URLs the window visited, all with secrets redacted,
// into dir. The file names hold only the time.
func (s *session) saveArtifacts(dir string, cause error) error {
	ctx, cancel := context.WithTimeout(s.bctx, 5*time.Second)
	defer cancel()
	prefix := filepath.Join(dir, "clilogin-"+time.Now().UTC().Format("20060102T150405Z")+"-")
	secrets := []string{s.cfg.Password, s.cfg.TOTPSecret}
	var errs []error
	if s.started {
		if all, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{}); err == nil {
			for _, c := range all.Cookies {
				secrets = append(secrets, c.Value)
			}
		}
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			errs = append(errs, atomicfile.Write(prefix+"screenshot.png", png))
		} else {
			errs = append(errs, fmt.Errorf("screenshot: %w", err))
		}
		if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageHTML)); err == nil {
			errs = append(errs, atomicfile.Write(prefix+"page.html", []byte(redactHTML(html, secrets))))
		} else {
			errs = append(errs, fmt.Errorf("page html: %w", err))
		}
	}
	var b strings.Builder
	s.mu.Lock()
	for _, u := range s.chain {
		b.WriteString(redact.URL(u) + "\n")
	}
	s.mu.Unlock()
	fmt.Fprintf(&b, "# error: %s\n", redact.Secrets(cause.Error(), secrets...))
	errs = append(errs, atomicfile.Write(prefix+"urls.txt", []byte(b.String())))
	return errors.Join(errs...)
}
