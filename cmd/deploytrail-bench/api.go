package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
)

// apiReport is workloads 1 and 2: the same calls against deploytrail
// (audited, a logging trail on), the baseline and moto.
type apiReport struct {
	Clients          int                    `json:"clients"`
	Audited          map[string]*loadResult `json:"audited"`
	Baseline         map[string]*loadResult `json:"baseline"`
	Moto             map[string]*loadResult `json:"moto"`
	MotoError        string                 `json:"moto_error,omitempty"`
	AuditedBaseline  map[string]*float64    `json:"ratio_audited_to_baseline_rps"`
	AuditedMoto      map[string]*float64    `json:"ratio_deploytrail_to_moto_rps"`
	BaselineReplaces string                 `json:"baseline_replaces"`
	// Ceiling is the ceiling server's figures (ceiling.go): canned answers.
	Ceiling      map[string]*loadResult `json:"ceiling"`
	CeilingError string                 `json:"ceiling_error,omitempty"`
}

// The workloads' names in the report.
const (
	wRead   = "read_GetApplication"
	wCreate = "write_CreateApplication"
	wDeploy = "write_CreateDeployment"
)

// footprintReport is workload 7.
type footprintReport struct {
	BinaryMB    float64  `json:"binary_mb"`
	PeakRSSMB   float64  `json:"peak_rss_mb_under_api_load"`
	ReadyMS     *latency `json:"ready_ms_fresh_data"`
	RestartMS   *latency `json:"ready_ms_existing_data"`
	BaselineRSS float64  `json:"baseline_peak_rss_mb"`
}

// runAPI measures the API workloads (when measure is set) and the
// deploytrail binary's footprint under them. The three servers run side
// by side and each workload runs against each in turn, so that other
// work on the machine skews the ratios as little as possible.
func runAPI(ctx context.Context, e *env, s settings, measure bool) (*apiReport, *footprintReport, error) {
	rep := &apiReport{Clients: s.Clients, BaselineReplaces: baselineReplaces}
	fp := &footprintReport{}
	if st, err := statSize(e.binary); err == nil {
		fp.BinaryMB = round(float64(st) / (1 << 20))
	}
	dir, err := e.mkdir("audited")
	if err != nil {
		return nil, nil, err
	}
	log.Printf("api: starting deploytrail (audited, logging trail, delivery every %v), the baseline and moto", s.Delivery)
	dt, err := e.startDeploytrail(ctx, dir, "DEPLOYTRAIL_DELIVERY_INTERVAL="+s.Delivery.String())
	if err != nil {
		return nil, nil, err
	}
	defer dt.stop()
	audited := newTarget(dt.url, benchKeyID, benchSecret, s.Clients)
	audited.name, audited.proc = "audited", dt
	if err := startTrail(ctx, audited, benchBucket); err != nil {
		return nil, nil, err
	}
	if !measure { // footprint only: a short read load for the RSS figure
		if err := prepareRead(ctx, audited); err != nil {
			return nil, nil, err
		}
		runLoad(ctx, s.Clients, s.Duration, readOp(audited))
		fp.PeakRSSMB = dt.peakRSS()
		return nil, fp, nil
	}
	bl, err := e.startBaseline(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer bl.stop()
	baseline := newTarget(bl.url, benchKeyID, benchSecret, s.Clients)
	baseline.name, baseline.proc = "baseline", bl
	targets := []*target{audited, baseline}
	if c, err := e.startCeiling(); err != nil {
		rep.CeilingError = err.Error()
	} else {
		defer c.stop()
		t := newTarget(c.url, benchKeyID, benchSecret, s.Clients)
		t.name, t.proc, t.canned = "ceiling", c, true
		targets = append(targets, t)
	}
	if m, err := e.startMoto(ctx); err != nil {
		rep.MotoError = err.Error()
	} else {
		defer m.stop()
		t := newTarget(m.url, "AKIAMOTO000000000000", "moto-secret", s.Clients)
		t.name, t.lenient, t.proc = "moto", true, m
		targets = append(targets, t)
	}
	results, err := runWorkloads(ctx, targets, s)
	if err != nil {
		return nil, nil, err
	}
	rep.Audited, rep.Baseline, rep.Moto = results["audited"], results["baseline"], results["moto"]
	rep.Ceiling = results["ceiling"]
	fp.PeakRSSMB, fp.BaselineRSS = dt.peakRSS(), bl.peakRSS()
	rep.AuditedBaseline = ratios(rep.Audited, rep.Baseline)
	rep.AuditedMoto = ratios(rep.Audited, rep.Moto)
	return rep, fp, nil
}

func ratios(a, b map[string]*loadResult) map[string]*float64 {
	if a == nil || b == nil {
		return nil
	}
	out := map[string]*float64{}
	for k, r := range a {
		if o := b[k]; o != nil {
			out[k] = ratio(r.RPS, o.RPS)
		}
	}
	return out
}

// target is one server under test and how to sign for it.
type target struct {
	name  string
	url   string
	creds aws.CredentialsProvider
	hc    *http.Client
	// lenient counts a 200 answer the SDK cannot decode as a success:
	// moto 5.2 writes GetApplication's createTime as a string.
	lenient bool
	// proc is the server's process, for its CPU time.
	proc *child
	// canned marks the ceiling server: it answers the read and
	// CreateApplication workloads only.
	canned bool
}

// result is err unless t is lenient and err is only a decoding failure.
func (t *target) result(err error) error {
	var de *smithy.DeserializationError
	if t.lenient && errors.As(err, &de) {
		return nil
	}
	return err
}

func newTarget(url, keyID, secret string, clients int) *target {
	tr := &http.Transport{MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 4 * clients, IdleConnTimeout: time.Minute}
	return &target{url: url, creds: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		hc: &http.Client{Transport: tr, Timeout: time.Minute}}
}

func (t *target) config(region string) aws.Config {
	return aws.Config{Region: region, Credentials: t.creds, RetryMaxAttempts: 1, BaseEndpoint: aws.String(t.url), HTTPClient: t.hc}
}

func (t *target) codeDeploy(region string) *codedeploy.Client {
	return codedeploy.NewFromConfig(t.config(region))
}

func (t *target) cloudTrail(region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(t.config(region))
}

// startTrail makes a multi-region trail log every call to bucket.
func startTrail(ctx context.Context, t *target, bucket string) error {
	ct := t.cloudTrail("us-east-1")
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("bench"), S3BucketName: aws.String(bucket),
		IsMultiRegionTrail: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("create trail: %w", err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("bench")}); err != nil {
		return fmt.Errorf("start logging: %w", err)
	}
	return nil
}

// runWorkloads runs the read and the two write workloads, each against
// every target in turn; the results are by target name, then workload.
func runWorkloads(ctx context.Context, targets []*target, s settings) (map[string]map[string]*loadResult, error) {
	out := map[string]map[string]*loadResult{}
	measure := func(t *target, w string, fn op) {
		r := measureCosts(ctx, t, func() *loadResult { return runLoad(ctx, s.Clients, s.Duration, fn) })
		out[t.name][w] = r
		log.Printf("  %s %s: %.0f/s, p99 %.1f ms, %d errors", t.name, w, r.RPS, r.Latency.P99, r.Errors)
	}
	for _, t := range targets {
		out[t.name] = map[string]*loadResult{}
		if err := prepareRead(ctx, t); err != nil {
			return nil, err
		}
	}
	for _, t := range targets {
		measure(t, wRead, readOp(t))
	}
	for _, t := range targets {
		measure(t, wCreate, createAppOp(t))
	}
	// Each deployment needs an idle group: prepare a pool per target, big
	// enough for three times its CreateApplication rate (CreateDeployment
	// runs faster); a measurement that empties its pool ends early.
	pools := map[string]int{}
	for _, t := range targets {
		if t.canned {
			continue
		}
		pools[t.name] = min(int(out[t.name][wCreate].RPS*s.Duration.Seconds()*3)+s.Clients, maxPool)
		if err := prepareGroups(ctx, t, s.Clients, pools[t.name]); err != nil {
			out[t.name][wDeploy] = &loadResult{FirstError: err.Error()}
			pools[t.name] = 0
		}
	}
	for _, t := range targets {
		if pools[t.name] > 0 {
			measure(t, wDeploy, deployOp(t, pools[t.name]))
		}
	}
	return out, nil
}

func prepareRead(ctx context.Context, t *target) error {
	_, err := t.codeDeploy("us-east-1").CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("bench-read")})
	if err != nil {
		return fmt.Errorf("%s: create application: %w", t.name, err)
	}
	return nil
}

func readOp(t *target) op {
	cd := t.codeDeploy("us-east-1")
	in := &codedeploy.GetApplicationInput{ApplicationName: aws.String("bench-read")}
	return func(ctx context.Context, i int) error {
		_, err := cd.GetApplication(ctx, in)
		return t.result(err)
	}
}

// regions spread fresh applications: CodeDeploy allows 1000 per account
// and region. us-east-1 is left to the read workload's application and
// the deployment groups' applications.
var regions = []string{"us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "ap-south-1",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-east-1",
	"me-south-1", "af-south-1", "il-central-1", "ca-west-1", "mx-central-1"}

const perRegion = 990 // fresh applications per region, under the limit of 1000

func createAppOp(t *target) op {
	clients := make([]*codedeploy.Client, len(regions))
	for i, r := range regions {
		clients[i] = t.codeDeploy(r)
	}
	return func(ctx context.Context, i int) error {
		if i/perRegion >= len(clients) {
			return errExhausted
		}
		_, err := clients[i/perRegion].CreateApplication(ctx, &codedeploy.CreateApplicationInput{
			ApplicationName: aws.String(fmt.Sprintf("bench-w-%d", i))})
		return err
	}
}

// groupsPerApp is well under the limit of 1000 groups per application:
// creating a group reads the application's groups, so fuller
// applications make preparing the pool slower.
const groupsPerApp = 100

// deploysPerRegion keeps every region's deployments under CodeDeploy's
// 1,000 active per account and region even if none of them ever ends
// (the baseline has no engine), so the workload measures
// CreateDeployment, not that cap. Its 9 applications fit beside the
// CreateApplication workload's 990 in a region.
const deploysPerRegion = 900

// deployRegions hold the pool: us-east-1 (beside the read workload's
// application) and the CreateApplication workload's regions.
var deployRegions = append([]string{"us-east-1"}, regions...)

// maxPool is every region's share.
var maxPool = deploysPerRegion * len(deployRegions)

// groupName is the pool's group i: its region, application and name.
func groupName(i int) (region int, app, group string) {
	j := i % deploysPerRegion
	return i / deploysPerRegion, fmt.Sprintf("bench-d-%d", j/groupsPerApp), fmt.Sprintf("g-%d", j%groupsPerApp)
}

// deployClients are t's CodeDeploy clients of deployRegions, in order.
func deployClients(t *target) []*codedeploy.Client {
	out := make([]*codedeploy.Client, len(deployRegions))
	for i, r := range deployRegions {
		out[i] = t.codeDeploy(r)
	}
	return out
}

// prepareGroups creates the pool's first n deployment groups (not
// measured), filling one region before the next.
func prepareGroups(ctx context.Context, t *target, clients, n int) error {
	cds := deployClients(t)
	const appsPerRegion = (deploysPerRegion + groupsPerApp - 1) / groupsPerApp
	apps := (n + groupsPerApp - 1) / groupsPerApp
	res := runN(ctx, clients, apps, func(ctx context.Context, i int) error {
		_, err := cds[i/appsPerRegion].CreateApplication(ctx, &codedeploy.CreateApplicationInput{
			ApplicationName: aws.String(fmt.Sprintf("bench-d-%d", i%appsPerRegion))})
		return err
	})
	if res.Errors > 0 {
		return fmt.Errorf("prepare applications: %s", res.FirstError)
	}
	t0 := time.Now()
	res = runN(ctx, clients, n, func(ctx context.Context, i int) error {
		region, app, group := groupName(i)
		_, err := cds[region].CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String(app),
			DeploymentGroupName: aws.String(group), ServiceRoleArn: aws.String("arn:aws:iam::" + benchAccount + ":role/CodeDeploy")})
		return err
	})
	if res.Errors > 0 {
		return fmt.Errorf("prepare deployment groups: %s", res.FirstError)
	}
	log.Printf("  prepared %d deployment groups in %d regions in %v", n, (n+deploysPerRegion-1)/deploysPerRegion,
		time.Since(t0).Round(time.Millisecond))
	return nil
}

// deployOp deploys into the pool's groups in order. A refusal (such as
// DeploymentLimitExceededException) counts as an error, apart from the
// successful calls that make the rate and latency.
func deployOp(t *target, pool int) op {
	cds := deployClients(t)
	return func(ctx context.Context, i int) error {
		if i >= pool {
			return errExhausted
		}
		region, app, group := groupName(i)
		_, err := cds[region].CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(app),
			DeploymentGroupName: aws.String(group), Revision: s3Revision("bench-artifacts", "v1.zip")})
		return err
	}
}

// s3Revision is a zip bundle in a bucket.
func s3Revision(bucket, key string) *types.RevisionLocation {
	return &types.RevisionLocation{RevisionType: types.RevisionLocationTypeS3, S3Location: &types.S3Location{
		Bucket: aws.String(bucket), Key: aws.String(key), BundleType: types.BundleTypeZip}}
}

func statSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
