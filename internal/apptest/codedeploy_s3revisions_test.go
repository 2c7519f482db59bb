package apptest_test

import (
	"crypto/rand"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// putRevisionObject creates bucket in the server's bucket store and puts
// body under key, as `aws s3 cp` would before `aws deploy create-deployment`.
func putRevisionObject(t *testing.T, srv *apptest.Server, bucket, key string, body []byte) {
	t.Helper()
	b, err := srv.App.Buckets.Bucket(bucket)
	fatalIf(t, err)
	fatalIf(t, b.Create(ctx))
	fatalIf(t, b.Put(ctx, key, body, objstore.PutOptions{ContentType: "application/zip"}))
}

// TestCreateDeployment_S3Object: CreateDeployment looks an S3 revision's
// object up in the bucket store (issue 12 item 4) on the default fs store.
func TestCreateDeployment_S3Object(t *testing.T) {
	srv, c := deployEnv(t, "web-1")
	checkS3Object(t, srv, c, "revisions")
}

// TestCreateDeployment_S3ObjectMinIO is the same against a real MinIO.
func TestCreateDeployment_S3ObjectMinIO(t *testing.T) {
	endpoint := os.Getenv("DEPLOYTRAIL_TEST_S3_ENDPOINT")
	if endpoint == "" {
		t.Skip("DEPLOYTRAIL_TEST_S3_ENDPOINT is not set: start MinIO with scripts/minio.sh (make test does)")
	}
	srv, c := startCodeDeploy(t, apptest.WithoutEngine(), func(cfg *app.Config) {
		cfg.S3Endpoint, cfg.S3Region = endpoint, "us-east-1"
		cfg.S3AccessKeyID = os.Getenv("DEPLOYTRAIL_TEST_S3_ACCESS_KEY_ID")
		cfg.S3SecretAccessKey = os.Getenv("DEPLOYTRAIL_TEST_S3_SECRET_ACCESS_KEY")
	})
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	registerTagged(t, c, testTags("env", "prod"), "web-1")
	run := strings.ToLower(rand.Text()[:12])
	checkS3Object(t, srv, c, "revisions-"+run)
	t.Run("Version", func(t *testing.T) { checkS3Version(t, srv, c, endpoint, "versioned-"+run) })
}

// checkS3Version: on a versioned MinIO bucket, a revision's version must
// exist and its eTag is compared with that version's.
func checkS3Version(t *testing.T, srv *apptest.Server, c *codedeploy.Client, endpoint, bucket string) {
	s3c := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("DEPLOYTRAIL_TEST_S3_ACCESS_KEY_ID"),
			os.Getenv("DEPLOYTRAIL_TEST_S3_SECRET_ACCESS_KEY"), "")})
	b, err := srv.App.Buckets.Bucket(bucket)
	fatalIf(t, err)
	fatalIf(t, b.Create(ctx))
	_, err = s3c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	fatalIf(t, err)
	fatalIf(t, b.Put(ctx, "v.zip", []byte("first"), objstore.PutOptions{}))
	first, err := b.Head(ctx, "v.zip")
	fatalIf(t, err)
	fatalIf(t, b.Put(ctx, "v.zip", []byte("second"), objstore.PutOptions{}))
	create := func(version, etag string) (string, error) {
		in := depInput()
		in.Revision = s3Revision(bucket, "v.zip")
		in.Revision.S3Location.Version, in.Revision.S3Location.ETag = aws.String(version), aws.String(etag)
		out, err := c.CreateDeployment(ctx, in)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.DeploymentId), nil
	}
	_, err = create("00000000-0000-0000-0000-000000000000", "")
	if msg := wantCode(t, err, "RevisionDoesNotExistException"); !strings.Contains(msg, "Version") {
		t.Errorf("message=%q, want it to name the version", msg)
	}
	_, err = create(first.VersionID, strings.Trim(objstore.ETagOf([]byte("second")), `"`))
	wantCode(t, err, "InvalidRevisionException") // the current object's eTag, not this version's
	id, err := create(first.VersionID, strings.Trim(first.ETag, `"`))
	fatalIf(t, err)
	stopDep(t, c, id)
}

func checkS3Object(t *testing.T, srv *apptest.Server, c *codedeploy.Client, bucket string) {
	bundle := []byte("PK\x05\x06" + strings.Repeat("\x00", 18)) // an empty zip
	putRevisionObject(t, srv, bucket, "v1.zip", bundle)
	etag := strings.Trim(objstore.ETagOf(bundle), `"`) // as `aws deploy push` registers it
	deploy := func(bucket, key, etag string) (string, error) {
		in := depInput()
		in.Revision = s3Revision(bucket, key)
		if etag != "" {
			in.Revision.S3Location.ETag = aws.String(etag)
		}
		out, err := c.CreateDeployment(ctx, in)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.DeploymentId), nil
	}
	create := func(key, etag string) error { _, err := deploy(bucket, key, etag); return err }
	accepted := func(bucket, key, etag string) {
		t.Helper()
		id, err := deploy(bucket, key, etag)
		fatalIf(t, err)
		stopDep(t, c, id)
	}

	msg := wantCode(t, create("missing.zip", ""), "RevisionDoesNotExistException")
	if !strings.Contains(msg, "s3://"+bucket+"/missing.zip") {
		t.Errorf("message=%q, want it to name s3://%s/missing.zip", msg, bucket)
	}
	msg = wantCode(t, create("v1.zip", "0123456789abcdef0123456789abcdef"), "InvalidRevisionException")
	if !strings.Contains(msg, "eTag") {
		t.Errorf("message=%q, want it to name the eTag", msg)
	}
	// The refusals changed nothing: the group has no deployment.
	if out, err := c.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("app"),
		DeploymentGroupName: aws.String("dg")}); err != nil || len(out.Deployments) != 0 {
		t.Fatalf("ListDeployments=%v, %v, want none after refused creates", out, err)
	}
	// Request errors come first: an unknown application wins over a missing object.
	in := depInput()
	in.ApplicationName, in.Revision = aws.String("nope"), s3Revision(bucket, "missing.zip")
	_, err := c.CreateDeployment(ctx, in)
	wantCode(t, err, "ApplicationDoesNotExistException")

	accepted(bucket, "v1.zip", etag)
	accepted(bucket, "v1.zip", `"`+etag+`"`) // quoted, as S3 returns it
	accepted(bucket, "v1.zip", "")           // no eTag: no check
	// A bucket the store does not hold may live elsewhere: the agent
	// reports a missing bundle later.
	accepted(bucket+"-elsewhere", "v1.zip", "")
}

// TestCreateDeployment_S3StoreUnreachable: a bucket store that cannot be
// reached does not block deployments; the agent reports a missing bundle.
func TestCreateDeployment_S3StoreUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	fatalIf(t, err)
	closed := "http://" + l.Addr().String()
	fatalIf(t, l.Close())
	_, c := startCodeDeploy(t, apptest.WithoutEngine(), func(cfg *app.Config) {
		cfg.S3Endpoint, cfg.S3Region = closed, "us-east-1"
		cfg.S3AccessKeyID, cfg.S3SecretAccessKey = "AKIAEXAMPLE", "not-a-secret-nothing-listens"
	})
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	registerTagged(t, c, testTags("env", "prod"), "web-1")
	start := time.Now()
	in := depInput()
	in.Revision.S3Location.ETag = aws.String("0123456789abcdef0123456789abcdef")
	_, err = c.CreateDeployment(ctx, in)
	fatalIf(t, err)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("CreateDeployment took %v with the store down, want the look-up bounded", took)
	}
}
