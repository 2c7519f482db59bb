#!/usr/bin/env bash
# End-to-end walk-through with the AWS CLI against a running deploytrail.
# Expects AWS_ENDPOINT_URL, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE
# (as `deploytrail serve` prints them), AWS_PROFILE=deploytrail, a fresh
# server, and deploytrail on PATH. It first runs README.md's marked shell
# blocks as written, then its own steps. Every step checks what a user
# would check; the first failure stops it.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the server}" "${AWS_CONFIG_FILE:?set AWS_CONFIG_FILE as the server printed it}"
export AWS_PROFILE="${AWS_PROFILE:-deploytrail}" AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '== %s (at %ds)\n' "$*" "$SECONDS"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# expect_error CODE CMD...: the command must fail with that AWS error code.
expect_error() {
	local code=$1; shift
	if "$@" >"$work/out" 2>"$work/err"; then fail "$* succeeded, want $code"; fi
	grep -q "($code)" "$work/err" || fail "$* failed with $(cat "$work/err"), want $code"
}
# as NAME CMD...: run aws with the credentials saved under NAME.
as() {
	local name=$1 session; shift
	session=$(jq -r '.SessionToken // empty' "$work/$name.json")
	env -u AWS_PROFILE -u AWS_SESSION_TOKEN \
		AWS_ACCESS_KEY_ID="$(jq -r .AccessKeyId "$work/$name.json")" \
		AWS_SECRET_ACCESS_KEY="$(jq -r .SecretAccessKey "$work/$name.json")" \
		${session:+AWS_SESSION_TOKEN="$session"} \
		AWS_DEFAULT_REGION=us-east-1 aws "$@"
}

# readme_script NAME prints the README's sh blocks marked
# <!-- e2e-cli: NAME --> as one script, in order: each command as written
# (the server's endpoint for 127.0.0.1:4590); a command followed by the
# comment "# An error occurred (CODE)" must fail with that code.
readme_script() {
	printf 'work=%q\nfail() { printf "FAIL: README %%s: %%s\\n" %q "$*" >&2; exit 1; }\n' "$work" "$1"
	awk -v mark="<!-- e2e-cli: $1 -->" '
		function emit(code) {
			if (pending == "") return
			n++
			if (code == "") print pending
			else printf "if { %s\n} >\"$work/out\" 2>\"$work/err\"; then fail \"command %d succeeded, want %s\"; fi\ngrep -q \"(%s)\" \"$work/err\" || fail \"command %d: $(cat \"$work/err\"), want %s\"\n", pending, n, code, code, n, code
			pending = ""
		}
		$0 == mark { found = 1; next }
		found && !inside && /^```sh$/ { inside = 1; next }
		!inside { next }
		/^```$/ { emit(""); done = 1; inside = 0; found = 0; next }
		cur != "" { cur = cur "\n" $0; if ($0 !~ /\\$/) { pending = cur; cur = "" }; next }
		match($0, /^# An error occurred \([A-Za-z]+\)/) { emit(substr($0, 22, RLENGTH - 22)); next }
		{ emit("") }
		/^[ \t]*(#.*)?$/ { next }
		/\\$/ { cur = $0; next }
		{ pending = $0 }
		END { if (!done) exit 1 }
	' "$readme" | sed "s#http://127.0.0.1:4590#$AWS_ENDPOINT_URL#g"
}
# readme_run NAME [ENV...] runs those blocks with bash -euo pipefail, in a
# directory whose deploytrail-data is the server's, as the README assumes.
readme_run() {
	local name=$1; shift
	readme_script "$name" >"$work/readme-$name.sh" || fail "README.md has no block marked e2e-cli: $name"
	(cd "$work/readme" && env "$@" bash -euo pipefail "$work/readme-$name.sh") || fail "README block $name"
}

step "README: the commands of a first session, as written"
readme=$(cd "$(dirname "$0")/.." && pwd)/README.md
mkdir "$work/readme"
ln -s "$(dirname "$AWS_CONFIG_FILE")" "$work/readme/deploytrail-data"
readme_run first-session
step "README: an AWS CLI without AWS_ENDPOINT_URL support, with --endpoint-url"
readme_run old-cli -u AWS_ENDPOINT_URL
[ "$(aws deploy get-on-premises-instance --instance-name web-04 --query instanceInfo.tags[0].Value --output text)" = staging ] \
	|| fail "web-04 registered with its tags"
step "README: trails"
command -v deploytrail >/dev/null || fail "deploytrail is not on PATH: go install ./cmd/deploytrail"
readme_run trails
[ "$(aws cloudtrail get-trail-status --name main --query IsLogging --output text)" = True ] || fail "trail main logging"

step "root identity"
acct=$(aws sts get-caller-identity --query Account --output text)
[ "$(aws sts get-caller-identity --query Arn --output text)" = "arn:aws:iam::$acct:root" ] || fail "root ARN"

step "a user with a policy is allowed and denied exactly as the policy says"
aws iam create-user --user-name ann >/dev/null
aws iam put-user-policy --user-name ann --policy-name list-and-assume --policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","sts:AssumeRole"],"Resource":"*"},{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}'
aws iam create-access-key --user-name ann --query AccessKey >"$work/ann.json"
[ "$(as ann sts get-caller-identity --query Arn --output text)" = "arn:aws:iam::$acct:user/ann" ] || fail "ann ARN"
as ann iam list-users --query 'Users[].UserName' --output text | tr '\t' '\n' | grep -qx ann || fail "ann cannot list users"
expect_error AccessDenied as ann iam create-user --user-name bob
grep -q "because no identity-based policy allows the iam:CreateUser action" "$work/err" || fail "denial wording: $(cat "$work/err")"
expect_error AccessDenied as ann iam list-roles
grep -q "with an explicit deny in an identity-based policy" "$work/err" || fail "explicit deny wording"
[ "$(aws iam get-user-policy --user-name ann --policy-name list-and-assume --query PolicyDocument.Version --output text)" = "2012-10-17" ] \
	|| fail "the CLI cannot decode the URL-encoded policy document"

step "assume a role in the same account"
aws iam create-role --role-name reader --assume-role-policy-document \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$acct:user/ann\"},\"Action\":\"sts:AssumeRole\"}]}" >/dev/null
aws iam attach-role-policy --role-name reader --policy-arn arn:aws:iam::aws:policy/IAMReadOnlyAccess
as ann sts assume-role --role-arn "arn:aws:iam::$acct:role/reader" --role-session-name cli-session --query Credentials >"$work/reader.json"
[ "$(as reader sts get-caller-identity --query Arn --output text)" = "arn:aws:sts::$acct:assumed-role/reader/cli-session" ] || fail "assumed-role ARN"
as reader iam get-role --role-name reader >/dev/null
expect_error AccessDenied as reader iam delete-role --role-name reader

step "assume a role across accounts created with Organizations"
# The README's session created the organization.
aws organizations describe-organization --query Organization.FeatureSet --output text | grep -qx ALL || fail "organization"
status=$(aws organizations create-account --email member@example.com --account-name member --query CreateAccountStatus)
member=$(echo "$status" | jq -r .AccountId)
[ "$(echo "$status" | jq -r .State)" = SUCCEEDED ] || fail "create-account: $status"
aws organizations describe-create-account-status --create-account-request-id "$(echo "$status" | jq -r .Id)" >/dev/null
aws organizations list-accounts --query 'Accounts[].Id' --output text | grep -q "$member" || fail "member not listed"
expect_error AccessDenied aws sts assume-role --role-arn "arn:aws:iam::$member:role/OrganizationAccountAccessRole" --role-session-name root
aws iam create-user --user-name orgadmin >/dev/null
aws iam attach-user-policy --user-name orgadmin --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam create-access-key --user-name orgadmin --query AccessKey >"$work/orgadmin.json"
as orgadmin sts assume-role --role-arn "arn:aws:iam::$member:role/OrganizationAccountAccessRole" --role-session-name ops --query Credentials >"$work/member.json"
[ "$(as member sts get-caller-identity --query Account --output text)" = "$member" ] || fail "cross-account identity"
as member iam create-user --user-name member-user >/dev/null
aws iam list-users --query 'Users[].UserName' --output text | grep -q member-user && fail "the management account sees the member's user"
# The role trusts the management account: only its principals whose own
# policies allow sts:AssumeRole get in (reader's do not).
expect_error AccessDenied as reader sts assume-role --role-arn "arn:aws:iam::$member:role/OrganizationAccountAccessRole" --role-session-name nope

step "AWS error codes for bad credentials"
jq '.SecretAccessKey = "wrongwrongwrongwrongwrongwrongwrongwrong"' "$work/ann.json" >"$work/forged.json"
expect_error SignatureDoesNotMatch as forged iam list-users
jq '.AccessKeyId = "AKIAAAAAAAAAAAAAAAAA"' "$work/ann.json" >"$work/unknown.json"
expect_error InvalidClientTokenId as unknown iam list-users
expect_error UnrecognizedClientException as unknown organizations describe-organization
jq '.SessionToken = "forged"' "$work/reader.json" >"$work/badtoken.json"
expect_error InvalidClientTokenId as badtoken sts get-caller-identity

step "CodeDeploy: application, config, group with tag filters, revision, instances, deployment"
aws deploy create-application --application-name web --query applicationId --output text | grep -Eq '^[0-9a-f-]{36}$' || fail "applicationId"
expect_error ApplicationAlreadyExistsException aws deploy create-application --application-name web
aws deploy create-deployment-config --deployment-config-name two-healthy \
	--minimum-healthy-hosts type=HOST_COUNT,value=1 >/dev/null
aws iam create-role --role-name deployer --assume-role-policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}' >/dev/null
aws deploy create-deployment-group --application-name web --deployment-group-name prod \
	--service-role-arn "arn:aws:iam::$acct:role/deployer" --deployment-config-name two-healthy \
	--on-premises-instance-tag-filters Key=env,Value=prod,Type=KEY_AND_VALUE >/dev/null
[ "$(aws deploy get-deployment-group --application-name web --deployment-group-name prod \
	--query deploymentGroupInfo.deploymentStyle.deploymentType --output text)" = IN_PLACE ] || fail "group defaults"
aws deploy register-application-revision --application-name web --description "v1" \
	--s3-location bucket=releases,key=web-1.zip,bundleType=zip
[ "$(aws deploy get-application-revision --application-name web --s3-location bucket=releases,key=web-1.zip,bundleType=zip \
	--query revisionInfo.description --output text)" = v1 ] || fail "revision description"
for host in web-01 web-02; do
	aws iam create-user --user-name "$host" >/dev/null
	aws deploy register-on-premises-instance --instance-name "$host" --iam-user-arn "arn:aws:iam::$acct:user/$host"
done
aws deploy add-tags-to-on-premises-instances --instance-names web-01 web-02 --tags Key=env,Value=prod
# The CLI's own `deploy register` creates the IAM user and key through our IAM, then registers.
(cd "$work" && aws deploy register --instance-name web-03 --tags Key=env,Value=prod >/dev/null)
# web-04, from the README, is registered too (tagged env=staging: not in the group)
[ "$(aws deploy list-on-premises-instances --registration-status Registered --query 'length(instanceNames)')" = 4 ] \
	|| fail "four registered instances"
deployment=$(aws deploy create-deployment --application-name web --deployment-group-name prod --description first \
	--s3-location bucket=releases,key=web-1.zip,bundleType=zip --query deploymentId --output text)
echo "$deployment" | grep -Eq '^d-[A-Z0-9]{9}$' || fail "deployment id $deployment"
# The engine starts it within a second; its instances wait for agents (none here).
for _ in $(seq 20); do
	info=$(aws deploy get-deployment --deployment-id "$deployment" --query deploymentInfo)
	[ "$(echo "$info" | jq -r .status)" = InProgress ] && break
	sleep 0.1
done
[ "$(echo "$info" | jq -r .status)" = InProgress ] && [ "$(echo "$info" | jq -r .creator)" = user ] \
	&& [ "$(echo "$info" | jq .deploymentOverview.Pending)" = 3 ] || fail "deployment: $info"
expect_error DeploymentLimitExceededException aws deploy create-deployment --application-name web --deployment-group-name prod \
	--s3-location bucket=releases,key=web-1.zip,bundleType=zip
aws deploy list-deployments --application-name web --deployment-group-name prod --query deployments --output text | grep -q "$deployment" \
	|| fail "list-deployments"
[ "$(aws deploy batch-get-deployments --deployment-ids "$deployment" --query 'length(deploymentsInfo)')" = 1 ] || fail "batch-get"
[ "$(aws deploy list-deployment-targets --deployment-id "$deployment" --query 'length(targetIds)')" = 3 ] || fail "targets"
aws deploy tag-resource --resource-arn "arn:aws:codedeploy:us-east-1:$acct:application:web" --tags Key=team,Value=platform
[ "$(aws deploy list-tags-for-resource --resource-arn "arn:aws:codedeploy:us-east-1:$acct:application:web" \
	--query 'Tags[0].Value' --output text)" = platform ] || fail "tags"
[ "$(aws deploy stop-deployment --deployment-id "$deployment" --query status --output text)" = Succeeded ] || fail "stop"
[ "$(aws deploy get-deployment --deployment-id "$deployment" --query deploymentInfo.status --output text)" = Stopped ] || fail "stopped"
expect_error DeploymentConfigInUseException aws deploy delete-deployment-config --deployment-config-name two-healthy
expect_error AccessDeniedException as ann deploy list-applications
aws deploy delete-deployment-group --application-name web --deployment-group-name prod >/dev/null
aws deploy delete-deployment-config --deployment-config-name two-healthy
aws deploy delete-application --application-name web
expect_error ApplicationDoesNotExistException aws deploy get-application --application-name web

step "SNS: topics, policies, subscriptions and publish"
topic=$(aws sns create-topic --name deploys --query TopicArn --output text)
[ "$topic" = "arn:aws:sns:us-east-1:$acct:deploys" ] || fail "topic arn $topic"
[ "$(aws sns create-topic --name deploys --query TopicArn --output text)" = "$topic" ] || fail "create-topic is idempotent"
expect_error InvalidParameter aws sns create-topic --name 'not a name'
aws sns set-topic-attributes --topic-arn "$topic" --attribute-name DisplayName --attribute-value Deploys
[ "$(aws sns get-topic-attributes --topic-arn "$topic" --query Attributes.DisplayName --output text)" = Deploys ] || fail "display name"
aws sns get-topic-attributes --topic-arn "$topic" --query Attributes.Policy --output text | jq -e '.Statement[0].Principal.AWS == "*"' >/dev/null \
	|| fail "default topic policy"
# By default the server refuses to send to itself, loopback, link-local and private addresses (SSRF).
expect_error InvalidParameter aws sns subscribe --topic-arn "$topic" --protocol http --notification-endpoint 'http://127.0.0.1:9/internal-admin?x=1'
expect_error InvalidParameter aws sns subscribe --topic-arn "$topic" --protocol http --notification-endpoint http://169.254.169.254/latest/meta-data/
[ "$(aws sns subscribe --topic-arn "$topic" --protocol http --notification-endpoint http://192.0.2.1:9/hook \
	--query SubscriptionArn --output text)" = "pending confirmation" ] || fail "subscribe"
[ "$(aws sns list-subscriptions-by-topic --topic-arn "$topic" --query 'Subscriptions[0].SubscriptionArn' --output text)" = PendingConfirmation ] \
	|| fail "pending subscription listed"
aws sns publish --topic-arn "$topic" --message 'web deployed' --query MessageId --output text | grep -Eq '^[0-9a-f-]{36}$' || fail "publish"
expect_error NotFound aws sns publish --topic-arn "arn:aws:sns:us-east-1:$acct:missing" --message hi
expect_error AuthorizationError as ann sns publish --topic-arn "$topic" --message hi
aws sns delete-topic --topic-arn "$topic"
[ "$(aws sns list-topics --query 'length(Topics)')" = 0 ] || fail "topic deleted"

step "CloudTrail: the public keys that sign digests"
aws cloudtrail list-public-keys --query PublicKeyList --output json | jq -e 'type == "array"' >/dev/null || fail "list-public-keys"
expect_error InvalidTimeRangeException aws cloudtrail list-public-keys --start-time 2026-01-02T00:00:00Z --end-time 2026-01-01T00:00:00Z

step "README: deploy your first revision with deploytrail agent, as written"
# Last: its instance is tagged app=hello, so the groups above never saw it.
# The walkthrough keeps the bundle in deploytrail's own S3 and starts the
# agent, which it stops when it ends.
readme_run first-revision
[ "$(cat "$work/readme/www/index.html")" = "Hello from deploytrail" ] || fail "walkthrough: www/index.html not installed"
grep -Eqx 'AfterInstall ran for d-[A-Z0-9]{9}' "$work/readme/hooks.log" || fail "walkthrough: the AfterInstall hook: $(cat "$work/readme/hooks.log")"
[ "$(stat -c %a "$work/readme/host" "$work/readme/host/codedeploy.onpremises.yml" | tr '\n' ' ')" = "700 600 " ] || fail "walkthrough: the host's key is readable by others"

echo "e2e-cli: all steps passed"
