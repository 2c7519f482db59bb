package agent

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// event is one lifecycle event of one deployment on this host.
type event struct {
	a    *Agent
	spec *Spec
	name string
}

func (a *Agent) event(spec *Spec, name string) *event { return &event{a: a, spec: spec, name: name} }

// The paths of spec §11.4.
func (e *event) groupDir() string { return filepath.Join(e.a.cfg.RootDir, e.spec.DeploymentGroupID) }
func (e *event) deploymentRoot() string {
	return filepath.Join(e.groupDir(), e.spec.DeploymentID)
}
func (e *event) instruction(suffix string) string {
	return filepath.Join(e.a.instructionsDir(), e.spec.DeploymentGroupID+suffix)
}

// previousRevisionEvents run the last successful revision's scripts: the
// new revision is not installed yet when they stop the running one.
var previousRevisionEvents = map[string]bool{"ApplicationStop": true, "BeforeBlockTraffic": true, "AfterBlockTraffic": true}

// scriptRoot is the deployment root whose scripts the event runs; "" when none.
func (e *event) scriptRoot() string {
	if previousRevisionEvents[e.name] {
		return readLine(e.instruction("_last_successful_install"))
	}
	return e.deploymentRoot()
}

// hooks are the event's scripts from the AppSpec it runs with.
func (e *event) hooks() ([]Hook, string, error) {
	root := e.scriptRoot()
	if root == "" {
		return nil, "", nil
	}
	archive := filepath.Join(root, "deployment-archive")
	if _, err := os.Stat(archive); err != nil && previousRevisionEvents[e.name] {
		return nil, "", nil // the previous revision's archive was removed: nothing to stop
	}
	spec, err := readAppSpec(archive, e.spec.AppSpecFilename)
	if err != nil {
		return nil, "", err
	}
	return spec.Hooks[e.name], archive, nil
}

// isNoop reports whether the event has nothing to run (§9.5).
func (e *event) isNoop() bool {
	if e.name == "DownloadBundle" || e.name == "Install" {
		return false
	}
	hooks, _, err := e.hooks()
	return err == nil && len(hooks) == 0
}

func (e *event) run(ctx context.Context) Result {
	var err error
	switch e.name {
	case "DownloadBundle":
		err = e.downloadBundle(ctx)
	case "Install":
		err = e.install()
	default:
		return e.runHooks()
	}
	if err != nil {
		return Result{Code: codeUnknownError, Message: err.Error()}
	}
	return Result{Message: "Succeeded"}
}

func (e *event) runHooks() Result {
	hooks, archive, err := e.hooks()
	if err != nil {
		return Result{Code: codeUnknownError, Message: err.Error()}
	}
	if len(hooks) == 0 {
		return Result{Message: "Succeeded"}
	}
	logs := filepath.Join(e.deploymentRoot(), "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return Result{Code: codeUnknownError, Message: err.Error()}
	}
	w, closeLogs, err := e.logWriter(filepath.Join(logs, "scripts.log"))
	if err != nil {
		return Result{Code: codeUnknownError, Message: err.Error()}
	}
	defer closeLogs()
	tail := &tailBuffer{max: e.a.cfg.Limits.LogTail}
	runs := make([]scriptRun, len(hooks))
	for i, h := range hooks {
		runs[i] = scriptRun{archive: archive, event: e.name, hook: h, env: e.environment(), log: w, tail: tail}
	}
	return runScripts(runs)
}

// logWriter writes to the deployment's scripts.log and to the agent's
// deployments log, prefixed with the deployment id.
func (e *event) logWriter(scripts string) (io.Writer, func(), error) {
	f, err := os.OpenFile(scripts, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, err
	}
	all, err := os.OpenFile(filepath.Join(e.a.cfg.RootDir, "deployment-logs", "codedeploy-agent-deployments.log"),
		os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	w := io.MultiWriter(f, &prefixWriter{prefix: "[" + e.spec.DeploymentID + "]", w: all})
	return w, func() { f.Close(); all.Close() }, nil
}

type prefixWriter struct {
	prefix string
	w      io.Writer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// environment is what hook scripts get besides the agent's own (§11.1).
func (e *event) environment() []string {
	s := e.spec
	env := []string{"LIFECYCLE_EVENT=" + e.name, "DEPLOYMENT_ID=" + s.DeploymentID, "APPLICATION_NAME=" + s.ApplicationName,
		"DEPLOYMENT_GROUP_NAME=" + s.DeploymentGroupName, "DEPLOYMENT_GROUP_ID=" + s.DeploymentGroupID}
	if r := s.Revision.S3Revision; r != nil {
		env = append(env, "BUNDLE_BUCKET="+r.Bucket, "BUNDLE_KEY="+r.Key, "BUNDLE_ETAG="+r.ETag)
		if r.Version != "" {
			env = append(env, "BUNDLE_VERSION="+r.Version)
		}
	}
	return env
}

// downloadBundle fetches and unpacks the revision into a fresh
// deployment-archive, then prunes old revisions (§11.3).
func (e *event) downloadBundle(ctx context.Context) error {
	root := e.deploymentRoot()
	archive := filepath.Join(root, "deployment-archive")
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	rev := e.spec.Revision
	switch {
	case rev.AppSpecContent != nil:
		if err := os.MkdirAll(archive, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(archive, "appspec.yml"), []byte(rev.AppSpecContent.Content), 0o644); err != nil {
			return err
		}
	case rev.S3Revision != nil:
		if err := e.fetchS3(ctx, root, archive); err != nil {
			return err
		}
	case rev.GitHubRevision != nil:
		if err := e.fetchGitHub(ctx, root, archive); err != nil {
			return err
		}
	default:
		return fmt.Errorf("The revision type %q is not supported by deploytrail agent (S3, GitHub, String and AppSpecContent are)", rev.RevisionType)
	}
	if err := writeAtomic(e.instruction("_most_recent_install"), []byte(root+"\n")); err != nil {
		return err
	}
	return e.prune()
}

func (e *event) fetchS3(ctx context.Context, root, archive string) error {
	r := e.spec.Revision.S3Revision
	bundle := filepath.Join(root, "bundle.tar")
	etag, err := e.a.client.download(ctx, r.Bucket, r.Key, r.Version, bundle, e.a.cfg.Limits.BundleBytes)
	if err != nil {
		return err
	}
	if r.ETag != "" && etag != r.ETag {
		return fmt.Errorf("The bundle's ETag %s is not the revision's %s", etag, r.ETag)
	}
	if err := extract(bundle, r.BundleType, archive, e.a.cfg.Limits); err != nil {
		return err
	}
	return stripTopDir(archive, cmpOr(e.spec.AppSpecFilename, "appspec.yml"))
}

// fetchGitHub downloads a GitHub commit's tarball (gzip, one top-level
// directory) as AWS's agent does, from GitHub's API or the configured
// override. An unreachable GitHub fails the event with a message saying
// so, which the deployment shows.
func (e *event) fetchGitHub(ctx context.Context, root, archive string) error {
	r := e.spec.Revision.GitHubRevision
	base := cmpOr(e.a.cfg.GitHubEndpoint, "https://api.github.com")
	bundle := filepath.Join(root, "bundle.tar")
	src := r.Account + "/" + r.Repository + "@" + r.CommitID
	if err := e.a.client.fetch(ctx, githubTarballURL(base, r.Account, r.Repository, r.CommitID), bundle, e.a.cfg.Limits.BundleBytes); err != nil {
		return fmt.Errorf("GitHub could not be reached to download %s from %s: %v", src, base, err)
	}
	if err := extract(bundle, "tgz", archive, e.a.cfg.Limits); err != nil {
		return err
	}
	return stripTopDir(archive, cmpOr(e.spec.AppSpecFilename, "appspec.yml"))
}

func githubTarballURL(base, owner, repo, commit string) string {
	return strings.TrimSuffix(base, "/") + "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + "/tarball/" + url.PathEscape(commit)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// prune keeps the group's newest max_revisions deployment roots, and
// always the last successful one.
func (e *event) prune() error {
	entries, err := os.ReadDir(e.groupDir())
	if err != nil {
		return err
	}
	keep := []string{e.deploymentRoot(), readLine(e.instruction("_last_successful_install"))}
	type dir struct {
		path string
		mod  int64
	}
	var dirs []dir
	for _, d := range entries {
		p := filepath.Join(e.groupDir(), d.Name())
		if fi, err := d.Info(); err == nil && d.IsDir() && !slices.Contains(keep, p) {
			dirs = append(dirs, dir{p, fi.ModTime().UnixNano()})
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].mod > dirs[j].mod })
	kept := 1
	if keep[1] != "" && keep[1] != keep[0] {
		kept = 2
	}
	for i, d := range dirs {
		if i+kept >= e.a.cfg.MaxRevisions {
			if err := os.RemoveAll(d.path); err != nil {
				return err
			}
		}
	}
	return nil
}

// install applies the AppSpec's files and permissions, then records
// this deployment as the group's last successful install.
func (e *event) install() error {
	archive := filepath.Join(e.deploymentRoot(), "deployment-archive")
	spec, err := readAppSpec(archive, e.spec.AppSpecFilename)
	if err != nil {
		return err
	}
	behavior := cmpOr(e.spec.AgentActionOverrides.AgentOverrides.FileExistsBehavior, "DISALLOW")
	if err := install(spec, archive, behavior, e.a.instructionsDir(), e.spec.DeploymentGroupID); err != nil {
		return err
	}
	return writeAtomic(e.instruction("_last_successful_install"), []byte(e.deploymentRoot()+"\n"))
}
