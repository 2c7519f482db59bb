package console

import (
	"net/http"
	"strings"
)

// obj is an API answer read generically: pages show its fields as the
// model names them.
type obj = map[string]any

var applicationsPage = listPage[[]obj]{Path + "/codedeploy/applications", "applications.html", "Applications", (*Console).listApplications}

func (c *Console) codeDeployRoutes(m *http.ServeMux) {
	m.Handle("GET "+applicationsPage.path, c.authed(c.applications))
	m.Handle("POST "+applicationsPage.path, c.authed(c.createApplication))
	m.Handle("GET "+Path+"/codedeploy/applications/{app}", c.authed(c.application))
	m.Handle("POST "+Path+"/codedeploy/applications/{app}/groups", c.authed(c.saveGroup))
	m.Handle("GET "+Path+"/codedeploy/applications/{app}/groups/{group}", c.authed(c.group))
	m.Handle("GET "+Path+"/codedeploy/deployments", c.authed(c.deployments))
	m.Handle("POST "+Path+"/codedeploy/deployments", c.authed(c.createDeployment))
	m.Handle("GET "+Path+"/codedeploy/deployments/{id}", c.authed(c.deployment))
	m.Handle("GET "+Path+"/codedeploy/deployments/{id}/progress", c.authed(c.deploymentProgress))
	m.Handle("POST "+Path+"/codedeploy/deployments/{id}/stop", c.authed(c.stopDeployment))
	m.Handle("POST "+Path+"/codedeploy/deployments/{id}/redeploy", c.authed(c.redeploy))
	c.instanceRoutes(m)
}

// applications lists the account's applications with their details.
func (c *Console) applications(w http.ResponseWriter, r *http.Request, a *active) {
	applicationsPage.show(c, w, r, a)
}

func (c *Console) listApplications(r *http.Request, a *active) ([]obj, error) {
	var list struct{ Applications []string }
	if err := c.call(r, a, codeDeployAPI, "ListApplications", obj{}, &list); err != nil || len(list.Applications) == 0 {
		return nil, err
	}
	var info struct{ ApplicationsInfo []obj }
	names := list.Applications[:min(len(list.Applications), 100)] // BatchGetApplications takes 100
	err := c.call(r, a, codeDeployAPI, "BatchGetApplications", obj{"applicationNames": names}, &info)
	return info.ApplicationsInfo, err
}

func (c *Console) createApplication(w http.ResponseWriter, r *http.Request, a *active) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	in := obj{"applicationName": name, "computePlatform": r.PostFormValue("computePlatform")}
	err := c.call(r, a, codeDeployAPI, "CreateApplication", in, nil)
	applicationsPage.afterChangeTo(c, w, r, a, err, applicationsPage.path+"/"+pathEscape(name))
}

// applicationView is an application's page: its groups, revisions and
// configurations to choose from.
type applicationView struct {
	Name      string
	App       obj
	Groups    []obj
	Revisions []obj
	Configs   []string
	Edit      obj // the group being edited, if any
}

func (c *Console) application(w http.ResponseWriter, r *http.Request, a *active) {
	v, err := c.applicationView(r, a, r.PathValue("app"))
	c.show(w, r, a, "application.html", "Application "+v.Name, v, err)
}

func (c *Console) applicationView(r *http.Request, a *active, name string) (*applicationView, error) {
	v := &applicationView{Name: name}
	var app struct{ Application obj }
	if err := c.call(r, a, codeDeployAPI, "GetApplication", obj{"applicationName": name}, &app); err != nil {
		return v, err
	}
	v.App = app.Application
	var groups struct{ DeploymentGroups []string }
	if err := c.call(r, a, codeDeployAPI, "ListDeploymentGroups", obj{"applicationName": name}, &groups); err != nil {
		return v, err
	}
	if len(groups.DeploymentGroups) > 0 {
		var info struct{ DeploymentGroupsInfo []obj }
		in := obj{"applicationName": name, "deploymentGroupNames": groups.DeploymentGroups[:min(len(groups.DeploymentGroups), 100)]}
		if err := c.call(r, a, codeDeployAPI, "BatchGetDeploymentGroups", in, &info); err != nil {
			return v, err
		}
		v.Groups = info.DeploymentGroupsInfo
	}
	var revs struct{ Revisions []obj }
	if err := c.call(r, a, codeDeployAPI, "ListApplicationRevisions", obj{"applicationName": name}, &revs); err != nil {
		return v, err
	}
	v.Revisions = revs.Revisions
	var configs struct{ DeploymentConfigsList []string }
	err := c.call(r, a, codeDeployAPI, "ListDeploymentConfigs", obj{}, &configs)
	v.Configs = configs.DeploymentConfigsList
	return v, err
}

// group shows one deployment group with the form to edit it.
func (c *Console) group(w http.ResponseWriter, r *http.Request, a *active) {
	v, err := c.applicationView(r, a, r.PathValue("app"))
	if err == nil {
		var g struct{ DeploymentGroupInfo obj }
		err = c.call(r, a, codeDeployAPI, "GetDeploymentGroup", obj{"applicationName": v.Name, "deploymentGroupName": r.PathValue("group")}, &g)
		v.Edit = g.DeploymentGroupInfo
	}
	c.show(w, r, a, "application.html", "Deployment group "+r.PathValue("group"), v, err)
}

// saveGroup creates a deployment group, or updates one (form field
// currentName), from the group form.
func (c *Console) saveGroup(w http.ResponseWriter, r *http.Request, a *active) {
	app := r.PathValue("app")
	in := groupInput(r, app)
	op := "CreateDeploymentGroup"
	if cur := r.PostFormValue("currentName"); cur != "" {
		op = "UpdateDeploymentGroup"
		in["currentDeploymentGroupName"], in["newDeploymentGroupName"] = cur, in["deploymentGroupName"]
		delete(in, "deploymentGroupName")
	}
	if err := c.call(r, a, codeDeployAPI, op, in, nil); err != nil {
		v, _ := c.applicationView(r, a, app)
		c.show(w, r, a, "application.html", "Application "+app, v, err)
		return
	}
	http.Redirect(w, r, Path+"/codedeploy/applications/"+pathEscape(app), http.StatusSeeOther)
}

// groupInput reads the group form: name, service role, configuration,
// on-premises tag filters (key=value, one a line), a trigger and
// automatic rollback.
func groupInput(r *http.Request, app string) obj {
	in := obj{"applicationName": app, "deploymentGroupName": strings.TrimSpace(r.PostFormValue("name")),
		"serviceRoleArn": strings.TrimSpace(r.PostFormValue("serviceRoleArn"))}
	if cfg := r.PostFormValue("deploymentConfigName"); cfg != "" {
		in["deploymentConfigName"] = cfg
	}
	var filters []obj
	for _, line := range strings.Split(r.PostFormValue("tagFilters"), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		if k != "" {
			filters = append(filters, obj{"Key": k, "Value": v, "Type": "KEY_AND_VALUE"})
		}
	}
	in["onPremisesInstanceTagFilters"] = filters
	if topic := strings.TrimSpace(r.PostFormValue("triggerTopicArn")); topic != "" {
		in["triggerConfigurations"] = []obj{{"triggerName": "console", "triggerTargetArn": topic,
			"triggerEvents": []string{"DeploymentSuccess", "DeploymentFailure"}}}
	}
	in["autoRollbackConfiguration"] = obj{"enabled": r.PostFormValue("autoRollback") == "on",
		"events": []string{"DEPLOYMENT_FAILURE"}}
	return in
}
