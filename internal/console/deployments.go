package console

import (
	"errors"
	"net/http"
	"strings"
)

// deploymentsView is the deployments list with its filters.
type deploymentsView struct {
	App, Group, Status string
	Deployments        []obj
	Apps               []obj
}

// deploymentStatuses are the statuses the list filters by.
var deploymentStatuses = []string{"Created", "Queued", "InProgress", "Baking", "Succeeded", "Failed", "Stopped", "Ready"}

func (c *Console) deployments(w http.ResponseWriter, r *http.Request, a *active) {
	q := r.URL.Query()
	v := &deploymentsView{App: q.Get("app"), Group: q.Get("group"), Status: q.Get("status")}
	err := c.listDeployments(r, a, v)
	c.show(w, r, a, "deployments.html", "Deployments", v, err)
}

func (c *Console) listDeployments(r *http.Request, a *active, v *deploymentsView) error {
	apps, err := c.listApplications(r, a)
	v.Apps = apps
	if err != nil {
		return err
	}
	ids, err := c.deploymentIDs(r, a, v)
	if err != nil || len(ids) == 0 {
		return err
	}
	var info struct{ DeploymentsInfo []obj }
	err = c.call(r, a, codeDeployAPI, "BatchGetDeployments", obj{"deploymentIds": ids[:min(len(ids), 25)]}, &info) // it takes 25
	v.Deployments = info.DeploymentsInfo
	return err
}

// deploymentIDs lists the deployments the filters select. ListDeployments
// needs a group with an application, so an application alone is asked
// group by group.
func (c *Console) deploymentIDs(r *http.Request, a *active, v *deploymentsView) ([]string, error) {
	in := obj{}
	if v.Status != "" {
		in["includeOnlyStatuses"] = []string{v.Status}
	}
	groups := []string{v.Group}
	if v.App != "" && v.Group == "" {
		var list struct{ DeploymentGroups []string }
		if err := c.call(r, a, codeDeployAPI, "ListDeploymentGroups", obj{"applicationName": v.App}, &list); err != nil {
			return nil, err
		}
		groups = list.DeploymentGroups
	}
	var ids []string
	for _, g := range groups {
		if v.App != "" {
			in["applicationName"], in["deploymentGroupName"] = v.App, g
		}
		var list struct{ Deployments []string }
		if err := c.call(r, a, codeDeployAPI, "ListDeployments", in, &list); err != nil {
			return nil, err
		}
		ids = append(ids, list.Deployments...)
	}
	return ids, nil
}

// createDeployment starts a deployment of an S3 revision.
func (c *Console) createDeployment(w http.ResponseWriter, r *http.Request, a *active) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	in := obj{"applicationName": f("app"), "deploymentGroupName": f("group"), "revision": obj{"revisionType": "S3",
		"s3Location": obj{"bucket": f("bucket"), "key": f("key"), "bundleType": f("bundleType")}}}
	if d := f("description"); d != "" {
		in["description"] = d
	}
	c.startDeployment(w, r, a, in)
}

func (c *Console) startDeployment(w http.ResponseWriter, r *http.Request, a *active, in obj) {
	var out struct{ DeploymentId string }
	if err := c.call(r, a, codeDeployAPI, "CreateDeployment", in, &out); err != nil {
		v := &deploymentsView{}
		c.listDeployments(r, a, v)
		c.show(w, r, a, "deployments.html", "Deployments", v, err)
		return
	}
	http.Redirect(w, r, Path+"/codedeploy/deployments/"+pathEscape(out.DeploymentId), http.StatusSeeOther)
}

// deploymentView is a deployment with its targets' lifecycle events.
type deploymentView struct {
	ID         string
	Deployment obj
	Targets    []obj
	Done       bool
}

func (c *Console) deploymentView(r *http.Request, a *active) (*deploymentView, error) {
	v := &deploymentView{ID: r.PathValue("id")}
	var d struct{ DeploymentInfo obj }
	if err := c.call(r, a, codeDeployAPI, "GetDeployment", obj{"deploymentId": v.ID}, &d); err != nil {
		return v, err
	}
	v.Deployment = d.DeploymentInfo
	switch d.DeploymentInfo["status"] {
	case "Succeeded", "Failed", "Stopped":
		v.Done = true
	}
	var ids struct{ TargetIds []string }
	err := c.call(r, a, codeDeployAPI, "ListDeploymentTargets", obj{"deploymentId": v.ID}, &ids)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "DeploymentNotStartedException" {
		return v, nil // no targets yet: the page shows that
	}
	if err != nil || len(ids.TargetIds) == 0 {
		return v, err
	}
	var t struct{ DeploymentTargets []obj }
	in := obj{"deploymentId": v.ID, "targetIds": ids.TargetIds[:min(len(ids.TargetIds), 25)]}
	err = c.call(r, a, codeDeployAPI, "BatchGetDeploymentTargets", in, &t)
	v.Targets = t.DeploymentTargets
	return v, err
}

func (c *Console) deployment(w http.ResponseWriter, r *http.Request, a *active) {
	v, err := c.deploymentView(r, a)
	c.show(w, r, a, "deployment.html", "Deployment "+v.ID, v, err)
}

// deploymentProgress is the live part of the deployment page, which the
// page's script fetches until the deployment is done.
func (c *Console) deploymentProgress(w http.ResponseWriter, r *http.Request, a *active) {
	v, err := c.deploymentView(r, a)
	c.show(w, r, a, "progress.html", "", v, err)
}

func (c *Console) stopDeployment(w http.ResponseWriter, r *http.Request, a *active) {
	id := r.PathValue("id")
	if err := c.call(r, a, codeDeployAPI, "StopDeployment", obj{"deploymentId": id}, nil); err != nil {
		v, _ := c.deploymentView(r, a)
		c.show(w, r, a, "deployment.html", "Deployment "+id, v, err)
		return
	}
	http.Redirect(w, r, Path+"/codedeploy/deployments/"+pathEscape(id), http.StatusSeeOther)
}

// redeploy deploys the deployment's revision again to its group.
func (c *Console) redeploy(w http.ResponseWriter, r *http.Request, a *active) {
	v, err := c.deploymentView(r, a)
	if err != nil {
		c.show(w, r, a, "deployment.html", "Deployment "+v.ID, v, err)
		return
	}
	d := v.Deployment
	c.startDeployment(w, r, a, obj{"applicationName": d["applicationName"], "deploymentGroupName": d["deploymentGroupName"],
		"revision": d["revision"], "description": "Redeploy of " + v.ID})
}
