package console

import (
	"net/http"
	"strings"
)

func (c *Console) instanceRoutes(m *http.ServeMux) {
	m.Handle("GET "+Path+"/codedeploy/instances", c.authed(c.instances))
	m.Handle("POST "+Path+"/codedeploy/instances", c.authed(c.registerInstance))
	m.Handle("POST "+Path+"/codedeploy/instances/{name}/tags", c.authed(c.tagInstance))
	m.Handle("POST "+Path+"/codedeploy/instances/{name}/deregister", c.authed(c.deregisterInstance))
}

func (c *Console) listInstances(r *http.Request, a *active) ([]obj, error) {
	var list struct{ InstanceNames []string }
	if err := c.call(r, a, codeDeployAPI, "ListOnPremisesInstances", obj{}, &list); err != nil || len(list.InstanceNames) == 0 {
		return nil, err
	}
	var info struct{ InstanceInfos []obj }
	names := list.InstanceNames[:min(len(list.InstanceNames), 100)]
	err := c.call(r, a, codeDeployAPI, "BatchGetOnPremisesInstances", obj{"instanceNames": names}, &info)
	return info.InstanceInfos, err
}

func (c *Console) instances(w http.ResponseWriter, r *http.Request, a *active) {
	list, err := c.listInstances(r, a)
	c.show(w, r, a, "instances.html", "On-premises instances", list, err)
}

// afterInstanceChange shows the list again: with the error, or after a
// redirect.
func (c *Console) afterInstanceChange(w http.ResponseWriter, r *http.Request, a *active, err error) {
	if err != nil {
		list, _ := c.listInstances(r, a)
		c.show(w, r, a, "instances.html", "On-premises instances", list, err)
		return
	}
	http.Redirect(w, r, Path+"/codedeploy/instances", http.StatusSeeOther)
}

func (c *Console) registerInstance(w http.ResponseWriter, r *http.Request, a *active) {
	in := obj{"instanceName": strings.TrimSpace(r.PostFormValue("name"))}
	arn := strings.TrimSpace(r.PostFormValue("arn"))
	if strings.Contains(arn, ":assumed-role/") {
		in["iamSessionArn"] = arn
	} else {
		in["iamUserArn"] = arn
	}
	c.afterInstanceChange(w, r, a, c.call(r, a, codeDeployAPI, "RegisterOnPremisesInstance", in, nil))
}

func (c *Console) tagInstance(w http.ResponseWriter, r *http.Request, a *active) {
	in := obj{"instanceNames": []string{r.PathValue("name")},
		"tags": []obj{{"Key": strings.TrimSpace(r.PostFormValue("key")), "Value": strings.TrimSpace(r.PostFormValue("value"))}}}
	c.afterInstanceChange(w, r, a, c.call(r, a, codeDeployAPI, "AddTagsToOnPremisesInstances", in, nil))
}

func (c *Console) deregisterInstance(w http.ResponseWriter, r *http.Request, a *active) {
	in := obj{"instanceName": r.PathValue("name")}
	c.afterInstanceChange(w, r, a, c.call(r, a, codeDeployAPI, "DeregisterOnPremisesInstance", in, nil))
}
