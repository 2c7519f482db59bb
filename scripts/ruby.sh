#!/usr/bin/env bash
# Makes sure Debian's Ruby and the packages AWS's CodeDeploy agent needs
# (../shared/third_party/README.md) are installed, installing the missing
# ones with apt-get (as root, or through sudo). Prints nothing on success
# when everything is there already.
set -euo pipefail

PACKAGES=(ruby ruby-aws-sdk-core ruby-aws-sdk-s3 ruby-zip ruby-minitar ruby-logging ruby-concurrent ruby-json)

have_all() {
	command -v ruby >/dev/null &&
		ruby -e 'require "aws-sdk-core"; require "aws-sdk-s3"; require "zip"; require "archive/tar/minitar"; require "logging"; require "concurrent"; require "json"' 2>/dev/null
}

have_all && exit 0
command -v apt-get >/dev/null || { echo "ruby.sh: Ruby or the agent's gems are missing and there is no apt-get; install: ${PACKAGES[*]}" >&2; exit 1; }
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
echo "ruby.sh: installing ${PACKAGES[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}" >&2 ||
	{ "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}" >&2; }
have_all || { echo "ruby.sh: the agent's Ruby packages still do not load" >&2; exit 1; }
