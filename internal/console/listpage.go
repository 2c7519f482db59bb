package console

import "net/http"

// listPage is a page that lists an account's resources (applications,
// instances, trails) and takes the forms that change them. After a change
// it shows the list again with the change's error, or redirects, so that
// a reload of the answer does not post the form again.
type listPage[T any] struct {
	path, template, title string
	list                  func(c *Console, r *http.Request, a *active) (T, error)
}

func (p listPage[T]) show(c *Console, w http.ResponseWriter, r *http.Request, a *active) {
	v, err := p.list(c, r, a)
	c.show(w, r, a, p.template, p.title, v, err)
}

// afterChange answers a form that changed the list: back to the list.
func (p listPage[T]) afterChange(c *Console, w http.ResponseWriter, r *http.Request, a *active, err error) {
	p.afterChangeTo(c, w, r, a, err, p.path)
}

// afterChangeTo answers a form that changed the list: the list with err,
// which the list's own error must not hide, or a redirect to next.
func (p listPage[T]) afterChangeTo(c *Console, w http.ResponseWriter, r *http.Request, a *active, err error, next string) {
	if err != nil {
		v, _ := p.list(c, r, a)
		c.show(w, r, a, p.template, p.title, v, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
