package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// loadAWSConfig loads the SDK configuration the client commands sign with,
// as the AWS CLI finds it (environment, AWS_PROFILE or profile, shared
// files), and checks up front that it holds credentials. EC2 instance
// metadata is never asked: no deploytrail server serves it, and its
// timeout-then-IMDS error would hide the real advice.
func loadAWSConfig(ctx context.Context, command, profile string, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("%s: load AWS configuration: %w", command, err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return cfg, fmt.Errorf("%s: no AWS credentials to sign with. %s", command, credentialsHint())
	}
	return cfg, nil
}

// credentialsHint tells where the server's own profile is: the server
// writes its root key to <data>/credentials (profile deploytrail) on its
// first start.
func credentialsHint() string {
	dir := os.Getenv("DEPLOYTRAIL_DATA")
	if dir == "" {
		dir = "./deploytrail-data"
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	creds, conf := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	hint := fmt.Sprintf("The server wrote its root profile on its first start; use it with\n  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_CONFIG_FILE=%s AWS_PROFILE=deploytrail\n", creds, conf)
	if _, err := os.Stat(creds); err != nil {
		hint += "(no " + creds + " here: point at the server's data directory, DEPLOYTRAIL_DATA or --data)\n"
	}
	return hint + "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile"
}
