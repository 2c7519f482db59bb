package main

import (
	"testing"
	"time"
)

func TestParseConfig_Limits(t *testing.T) {
	env := func(vals map[string]string) func(string) string {
		return func(k string) string { return vals[k] }
	}
	cfg, err := parseConfig(nil, env(map[string]string{"DEPLOYTRAIL_MAX_CONNECTIONS": "200",
		"DEPLOYTRAIL_MAX_BODY_MEMORY": "8388608", "DEPLOYTRAIL_BODY_TIMEOUT": "3s"}))
	if err != nil || cfg.MaxConnections != 200 || cfg.MaxBodyMemory != 8<<20 || cfg.BodyTimeout != 3*time.Second {
		t.Fatalf("MaxConnections=%d MaxBodyMemory=%d BodyTimeout=%v err=%v, want 200, 8 MiB, 3s",
			cfg.MaxConnections, cfg.MaxBodyMemory, cfg.BodyTimeout, err)
	}
	for _, bad := range [][2]string{
		{"DEPLOYTRAIL_MAX_CONNECTIONS", "0"}, {"DEPLOYTRAIL_MAX_CONNECTIONS", "many"},
		{"DEPLOYTRAIL_MAX_BODY_MEMORY", "-1"}, {"DEPLOYTRAIL_BODY_TIMEOUT", "soon"}, {"DEPLOYTRAIL_BODY_TIMEOUT", "0s"},
	} {
		if _, err := parseConfig(nil, env(map[string]string{bad[0]: bad[1]})); err == nil {
			t.Errorf("%s=%s accepted", bad[0], bad[1])
		}
	}
}
