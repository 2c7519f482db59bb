// Package trailfiles reads delivered CloudTrail log files strictly, for
// the tests that run the real binary and then check what reached the
// trail's bucket: every file's key and form, and how often each event and
// each request occurs across them.
package trailfiles

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
)

// logFileKey is the exact key of a log file of a us-east-1 trail without
// a prefix (spec §7.1), capturing the accounts and the dates so that they
// can be compared.
var logFileKey = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/us-east-1/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_us-east-1_(\d{4})(\d{2})(\d{2})T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)

// Delivered counts, across log files, how often each eventID and each
// requestID occurs.
type Delivered struct {
	Events, Requests map[string]int
}

// Parse checks each file's key (a log file of account, its path's date
// that of its name) and form (one gzip member holding exactly
// {"Records":[…]}, every record with an eventID) and counts its records'
// ids. files are by key.
func Parse(files map[string][]byte, account string) (Delivered, error) {
	d := Delivered{Events: map[string]int{}, Requests: map[string]int{}}
	for key, raw := range files {
		m := logFileKey.FindStringSubmatch(key)
		if m == nil || m[1] != account || m[5] != account || m[2]+m[3]+m[4] != m[6]+m[7]+m[8] {
			return d, fmt.Errorf("object %q is not a log file of account %s", key, account)
		}
		records, err := records(raw)
		if err != nil {
			return d, fmt.Errorf("%s: %w", key, err)
		}
		for _, r := range records {
			if r.EventID == "" {
				return d, fmt.Errorf("%s: a record without eventID", key)
			}
			d.Events[r.EventID]++
			if r.RequestID != "" {
				d.Requests[r.RequestID]++
			}
		}
	}
	return d, nil
}

type record struct {
	EventID   string `json:"eventID"`
	RequestID string `json:"requestID"`
}

// records decodes a log file: a single gzip member (nothing after it) of
// an object whose only member is Records.
func records(raw []byte) ([]record, error) {
	br := bytes.NewReader(raw) // an io.ByteReader: gzip reads no further than its member
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the first gzip member", br.Len())
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if len(doc) != 1 || doc["Records"] == nil {
		return nil, fmt.Errorf("want exactly {\"Records\":[…]}, got members %v", slices.Sorted(maps.Keys(doc)))
	}
	var out []record
	if err := json.Unmarshal(doc["Records"], &out); err != nil {
		return nil, fmt.Errorf("Records: %w", err)
	}
	return out, nil
}
