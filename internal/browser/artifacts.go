package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/internal/atomicfile"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/ownfile"
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

// maskPage replaces, in the live page, every secret and every JWT in its
// text, attribute values, input values and title, before the screenshot and
// the HTML are taken. It runs in an isolated world: the page's own scripts
// never see the secrets it is given. They come sorted by redact.Split: those
// masked anywhere, and the short ones masked where they stand alone (no
// letter or digit right before or after), as redact.Secrets does.
const maskPage = `((anywhere, alone) => {
  const jwt = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
  const quote = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const lone = alone.map((x) => new RegExp("(?<![\\p{L}\\p{Nd}])" + quote(x) + "(?![\\p{L}\\p{Nd}])", "gu"));
  const mask = (s) => {
    if (!s) return s;
    let out = s.replace(jwt, "` + redact.Mask + `");
    for (const x of anywhere) out = out.split(x).join("` + redact.Mask + `");
    for (const re of lone) out = out.replace(re, "` + redact.Mask + `");
    return out;
  };
  const walker = document.createTreeWalker(document.documentElement || document, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const v = mask(n.nodeValue);
    if (v !== n.nodeValue) n.nodeValue = v;
  }
  for (const el of document.querySelectorAll("*")) {
    for (const a of Array.from(el.attributes)) {
      const v = mask(a.value);
      if (v !== a.value) el.setAttribute(a.name, v);
    }
    if ((el.tagName === "INPUT" || el.tagName === "TEXTAREA") && el.value) {
      const v = mask(el.value);
      if (v !== el.value) el.value = v;
    }
  }
  document.title = mask(document.title);
  return true;
})`

// maskLivePage runs maskPage in an isolated world of the page's main frame.
func maskLivePage(ctx context.Context, secrets []string) error {
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return err
	}
	if tree.FrameTree == nil || tree.FrameTree.Frame == nil {
		return errors.New("the page has no main frame")
	}
	world, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: tree.FrameTree.Frame.ID, WorldName: "clilogin-artifacts"})
	if err != nil {
		return err
	}
	anywhere, alone := redact.Split(secrets)
	a, err := json.Marshal(append([]string{}, anywhere...))
	if err != nil {
		return err
	}
	b, err := json.Marshal(append([]string{}, alone...))
	if err != nil {
		return err
	}
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](maskPage+"("+string(a)+","+string(b)+")", func(p *runtime.EvaluateParams) {
		p.ContextID = world.ExecutionContextID
	}))
	return err
}

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
	return redact.JWTs(redact.Secrets(html, secrets...))
}

// savePage writes the screenshot and the HTML of the page, masked of the
// secrets, into dir.
func savePage(ctx context.Context, dir *os.Root, prefix string, secrets []string) []error {
	var errs []error
	if err := maskLivePage(ctx, secrets); err != nil {
		// Without it the screenshot could show a secret: none is taken.
		errs = append(errs, fmt.Errorf("screenshot not taken: masking the page's secrets: %w", err))
	} else if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		errs = append(errs, atomicfile.WriteIn(dir, prefix+"screenshot.png", png))
	} else {
		errs = append(errs, fmt.Errorf("screenshot: %w", err))
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageHTML)); err == nil {
		errs = append(errs, atomicfile.WriteIn(dir, prefix+"page.html", []byte(redactHTML(html, secrets))))
	} else {
		errs = append(errs, fmt.Errorf("page html: %w", err))
	}
	return errs
}

// secrets are what a failed login's error and artifacts mask: the password
// and the TOTP secret (configured or typed at the terminal, see given) and
// every cookie value of the login's own browser context
// (with --remote-browser, not the browser's default one). The error says
// the cookies could not be read; the credentials are returned all the same.
func (s *loginRun) secrets() ([]string, error) {
	secrets := s.given()
	if !s.started {
		return secrets, nil
	}
	ctx, cancel := context.WithTimeout(s.bctx, 5*time.Second)
	defer cancel()
	params := storage.GetCookiesParams{BrowserContextID: chromedp.FromContext(ctx).BrowserContextID}
	all, err := chromedp.CallBrowser(ctx, storage.GetCookies, params)
	if err != nil {
		return secrets, err
	}
	values := make([]string, 0, len(all.Cookies))
	for _, c := range all.Cookies {
		values = append(values, c.Value)
	}
	return append(secrets, redact.Values(values)...), nil
}

// given is the secrets given to the login: the password and the TOTP
// secret, configured or typed at the terminal.
func (s *loginRun) given() []string {
	given := []string{s.cfg.Password, s.cfg.TOTPSecret}
	if s.model != nil {
		given = append(given, s.model.Typed()...)
	}
	return given
}

// maskError returns err with secrets masked in its message, keeping its
// kind and hint; err itself when there is nothing to mask.
func maskError(err error, secrets []string) error {
	msg := err.Error()
	masked := redact.Secrets(msg, secrets...)
	if masked == msg {
		return err
	}
	var fe *failure.Error
	if errors.As(err, &fe) {
		return &failure.Error{Kind: fe.Kind, Hint: fe.Hint, Err: errors.New(masked)}
	}
	return errors.New(masked)
}

// saveArtifacts writes, for a failed login, a screenshot of the page, its
// HTML and the chain of URLs the window visited, all with secrets (from
// session.secrets; cookiesErr when the cookies could not be read) masked,
// into dir (see ownfile.OpenDir: created 0700 when missing, else used as it
// is, never through a symbolic link). The file names hold only the time.
func (s *loginRun) saveArtifacts(path string, cause error, secrets []string, cookiesErr error) error {
	dir, err := ownfile.OpenDir(path)
	if err != nil {
		return fmt.Errorf("--artifacts: %w", err)
	}
	defer dir.Close()
	ctx, cancel := context.WithTimeout(s.bctx, 5*time.Second)
	defer cancel()
	prefix := "clilogin-" + time.Now().UTC().Format("20060102T150405Z") + "-"
	var errs []error
	if s.started {
		// Without the cookies the page could show one unmasked: no page
		// is kept.
		if cookiesErr != nil {
			errs = append(errs, fmt.Errorf("screenshot and page not taken: reading the cookies to mask: %w", cookiesErr))
		} else {
			errs = append(errs, savePage(ctx, dir, prefix, secrets)...)
		}
	}
	var b strings.Builder
	s.mu.Lock()
	for _, u := range s.chain {
		b.WriteString(redact.Secrets(redact.URL(u), secrets...) + "\n")
	}
	s.mu.Unlock()
	fmt.Fprintf(&b, "# error: %s\n", redact.JWTs(redact.Secrets(cause.Error(), secrets...)))
	errs = append(errs, atomicfile.WriteIn(dir, prefix+"urls.txt", []byte(b.String())))
	return errors.Join(errs...)
}

// failed masks a failed login's error by the secrets the artifacts are
// masked by (what the IdP's page said may quote one), and writes the
// artifacts.
func (s *loginRun) failed(err error) error {
	c := s.cfg
	secrets, serr := s.secrets()
	err = maskError(err, secrets)
	if c.Artifacts != "" {
		if aerr := s.saveArtifacts(c.Artifacts, err, secrets, serr); aerr != nil {
			c.Warnf("some artifacts were not written: %v", aerr)
		} else {
			c.Logf("artifacts written to %s", c.Artifacts)
		}
	}
	return err
}
