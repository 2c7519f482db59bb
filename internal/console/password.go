package console

import (
	"net/http"
	"net/url"
)

// passwordPath is where users change their console password; a user whose
// login profile requires a reset sees nothing else until it is done.
const passwordPath = Path + "/password"

const iamVersion = "2010-05-08"

func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request, a *active) {
	p := &page{Title: "Change your password", Who: &a.Principal, CSRF: a.csrf()}
	if a.ResetPassword {
		p.Note = "Your password must be changed before you continue."
	}
	c.render(w, r, http.StatusOK, "password.html", p)
}

// changePassword changes the signed-in user's password with IAM's
// ChangePassword, as the user, so the password policy applies and the
// change is recorded (with the passwords hidden).
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, a *active) {
	old, next := r.PostFormValue("old"), r.PostFormValue("new")
	if next != r.PostFormValue("confirm") {
		c.render(w, r, http.StatusBadRequest, "password.html", &page{Title: "Change your password", Who: &a.Principal,
			CSRF: a.csrf(), Error: "The new passwords do not match."})
		return
	}
	err := c.callQuery(r, a, "iam", iamVersion, "ChangePassword", url.Values{"OldPassword": {old}, "NewPassword": {next}})
	if err == nil {
		err = c.Store.PasswordChanged(r.Context(), a.IDHash)
	}
	if err != nil {
		c.show(w, r, a, "password.html", "Change your password", nil, err)
		return
	}
	http.Redirect(w, r, home, http.StatusSeeOther)
}
