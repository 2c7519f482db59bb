package apptest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
)

// listTokenNames pages through ListGitHubAccountTokenNames (the SDK has no
// paginator for it) and returns the names and the number of pages.
func listTokenNames(tb testing.TB, c *codedeploy.Client) (names []string, pages int) {
	tb.Helper()
	return pageByToken(tb, func(next *string) ([]string, *string, error) {
		out, err := c.ListGitHubAccountTokenNames(ctx, &codedeploy.ListGitHubAccountTokenNamesInput{NextToken: next})
		if err != nil {
			return nil, nil, err
		}
		return out.TokenNameList, out.NextToken, nil
	})
}

func TestCodeDeployGitHubTokens(t *testing.T) {
	srv, c := startCodeDeploy(t)
	db, scope := codeDeployStore(srv)
	var want []string
	for i := range 120 {
		name := fmt.Sprintf("token-%03d", 119-i)
		fatalIf(t, db.PutGitHubToken(ctx, scope, name, "secret"))
		want = append(want, name)
	}
	slices.Sort(want)

	if got, pages := listTokenNames(t, c); pages != 2 || !slices.Equal(got, want) {
		t.Fatalf("pages=%d names=%v, want 2 pages of %v", pages, got, want)
	}
	_, err := c.ListGitHubAccountTokenNames(ctx, &codedeploy.ListGitHubAccountTokenNamesInput{NextToken: aws.String("dG9rZW4.AAAA")})
	wantCode(t, err, "InvalidNextTokenException")

	t.Run("Delete", func(t *testing.T) {
		out, err := c.DeleteGitHubAccountToken(ctx, &codedeploy.DeleteGitHubAccountTokenInput{TokenName: aws.String("token-000")})
		fatalIf(t, err)
		if got := aws.ToString(out.TokenName); got != "token-000" {
			t.Fatalf("TokenName=%q, want token-000", got)
		}
		if got, _ := listTokenNames(t, c); slices.Contains(got, "token-000") || len(got) != 119 {
			t.Fatalf("names=%v, want 119 without token-000", got)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for name, code := range map[string]string{"token-000": "GitHubAccountTokenDoesNotExistException", "": "GitHubAccountTokenNameRequiredException"} {
			_, err := c.DeleteGitHubAccountToken(ctx, &codedeploy.DeleteGitHubAccountTokenInput{TokenName: aws.String(name)})
			wantCode(t, err, code)
		}
		_, err := c.DeleteGitHubAccountToken(ctx, &codedeploy.DeleteGitHubAccountTokenInput{})
		wantCode(t, err, "GitHubAccountTokenNameRequiredException")
	})
	t.Run("OtherRegion", func(t *testing.T) {
		cfg := srv.Config(srv.Root)
		cfg.Region = "eu-west-1"
		if got, _ := listTokenNames(t, codedeploy.NewFromConfig(cfg)); len(got) != 0 {
			t.Fatalf("names=%v in eu-west-1, want none", got)
		}
	})
}

func TestCodeDeployDeleteResourcesByExternalID(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "web", "")
	noErr(t)(c.DeleteResourcesByExternalId(ctx, &codedeploy.DeleteResourcesByExternalIdInput{ExternalId: aws.String("stack-1")}))
	noErr(t)(c.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("web")}))
}
