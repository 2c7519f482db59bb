package policy

import "strings"

// validateAction checks an Action or NotAction entry: "*" or
// "vendor:pattern" with exactly one colon.
func validateAction(a string) error {
	if a == "*" {
		return nil
	}
	switch strings.Count(a, ":") {
	case 0:
		return malformed(MsgVendor)
	case 1:
	default:
		return malformed(MsgOneColon)
	}
	vendor, _, _ := strings.Cut(a, ":")
	if vendor != "*" && !isVendor(vendor) {
		return malformed("Vendor %s is not valid", vendor)
	}
	return nil
}

// isVendor reports whether s looks like a service prefix ("codedeploy",
// "sts", "execute-api"): letters, digits, '-' and '.'.
func isVendor(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !isAlnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// partitions are the AWS partitions a resource ARN may name.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true,
	"aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

// validateResource checks a Resource or NotResource entry: "*" or an ARN
// whose partition and service are spelled out. Region, account and
// resource may hold wildcards and policy variables.
func validateResource(r string) error {
	if r == "*" {
		return nil
	}
	parts := strings.SplitN(r, ":", 5)
	if len(parts) < 2 || parts[0] != "arn" {
		return malformed("Resource %s must be in ARN format or \"*\".", r)
	}
	if !partitions[parts[1]] {
		return malformed("Partition \"%s\" is not valid for resource \"%s\".", parts[1], r)
	}
	if len(parts) < 3 || !isVendor(parts[2]) {
		return malformed(MsgResourceVendor)
	}
	// IAM's legacy parser splits on "::" when there are too few colons to
	// hold all six ARN fields; such ARNs are refused.
	if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
		return malformed(MsgLegacyParsing)
	}
	if parts[2] == "iam" && len(parts) > 3 && parts[3] != "" {
		return malformed("IAM resource %s cannot contain region information.", r)
	}
	return nil
}
