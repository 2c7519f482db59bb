package console

import (
	"net/http"
	"strings"
)

var instancesPage = listPage[[]obj]{Path + "/codedeploy/instances", "instances.html", "On-premises instances", (*Console).listInstances}

func (c *Console) instanceRoutes(m *http.ServeMux) {
	m.Handle("GET "+instancesPage.path, c.authed(c.instances))
	m.Handle("POST "+instancesPage.path, c.authed(c.registerInstance))
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
	instancesPage.show(c, w, r, a)
}

func (c *Console) registerInstance(w http.ResponseWriter, r *http.Request, a *active) {
	in := obj{"instanceName": strings.TrimSpace(r.PostFormValue("name"))}
	arn := strings.TrimSpace(r.PostFormValue("arn"))
	if strings.Contains(arn, ":assumed-role/") {
		in["iamSessionArn"] = arn
	} else {
		in["iamUserArn"] = arn
	}
	instancesPage.afterChange(c, w, r, a, c.call(r, a, codeDeployAPI, "RegisterOnPremisesInstance", in, nil))
}

func (c *Console) tagInstance(w http.ResponseWriter, r *http.Request, a *active) {
	in := obj{"instanceNames": []string{r.PathValue("name")},
		"tags": []obj{{"Key": strings.TrimSpace(r.PostFormValue("key")), "Value": strings.TrimSpace(r.PostFormValue("value"))}}}
	instancesPage.afterChange(c, w, r, a, c.call(r, a, codeDeployAPI, "AddTagsToOnPremisesInstances", in, nil))
}

func (c *Console) deregisterInstance(w http.ResponseWriter, r *http.Request, a *active) {
	in := obj{"instanceName": r.PathValue("name")}
	instancesPage.afterChange(c, w, r, a, c.call(r, a, codeDeployAPI, "DeregisterOnPremisesInstance", in, nil))
}
