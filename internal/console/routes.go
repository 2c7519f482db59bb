package console

import (
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

// home is where a signed-in user lands.
const home = Path + "/home"

// page is what every template gets.
type page struct {
	Title string
	Who   *Who
	CSRF  string
	Error string
	// Err is an API error to show (AWS's code and message).
	Err  *APIError
	Note string
	Data any
}

// handler serves a signed-in request.
type handler func(w http.ResponseWriter, r *http.Request, a *active)

func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET "+Path+"/static/", http.StripPrefix(Path+"/static/", http.FileServerFS(static)))
	m.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, Path+"/", http.StatusFound) })
	m.HandleFunc("GET "+Path+"/{$}", c.getSignIn)
	m.HandleFunc("GET "+Path+"/signin", c.getSignIn)
	m.HandleFunc("POST "+Path+"/signin", c.sameOrigin(c.postSignIn))
	m.Handle("POST "+Path+"/signout", c.authed(c.signOut))
	m.Handle("GET "+home, c.authed(c.home))
	m.Handle("GET "+passwordPath, c.authed(c.passwordPage))
	m.Handle("POST "+passwordPath, c.authed(c.changePassword))
	c.codeDeployRoutes(m)
	c.cloudTrailRoutes(m)
	c.mux = m
}

// sameOrigin refuses a state-changing request another site's page made:
// browsers send Origin (or Sec-Fetch-Site) with such requests. The CSRF
// token is checked as well; this only refuses earlier.
func (c *Console) sameOrigin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			c.forbidden(w, r)
			return
		}
		if o := r.Header.Get("Origin"); o != "" && o != "null" {
			u, err := url.Parse(o)
			if err != nil || u.Host != r.Host {
				c.forbidden(w, r)
				return
			}
		}
		next(w, r)
	}
}

// authed serves h for a signed-in session, else sends the browser to the
// sign-in page. A request that changes state must carry the session's
// CSRF token, in the form (csrf) or a header (X-CSRF-Token).
func (c *Console) authed(h handler) http.Handler {
	return c.sameOrigin(func(w http.ResponseWriter, r *http.Request) {
		a, err := c.session(r)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		if a == nil {
			setCookie(w, r, "", 0)
			c.needSignIn(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if !sameToken(token, a.csrf()) {
				c.forbidden(w, r)
				return
			}
		}
		if a.ResetPassword && r.URL.Path != passwordPath && r.URL.Path != Path+"/signout" {
			http.Redirect(w, r, passwordPath, http.StatusSeeOther)
			return
		}
		h(w, r, a)
	})
}

// needSignIn answers a request without a live session: pages go to the
// sign-in form; scripts' fetches get 401.
func (c *Console) needSignIn(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && !strings.Contains(r.Header.Get("Accept"), "application/json") {
		http.Redirect(w, r, Path+"/signin", http.StatusSeeOther)
		return
	}
	http.Error(w, "Your session has expired. Sign in again.", http.StatusUnauthorized)
}

func (c *Console) forbidden(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "Forbidden: the request did not come from this console's own form.", http.StatusForbidden)
}

// internal answers an unexpected failure; the error goes to the log only.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, err error) {
	c.Logger.Error("console", "path", r.URL.Path, "err", err)
	http.Error(w, "Internal error.", http.StatusInternalServerError)
}

// render writes a page. Pages show account data, so they are never
// cached (ServeHTTP).
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.pages.ExecuteTemplate(w, name, p); err != nil {
		c.Logger.Error("console render", "page", name, "err", err)
	}
}

// show renders a signed-in page; an API error is shown on it with AWS's
// code and message, and its status.
func (c *Console) show(w http.ResponseWriter, r *http.Request, a *active, name, title string, data any, err error) {
	p := &page{Title: title, Who: &a.Principal, CSRF: a.csrf(), Data: data}
	status := http.StatusOK
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			c.internal(w, r, err)
			return
		}
		p.Err, status = ae, ae.Status
	}
	c.render(w, r, status, name, p)
}

func (c *Console) home(w http.ResponseWriter, r *http.Request, a *active) {
	c.show(w, r, a, "home.html", "Home", nil, nil)
}
