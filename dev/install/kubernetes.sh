#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl of one Kubernetes release from the
# Go module proxy (no prebuilt binaries can be fetched here).
# Usage: kubernetes.sh <version, e.g. v1.36.3> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
minor_version="v0.${version#v1.}"          # staging modules are versioned v0.<minor>.<patch>
major="1"; minor="$(echo "$version" | cut -d. -f2)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"

go mod init parley.dev/kubernetes-build >/dev/null
gomod="$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
# kubernetes' go.mod names its staging modules at v0.0.0 and replaces them with local paths;
# a module that requires kubernetes must replace each with its published version instead.
{
  echo "require k8s.io/kubernetes ${version}"
  grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk -v v="$minor_version" '{print "replace " $1 " => " $1 " " v}'
} >> go.mod

# KUBE_PACKAGES: other commands of the same release (kube-scheduler.sh builds the scheduler so).
packages="${KUBE_PACKAGES:-k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl}"
go get $(for pkg in $packages; do echo "$pkg@$version"; done)
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
done
mkdir -p "$dest/bin"
for pkg in $packages; do
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dest/bin/$(basename "$pkg")" "$pkg"
done
