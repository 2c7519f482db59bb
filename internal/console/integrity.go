package console

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// publicKeyMargin widens the ListPublicKeys range past the checked one:
// the digest covering the last files is written up to an hour after them
// (as cmd/deploytrail's validate-logs and the AWS CLI do).
const publicKeyMargin = 2 * time.Hour

// IntegrityRequest is a trail's digest chain to check over a range.
type IntegrityRequest struct {
	TrailARN, Bucket, Prefix, Account, Region string
	Start, End                                time.Time
	// PublicKey returns the digest public key with a fingerprint, from the
	// user's ListPublicKeys.
	PublicKey func(fingerprint string) ([]byte, bool)
}

// Integrity is the outcome: the validator's lines, as validate-logs
// prints them, and its summary.
type Integrity struct {
	Results, Summary []string
	OK               bool
}

// Validator checks log file integrity (app: package validate over the
// bucket store). The console calls it only after the user's GetTrail and
// ListPublicKeys succeeded, so only someone who may read the trail and
// its keys has it checked.
type Validator func(ctx context.Context, req IntegrityRequest) (*Integrity, error)

// integrityView is the validation page: the range and, once run, the
// outcome.
type integrityView struct {
	Name, Start, End string
	Result           *Integrity
	Failure          string
}

func (c *Console) integrity(w http.ResponseWriter, r *http.Request, a *active) {
	q := r.URL.Query()
	now := c.now().UTC()
	v := &integrityView{Name: r.PathValue("name"), Start: q.Get("start"), End: q.Get("end")}
	if v.Start == "" {
		v.Start = now.Add(-24 * time.Hour).Format(timeInput)
	}
	if v.End == "" {
		v.End = now.Format(timeInput)
	}
	var err error
	if q.Get("run") != "" && c.Validate != nil {
		err = c.runIntegrity(r, a, v)
	}
	c.show(w, r, a, "integrity.html", "Log file integrity: "+v.Name, v, err)
}

// runIntegrity reads the trail and the public keys as the user, then
// validates.
func (c *Console) runIntegrity(r *http.Request, a *active, v *integrityView) error {
	start, err1 := time.Parse(timeInput, v.Start)
	end, err2 := time.Parse(timeInput, v.End)
	if err1 != nil || err2 != nil || !start.Before(end) {
		v.Failure = "Give a start time before the end time."
		return nil
	}
	var t struct{ Trail obj }
	if err := c.call(r, a, cloudTrailAPI, "GetTrail", obj{"Name": v.Name}, &t); err != nil {
		return err
	}
	keys, err := c.publicKeys(r, a, start, end.Add(publicKeyMargin))
	if err != nil {
		return err
	}
	str := func(k string) string { s, _ := t.Trail[k].(string); return s }
	arn := str("TrailARN")
	req := IntegrityRequest{TrailARN: arn, Bucket: str("S3BucketName"), Prefix: str("S3KeyPrefix"), Account: a.Account,
		Region: c.region(), Start: start, End: end, PublicKey: func(fp string) ([]byte, bool) { k, ok := keys[fp]; return k, ok }}
	if v.Result, err = c.Validate(r.Context(), req); err != nil {
		c.Logger.Warn("console integrity validation", "trail", arn, "err", err)
		v.Failure = "The log files could not be validated: " + firstLine(err.Error())
	}
	return nil
}

func (c *Console) publicKeys(r *http.Request, a *active, start, end time.Time) (map[string][]byte, error) {
	var out struct{ PublicKeyList []obj }
	if err := c.call(r, a, cloudTrailAPI, "ListPublicKeys", obj{"StartTime": start.Unix(), "EndTime": end.Unix()}, &out); err != nil {
		return nil, err
	}
	keys := map[string][]byte{}
	for _, k := range out.PublicKeyList {
		fp, _ := k["Fingerprint"].(string)
		val, _ := k["Value"].(string)
		if der, err := base64.StdEncoding.DecodeString(val); err == nil {
			keys[fp] = der
		}
	}
	return keys, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
