package codedeploy

import (
	"testing"
	"time"
)

func TestEventTimeouts(t *testing.T) {
	content := func(s string) *RevisionLocation {
		return &RevisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &RawString{Content: s}}
	}
	tests := []struct {
		name  string
		rev   *RevisionLocation
		event string
		want  time.Duration
	}{
		{"S3 bundle: unknown", &RevisionLocation{RevisionType: "S3", S3Location: &S3Location{Bucket: "b", Key: "k"}}, "ApplicationStop", time.Hour},
		{"scripts add up", content("hooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: 60\n    - location: b.sh\n      timeout: 30\n"), "AfterInstall", 90 * time.Second},
		{"a script without timeout gets 3600 s", content("hooks:\n  AfterInstall:\n    - location: a.sh\n    - location: b.sh\n      timeout: 30\n"), "AfterInstall", time.Hour + 30*time.Second},
		{"an event without scripts", content("hooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: 60\n"), "Install", time.Hour},
		{"capped at 8 hours", content("hooks:\n  ValidateService:\n    - location: a.sh\n      timeout: 86400\n"), "ValidateService", 8 * time.Hour},
		{"malformed: defaults", content("hooks: [unclosed"), "AfterInstall", time.Hour},
		{"String revision", &RevisionLocation{RevisionType: "String", String: &RawString{Content: "hooks:\n  BeforeInstall:\n    - location: a.sh\n      timeout: 5\n"}}, "BeforeInstall", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eventTimeout(eventTimeouts(tt.rev), tt.event); got != tt.want {
				t.Fatalf("timeout=%v, want %v", got, tt.want)
			}
		})
	}
}
