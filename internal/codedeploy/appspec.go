package codedeploy

import (
	"time"

	"gopkg.in/yaml.v3"
)

// maxHookTimeout bounds what an AppSpec may ask for one script: the whole
// in-place deployment may not take longer (spec §6.4).
const maxHookTimeout = 8 * time.Hour

// appSpecHooks is the part of an AppSpec the engine needs: each hook's
// scripts and their timeouts (spec §10).
type appSpecHooks struct {
	Hooks map[string][]struct {
		Location string `yaml:"location"`
		Timeout  *int   `yaml:"timeout"`
	} `yaml:"hooks"`
}

// eventTimeouts reads how long each lifecycle event may run from a
// revision's AppSpec, when the revision carries it (String and
// AppSpecContent revisions): the sum of its scripts' timeouts, each 3600 s
// unless given. Events it does not name, and every event of a revision
// whose AppSpec the service cannot read (an S3 or GitHub bundle), get
// DefaultEventTimeout. A malformed AppSpec is the agent's to report, so it
// gives the defaults too.
func eventTimeouts(rev *RevisionLocation) map[string]time.Duration {
	content := ""
	switch {
	case rev == nil:
	case rev.AppSpecContent != nil:
		content = rev.AppSpecContent.Content
	case rev.String != nil:
		content = rev.String.Content
	}
	var spec appSpecHooks
	if content == "" || yaml.Unmarshal([]byte(content), &spec) != nil {
		return nil
	}
	out := map[string]time.Duration{}
	for hook, scripts := range spec.Hooks {
		var total time.Duration
		for _, sc := range scripts {
			t := DefaultEventTimeout
			if sc.Timeout != nil && *sc.Timeout > 0 {
				t = min(time.Duration(*sc.Timeout)*time.Second, maxHookTimeout)
			}
			total += t
		}
		if len(scripts) > 0 {
			out[hook] = min(total, maxHookTimeout)
		}
	}
	return out
}

// eventTimeout is how long an acknowledged event may run.
func eventTimeout(timeouts map[string]time.Duration, event string) time.Duration {
	if t, ok := timeouts[event]; ok {
		return t
	}
	return DefaultEventTimeout
}
