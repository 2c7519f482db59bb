package console

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Event history bounds: attribute rows on the form, and how many events a
// download gathers (pages of 50).
const (
	maxAttributes    = 3
	maxDownloadPages = 20
	timeInput        = "2006-01-02T15:04" // <input type="datetime-local">, read as UTC
)

// lookupKeys are LookupEvents' attribute keys, in the form's order.
var lookupKeys = []string{"EventName", "Username", "EventSource", "ResourceName", "ResourceType", "ReadOnly", "AccessKeyId", "EventId"}

// attrRow is one attribute filter of the form.
type attrRow struct{ Key, Value string }

// historyView is the event history: the filters and one page of events.
type historyView struct {
	Attrs      []attrRow
	Start, End string
	Events     []obj
	Next       string
	Query      string // the filters as a query string, for the download links
}

func (c *Console) cloudTrailRoutes(m *http.ServeMux) {
	m.Handle("GET "+Path+"/cloudtrail/events", c.authed(c.history))
	m.Handle("GET "+Path+"/cloudtrail/events/{id}", c.authed(c.event))
	m.Handle("GET "+Path+"/cloudtrail/download/{format}", c.authed(c.download))
	c.trailRoutes(m)
}

// historyFilters reads the filters: up to maxAttributes (k1,v1)… pairs,
// ANDed (AWS takes one; deploytrail's LookupEvents takes several), and a
// time range.
func historyFilters(q url.Values) (*historyView, obj) {
	v := &historyView{Start: q.Get("start"), End: q.Get("end")}
	in := obj{}
	var attrs []obj
	for i := 1; i <= maxAttributes; i++ {
		row := attrRow{Key: q.Get("k" + strconv.Itoa(i)), Value: q.Get("v" + strconv.Itoa(i))}
		v.Attrs = append(v.Attrs, row)
		if row.Key != "" && row.Value != "" {
			attrs = append(attrs, obj{"AttributeKey": row.Key, "AttributeValue": row.Value})
		}
	}
	if len(attrs) > 0 {
		in["LookupAttributes"] = attrs
	}
	if t, err := time.Parse(timeInput, v.Start); err == nil {
		in["StartTime"] = t.Unix()
	}
	if t, err := time.Parse(timeInput, v.End); err == nil {
		in["EndTime"] = t.Unix()
	}
	clean := url.Values{}
	for k, vals := range q {
		if k != "next" {
			clean[k] = vals
		}
	}
	v.Query = clean.Encode()
	return v, in
}

type lookupOut struct {
	Events    []obj
	NextToken string
}

func (c *Console) history(w http.ResponseWriter, r *http.Request, a *active) {
	v, in := historyFilters(r.URL.Query())
	if next := r.URL.Query().Get("next"); next != "" {
		in["NextToken"] = next
	}
	in["MaxResults"] = 50
	var out lookupOut
	err := c.call(r, a, cloudTrailAPI, "LookupEvents", in, &out)
	v.Events, v.Next = out.Events, out.NextToken
	c.show(w, r, a, "events.html", "Event history", v, err)
}

// eventView is one event's full record.
type eventView struct {
	ID, JSON string
	Event    obj
}

func (c *Console) event(w http.ResponseWriter, r *http.Request, a *active) {
	v := &eventView{ID: r.PathValue("id")}
	in := obj{"LookupAttributes": []obj{{"AttributeKey": "EventId", "AttributeValue": v.ID}}}
	var out lookupOut
	err := c.call(r, a, cloudTrailAPI, "LookupEvents", in, &out)
	if err == nil && len(out.Events) == 1 {
		v.Event = out.Events[0]
		v.JSON = indentJSON(out.Events[0]["CloudTrailEvent"])
	}
	c.show(w, r, a, "event.html", "Event "+v.ID, v, err)
}

func indentJSON(v any) string {
	s, _ := v.(string)
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(s), "", "  ") != nil {
		return s
	}
	return buf.String()
}

// download sends the events the filters select (up to maxDownloadPages
// pages) as JSON ({"Records":[…]}, as in a log file) or CSV.
func (c *Console) download(w http.ResponseWriter, r *http.Request, a *active) {
	format := r.PathValue("format")
	if format != "json" && format != "csv" {
		http.NotFound(w, r)
		return
	}
	_, in := historyFilters(r.URL.Query())
	in["MaxResults"] = 50
	var events []obj
	for range maxDownloadPages {
		var out lookupOut
		if err := c.call(r, a, cloudTrailAPI, "LookupEvents", in, &out); err != nil {
			c.show(w, r, a, "events.html", "Event history", &historyView{}, err)
			return
		}
		events = append(events, out.Events...)
		if out.NextToken == "" {
			break
		}
		in["NextToken"] = out.NextToken
	}
	w.Header().Set("Content-Disposition", `attachment; filename="event_history.`+format+`"`)
	if format == "json" {
		writeJSONRecords(w, events)
		return
	}
	writeCSV(w, events)
}

func writeJSONRecords(w http.ResponseWriter, events []obj) {
	records := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		s, _ := e["CloudTrailEvent"].(string)
		records = append(records, json.RawMessage(s))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"Records": records})
}

// csvColumns are the CSV download's columns: record fields.
var csvColumns = []string{"eventID", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
	"userAgent", "userName", "accessKeyId", "errorCode", "errorMessage", "readOnly", "sessionCredentialFromConsole"}

func writeCSV(w http.ResponseWriter, events []obj) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.Write(csvColumns)
	for _, e := range events {
		var rec map[string]any
		s, _ := e["CloudTrailEvent"].(string)
		json.Unmarshal([]byte(s), &rec)
		cw.Write(csvRow(rec, e))
	}
	cw.Flush()
}

func csvRow(rec map[string]any, e obj) []string {
	row := make([]string, len(csvColumns))
	for i, col := range csvColumns {
		switch col {
		case "userName":
			row[i], _ = e["Username"].(string)
		case "accessKeyId":
			row[i], _ = e["AccessKeyId"].(string)
		default:
			if v, ok := rec[col]; ok && v != nil {
				row[i] = scalar(v)
			}
		}
	}
	return row
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
