package apptest_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/validate"
)

// publicKeyLookup fetches the region's public keys with ListPublicKeys, as
// a validator does, and looks them up by fingerprint.
func publicKeyLookup(t *testing.T, ct *cloudtrail.Client, start, end time.Time) func(string) ([]byte, bool) {
	t.Helper()
	out, err := ct.ListPublicKeys(ctx, &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(start), EndTime: aws.Time(end)})
	fatalIf(t, err)
	keys := map[string][]byte{}
	for _, k := range out.PublicKeyList {
		if digest.Fingerprint(k.Value) != aws.ToString(k.Fingerprint) {
			t.Errorf("key %s: fingerprint is not the MD5 of its value", aws.ToString(k.Fingerprint))
		}
		if !strings.HasPrefix(base64.StdEncoding.EncodeToString(k.Value), "MIIBCgKCAQEA") {
			t.Errorf("key %s is not a PKCS#1 RSA-2048 public key", aws.ToString(k.Fingerprint))
		}
		keys[aws.ToString(k.Fingerprint)] = k.Value
	}
	return func(fp string) ([]byte, bool) { k, ok := keys[fp]; return k, ok }
}

func TestDigests(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second), apptest.WithDigestInterval(2*time.Second))
	createBucket(t, srv, trailBucket)
	ct, cd := srv.CloudTrail(srv.Root), srv.CodeDeploy(srv.Root)
	begin := time.Now().UTC().Add(-time.Minute)
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket),
		EnableLogFileValidation: aws.Bool(true)})
	fatalIf(t, err)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)
	for i := range 3 {
		_, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("app" + string(rune('a'+i)))})
		fatalIf(t, err)
		time.Sleep(2 * time.Second)
	}
	// A stop and a restart: the old chain ends, a new one starts.
	_, err = ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)
	time.Sleep(2 * time.Second)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)
	time.Sleep(4 * time.Second)

	st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	fatalIf(t, err)
	if st.LatestDigestDeliveryTime == nil || aws.ToString(st.LatestDigestDeliveryError) != "" {
		t.Errorf("status: LatestDigestDeliveryTime=%v LatestDigestDeliveryError=%q", st.LatestDigestDeliveryTime, aws.ToString(st.LatestDigestDeliveryError))
	}

	report, stored := checkChain(t, srv, begin)
	digests, logs, starts := 0, 0, 0
	for _, r := range report.Results {
		switch r.Kind {
		case validate.KindDigest:
			digests++
		case validate.KindLog:
			logs++
		}
	}
	for _, d := range stored {
		if d.IsStart() {
			starts++
		}
		if d.meta[digest.MetaSignatureAlgorithm] != "SHA256withRSA" || len(d.meta[digest.MetaSignature]) != 512 {
			t.Errorf("digest %s metadata %v", d.Object, d.meta)
		}
	}
	if digests < 3 || logs < 3 || starts != 2 {
		t.Errorf("%d digests (%d starting, want 2: one per logging period), %d log files checked", digests, starts, logs)
	}
}

// storedDigest is a digest as read back from the bucket.
type storedDigest struct {
	*digest.Digest
	meta map[string]string
}

// checkChain validates the us-east-1 chain of the root's trail "main"
// from begin on, with the keys ListPublicKeys lists, failing the test on
// any file not valid, and reads every digest back.
func checkChain(t *testing.T, srv *apptest.Server, begin time.Time) (*validate.Report, []storedDigest) {
	t.Helper()
	b, err := srv.App.Buckets.Bucket(trailBucket)
	fatalIf(t, err)
	end := time.Now().UTC().Add(time.Minute)
	report, err := validate.Run(ctx, validate.Config{Bucket: b, BucketName: trailBucket,
		TrailARN: "arn:aws:cloudtrail:us-east-1:" + srv.Account() + ":trail/main", Accounts: []string{srv.Account()},
		Regions: []string{"us-east-1"}, Start: begin, End: end,
		PublicKey: publicKeyLookup(t, srv.CloudTrail(srv.Root), begin, end.Add(2*time.Hour))})
	fatalIf(t, err)
	for _, r := range report.Results {
		if r.Status.Failed() {
			t.Errorf("%s", r)
		}
	}
	if !report.Summary.OK() {
		t.Errorf("validation failed: %v", report.Summary.Lines())
	}
	list, err := b.List(ctx, "AWSLogs/"+srv.Account()+"/CloudTrail-Digest/", "", 0)
	fatalIf(t, err)
	var stored []storedDigest
	for _, o := range list {
		obj, err := b.Get(ctx, o.Key)
		fatalIf(t, err)
		d, _, err := digest.Parse(obj.Body)
		fatalIf(t, err)
		stored = append(stored, storedDigest{d, obj.Metadata})
	}
	return report, stored
}

// A restart of the server and rotations of the signing key neither fork
// nor restart the chain: one starting digest, every link valid, digests
// signed by several keys that ListPublicKeys lists.
func TestDigests_RestartAndKeyRotation(t *testing.T) {
	dir := t.TempDir()
	opts := []apptest.Option{apptest.WithDeliveryInterval(time.Second), apptest.WithDigestInterval(time.Second),
		apptest.WithSigningKeyRotation(3 * time.Second)}
	srv := apptest.StartIn(t, dir, opts...)
	root := srv.Root
	createBucket(t, srv, trailBucket)
	begin := time.Now().UTC().Add(-time.Minute)
	ct := srv.CloudTrail(root)
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket),
		EnableLogFileValidation: aws.Bool(true)})
	fatalIf(t, err)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)
	call := func(s *apptest.Server, name string) {
		_, err := s.CodeDeploy(root).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(name)})
		fatalIf(t, err)
	}
	for i := range 4 {
		call(srv, fmt.Sprintf("before-%d", i))
		time.Sleep(time.Second)
	}
	srv.Stop()
	srv = apptest.StartIn(t, dir, opts...)
	for i := range 4 {
		call(srv, fmt.Sprintf("after-%d", i))
		time.Sleep(time.Second)
	}
	time.Sleep(2 * time.Second)

	srv.Root = root // a restart does not announce the key again
	_, stored := checkChain(t, srv, begin)
	starts, fingerprints := 0, map[string]bool{}
	for _, d := range stored {
		if d.IsStart() {
			starts++
		}
		fingerprints[d.PublicKeyFingerprint] = true
	}
	if starts != 1 || len(fingerprints) < 2 || len(stored) < 6 {
		t.Errorf("%d digests, %d starting (want 1), signed by %d keys (want several)", len(stored), starts, len(fingerprints))
	}
}
