#!/usr/bin/env bash
# Builds FerretDB 1.x (a MongoDB wire-protocol server over PostgreSQL) from the Go module proxy.
# `go install` of its cmd fails (replace directives / build tags), so a small main program embeds
# the public package github.com/FerretDB/FerretDB/ferretdb instead.
# Usage: ferretdb.sh <version, e.g. v1.24.2> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init parley.dev/ferretdb-build >/dev/null
cat > main.go <<'GO'
// Command ferretdb runs FerretDB with the PostgreSQL backend on one listen address.
// Usage: ferretdb <listen host:port> <postgresql url>
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ferretdb <listen host:port> <postgresql url>")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: os.Args[1]},
		Handler:       "postgresql",
		PostgreSQLURL: os.Args[2],
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ferretdb listening on", os.Args[1])
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO
go get "github.com/FerretDB/FerretDB@${version}"
go mod tidy
mkdir -p "$dest/bin"
CGO_ENABLED=0 go build -trimpath -o "$dest/bin/ferretdb" .
