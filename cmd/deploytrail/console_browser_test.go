package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleInChromium is issue 14's browser test: a real headless
// Chromium (Debian's; scripts/chromium.sh installs it for `make test`)
// drives the console of the real binary, with `deploytrail agent`
// deploying from MinIO. Screenshots of each step are saved as test
// artifacts (go test -artifacts; the path is logged).
func TestConsoleInChromium(t *testing.T) {
	chromium := requireChromium(t)
	w := newConsoleWorld(t)
	shots := t.ArtifactDir()
	t.Logf("console screenshots: %s", shots)
	ctx := newChromium(t, chromium)
	s := &session{t: t, ctx: ctx, base: w.p.endpoint, shots: shots}

	// 1. Sign in as an IAM user, failing once with a wrong password.
	s.run(chromedp.Navigate(s.base + "/"))
	s.signIn(w.acct, "deployer", "Wrong-pass1")
	s.waitText("p.error", "Your authentication information is incorrect.")
	s.shot("1-signin-failed")
	s.signIn(w.acct, "deployer", consolePassword)
	s.waitText("main", "Signed in as")
	s.shot("1-signed-in")

	// 2. Create an application and a deployment group.
	s.run(chromedp.Navigate(s.base+"/console/codedeploy/applications"),
		chromedp.SendKeys(chromedp.ID("app-name"), "web"), chromedp.Submit(chromedp.ID("app-name")))
	s.waitText("h1", "Application web")
	s.run(chromedp.SendKeys(chromedp.ID("g-name"), "prod"), chromedp.SendKeys(chromedp.ID("g-role"), w.roleARN),
		chromedp.SetValue(chromedp.ID("g-config"), "CodeDeployDefault.AllAtOnce"),
		chromedp.SendKeys(chromedp.ID("g-tags"), "env=prod"), chromedp.Submit(chromedp.ID("g-name")))
	s.waitText("table", "prod")
	s.shot("2-application-and-group")

	// 3. Deploy with the agent running; watch Succeeded arrive without a reload.
	s.run(chromedp.SendKeys(chromedp.ID("d-bucket"), "bundles"), chromedp.SendKeys(chromedp.ID("d-key"), "v1.zip"),
		chromedp.Submit(chromedp.ID("d-bucket")))
	s.waitText("h1", "Deployment d-")
	s.eval(`window.notReloaded = true`)
	s.waitText("#deployment-status", "Succeeded")
	if marker, _ := s.eval(`window.notReloaded === true`).(bool); !marker {
		t.Error("the deployment page reloaded instead of updating in place")
	}
	s.waitText("#progress", "ValidateService")
	s.shot("3-deployment-succeeded")
	if got := w.host.index(t); got != "v1" {
		t.Errorf("host-1 serves %q, want v1", got)
	}

	// 4. The console's calls and the sign-ins in Event history.
	s.run(chromedp.Navigate(s.base + "/console/cloudtrail/events?k1=Username&v1=deployer&k2=EventName&v2=CreateDeployment"))
	s.waitText("tbody", "CreateDeployment")
	s.waitText("tbody", "yes")
	s.shot("4-event-history-console-calls")
	s.run(chromedp.Click(chromedp.CSS(`tbody a`)))
	s.waitText("#record", `"sessionCredentialFromConsole": "true"`)
	s.waitText("#record", `"userAgent": "console.deploytrail"`)
	s.shot("4-event-record")
	s.run(chromedp.Navigate(s.base + "/console/cloudtrail/events?k1=EventName&v1=ConsoleLogin"))
	if rows, _ := s.eval(`document.querySelectorAll("tbody tr").length`).(float64); rows != 2 {
		t.Errorf("ConsoleLogin rows = %v, want 2 (a failure and a success)", rows)
	}
	s.shot("4-event-history-sign-ins")

	// 5. A read-only user is denied with AWS's message.
	s.run(chromedp.Click(chromedp.CSS(`.signout button`)))
	s.waitText("h1", "Sign in")
	s.signIn(w.acct, "reader", consolePassword)
	s.waitText("main", "Signed in as")
	s.run(chromedp.Navigate(s.base+"/console/codedeploy/applications"),
		chromedp.SendKeys(chromedp.ID("app-name"), "api"), chromedp.Submit(chromedp.ID("app-name")))
	s.waitText(".error", "AccessDeniedException")
	s.waitText(".error", "User: arn:aws:iam::"+w.acct+":user/reader is not authorized to perform: codedeploy:CreateApplication")
	s.shot("5-read-only-denied")

	// A narrow screen: the deployments list still fits.
	s.run(chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.base+"/console/codedeploy/deployments"))
	s.waitText("tbody", "Succeeded")
	s.shot("6-narrow-deployments")
}

// requireChromium returns Debian's Chromium, or skips.
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("skipped: no chromium on PATH; scripts/chromium.sh installs Debian's")
	return ""
}

// newChromium starts a headless Chromium with the flags this machine
// needs (no background networking: its closed network refuses them) and
// a fresh profile.
func newChromium(t *testing.T, path string) context.Context {
	t.Helper()
	// chromedp's defaults keep a headless tab rendering (no background
	// throttling): without them screenshots came out stale or hung.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// session is one browser tab driven step by step.
type session struct {
	t           *testing.T
	ctx         context.Context
	base, shots string
}

func (s *session) run(actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		s.shot("failure")
		s.t.Fatalf("chromium: %v", err)
	}
}

func (s *session) signIn(account, user, password string) {
	s.t.Helper()
	s.run(chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SetValue(chromedp.ID("account"), account), chromedp.SetValue(chromedp.ID("username"), user),
		chromedp.SetValue(chromedp.ID("password"), password), chromedp.Submit(chromedp.ID("password")))
}

// eval evaluates a JavaScript expression in the page.
func (s *session) eval(expr string) any {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitText waits until the page has loaded and the first element
// matching sel contains text, read by the page's own JavaScript (so a
// page still navigating away is never mistaken for the next one).
func (s *session) waitText(sel, text string) {
	s.t.Helper()
	q, _ := json.Marshal(sel)
	expr := `document.readyState === "complete" && document.querySelector(` + string(q) + `) ? document.querySelector(` + string(q) + `).innerText : ""`
	var got string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		cancel()
		if got = v; err == nil && strings.Contains(got, text) {
			return
		}
	}
	s.shot("failure")
	s.t.Fatalf("%s never showed %q; last text:\n%s", sel, text, got)
}

// unlabeled lists the page's visible form controls that have no label:
// every control must have one (screen readers, and clicking the label).
const unlabeled = `Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
	.filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.name || e.id).join(",")`

// shot saves a full-page PNG screenshot as an artifact, and checks that
// the page's controls are labelled.
func (s *session) shot(name string) {
	s.t.Helper()
	if name != "failure" {
		if bad, _ := s.eval(unlabeled).(string); bad != "" {
			s.t.Errorf("%s: controls without a label: %s", name, bad)
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(s.shots, name+".png"), png, 0o644); err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
	}
}
