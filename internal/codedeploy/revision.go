package codedeploy

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

var (
	githubRepoPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	commitPattern     = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)
)

// checkRevision validates a revision location for a compute platform
// (spec §7.1) and fills the sha256 of inline content. Missing →
// RevisionRequiredException; inconsistent → InvalidRevisionException.
func checkRevision(rev *RevisionLocation, platform string) error {
	if rev == nil || rev.RevisionType == "" {
		return errorf(CodeRevisionRequired, "Revision is required.")
	}
	invalid := func(msg string) error { return errorf(CodeInvalidRevision, "%s", msg) }
	switch rev.RevisionType {
	case "S3":
		return checkS3Revision(rev.S3Location, platform)
	case "GitHub":
		g := rev.GitHubLocation
		if platform != PlatformServer {
			return invalid("GitHub revisions are only supported for the Server compute platform.")
		}
		if g == nil || !githubRepoPattern.MatchString(g.Repository) || !commitPattern.MatchString(g.CommitID) {
			return invalid("A GitHub revision needs a repository of the form owner/repository and a commit id.")
		}
	case "String", "AppSpecContent":
		content := rev.String
		if rev.RevisionType == "AppSpecContent" {
			content = rev.AppSpecContent
		}
		if platform == PlatformServer {
			return invalid(rev.RevisionType + " revisions are only supported for the Lambda and ECS compute platforms.")
		}
		if content == nil || content.Content == "" {
			return invalid("The revision content is missing.")
		}
		sum := sha256.Sum256([]byte(content.Content))
		content.Sha256 = hex.EncodeToString(sum[:])
	default:
		return invalid("Unknown revision type: " + rev.RevisionType)
	}
	return nil
}

func checkS3Revision(loc *S3Location, platform string) error {
	if loc == nil || loc.Bucket == "" || loc.Key == "" {
		return errorf(CodeInvalidRevision, "An S3 revision needs a bucket and a key.")
	}
	switch strings.ToLower(loc.BundleType) {
	case "tar", "tgz", "zip":
		if platform != PlatformServer {
			return errorf(CodeInvalidRevision, "Bundle type %s is only supported for the Server compute platform.", loc.BundleType)
		}
	case "yaml", "json":
		if platform == PlatformServer {
			return errorf(CodeInvalidRevision, "Bundle type %s is only supported for the Lambda and ECS compute platforms.", loc.BundleType)
		}
	case "":
		if platform == PlatformServer {
			return errorf(CodeInvalidRevision, "The bundle type of an S3 revision is required: tar, tgz or zip.")
		}
	default:
		return errorf(CodeInvalidRevision, "Unknown bundle type: %s", loc.BundleType)
	}
	return nil
}

// revisionKey identifies a registered revision by its full location
// (spec §7.2): the same location always gives the same key.
func revisionKey(rev *RevisionLocation) string {
	switch rev.RevisionType {
	case "S3":
		l := rev.S3Location
		return strings.Join([]string{"S3", l.Bucket, l.Key, l.BundleType, l.Version, strings.Trim(l.ETag, `"`)}, "\x00")
	case "GitHub":
		return "GitHub\x00" + rev.GitHubLocation.Repository + "\x00" + rev.GitHubLocation.CommitID
	case "String":
		return "String\x00" + rev.String.Sha256
	}
	return "AppSpecContent\x00" + rev.AppSpecContent.Sha256
}
