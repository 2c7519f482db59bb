package main

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestEventsFollowIsOneEvent runs `deploytrail events --follow` against
// the real binary for several seconds while calls are made: it prints the
// history and then the new calls, in time order, and the whole session is
// one event in the history (the old poller made one per second).
func TestEventsFollowIsOneEvent(t *testing.T) {
	p := startBinary(t, t.TempDir())
	cfg := sdkConfig(t, p)
	iamc, cd := awsiam.NewFromConfig(cfg), codedeploy.NewFromConfig(cfg)
	for _, name := range []string{"h1", "h2"} {
		if _, err := iamc.CreateUser(t.Context(), &awsiam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(binary, "events", "--follow", "--output", "json", "--max", "2")
	cmd.Env = append(os.Environ(), p.env...)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		for sc := bufio.NewScanner(stdout); sc.Scan(); {
			lines <- sc.Text()
		}
	}()
	var out []string
	read := func(n int) {
		t.Helper()
		for range n {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("events --follow ended; stderr: %s", stderr.String())
				}
				out = append(out, l)
			case <-time.After(15 * time.Second):
				t.Fatalf("events --follow printed %d lines, want %d more; stderr: %s", len(out), n, stderr.String())
			}
		}
	}
	read(3) // h1, h2, then its own LookupEvents
	time.Sleep(3 * time.Second)
	if _, err := iamc.CreateUser(t.Context(), &awsiam.CreateUserInput{UserName: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cd.CreateApplication(t.Context(), &codedeploy.CreateApplicationInput{ApplicationName: aws.String("shop")}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.DeleteUser(t.Context(), &awsiam.DeleteUserInput{UserName: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	read(3)
	time.Sleep(2 * time.Second)
	cmd.Process.Signal(os.Interrupt)
	for l := range lines {
		out = append(out, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("events --follow after SIGINT: %v; stderr: %s", err, stderr.String())
	}

	recs := jsonLines(t, strings.Join(out, "\n")+"\n")
	if got, want := eventNames(recs), []string{"CreateUser", "CreateUser", "LookupEvents", "CreateUser", "CreateApplication", "DeleteUser"}; !slices.Equal(got, want) {
		t.Fatalf("events --follow printed %v, want %v", got, want)
	}
	for i := 1; i < len(recs); i++ {
		if prev, cur := recs[i-1]["eventTime"].(string), recs[i]["eventTime"].(string); cur < prev {
			t.Errorf("line %d at %s before line %d at %s", i, cur, i-1, prev)
		}
	}
	follows := 0
	for _, rec := range jsonLines(t, p.deploytrail(t, "events", "--event-name", "LookupEvents", "--output", "json")) {
		if rp, _ := rec["requestParameters"].(map[string]any); rp["follow"] == true {
			follows++
		}
	}
	if follows != 1 {
		t.Fatalf("a %v follow session recorded %d events, want 1", 8*time.Second, follows)
	}
}
