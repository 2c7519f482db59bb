package console

import (
	"net/http"
	"strings"
)

var trailsPage = listPage[[]trailRow]{Path + "/cloudtrail/trails", "trails.html", "Trails", (*Console).listTrails}

func (c *Console) trailRoutes(m *http.ServeMux) {
	m.Handle("GET "+trailsPage.path, c.authed(c.trails))
	m.Handle("POST "+trailsPage.path, c.authed(c.createTrail))
	m.Handle("POST "+Path+"/cloudtrail/trails/{name}/logging", c.authed(c.setLogging))
	m.Handle("GET "+Path+"/cloudtrail/trails/{name}/validate", c.authed(c.integrity))
}

// trailRow is a trail with its status.
type trailRow struct {
	Trail, Status obj
}

func (c *Console) listTrails(r *http.Request, a *active) ([]trailRow, error) {
	var out struct{ TrailList []obj }
	if err := c.call(r, a, cloudTrailAPI, "DescribeTrails", obj{}, &out); err != nil {
		return nil, err
	}
	rows := make([]trailRow, 0, len(out.TrailList))
	for _, t := range out.TrailList {
		var st obj
		if err := c.call(r, a, cloudTrailAPI, "GetTrailStatus", obj{"Name": t["TrailARN"]}, &st); err != nil {
			return rows, err
		}
		rows = append(rows, trailRow{Trail: t, Status: st})
	}
	return rows, nil
}

func (c *Console) trails(w http.ResponseWriter, r *http.Request, a *active) {
	trailsPage.show(c, w, r, a)
}

// createTrail creates a trail and starts its logging, as AWS's console
// does.
func (c *Console) createTrail(w http.ResponseWriter, r *http.Request, a *active) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	in := obj{"Name": f("name"), "S3BucketName": f("bucket"), "EnableLogFileValidation": r.PostFormValue("validation") == "on",
		"IsMultiRegionTrail": r.PostFormValue("multiRegion") == "on"}
	if p := f("prefix"); p != "" {
		in["S3KeyPrefix"] = p
	}
	if t := f("topic"); t != "" {
		in["SnsTopicName"] = t
	}
	err := c.call(r, a, cloudTrailAPI, "CreateTrail", in, nil)
	if err == nil {
		err = c.call(r, a, cloudTrailAPI, "StartLogging", obj{"Name": f("name")}, nil)
	}
	trailsPage.afterChange(c, w, r, a, err)
}

// setLogging starts or stops a trail's logging (form field "on").
func (c *Console) setLogging(w http.ResponseWriter, r *http.Request, a *active) {
	op := "StopLogging"
	if r.PostFormValue("on") == "true" {
		op = "StartLogging"
	}
	trailsPage.afterChange(c, w, r, a, c.call(r, a, cloudTrailAPI, op, obj{"Name": r.PathValue("name")}, nil))
}
