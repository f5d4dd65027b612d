// Command builder builds the node image's binaries from Go modules and
// assembles its docker build context, for amd64 or arm64, with every version
// taken from the repository's versions.json. image/kube/build-source.sh and
// image/context.sh are thin wrappers around it.
//
//	builder [--repo DIR] kube [K8S_VERSION] [--components-only | --kubectl-only] [--arch ARCH]
//	builder [--repo DIR] context K8S_VERSION OUT_DIR [--before-cluster F] [--after-cluster F] [--arch ARCH]
//	builder [--repo DIR] check-arch DIR ARCH
//	builder [--repo DIR] version-info [K8S_VERSION] [--json]
//
// Progress goes to stderr; the last line of stdout is the result (a bin dir,
// a context dir). Exit codes: 0 ok, 1 failure, 2 bad input, 130/143
// interrupted (partial output discarded).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// usageError is bad input: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[builder %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(args []string) int {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	var code atomic.Int32
	go func() {
		sig, ok := <-signals
		if !ok {
			return
		}
		if sig == syscall.SIGTERM {
			code.Store(143)
		} else {
			code.Store(130)
		}
		stop()
	}()
	err := dispatch(ctx, args)
	signal.Stop(signals)
	if c := code.Load(); c != 0 {
		logf("interrupted; partial output discarded")
		return int(c)
	}
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "builder: %s\n", err)
		return 2
	default:
		logf("error: %s", err)
		return 1
	}
}

const usage = `usage: builder [--repo DIR] kube [K8S_VERSION] [--components-only | --kubectl-only] [--arch ARCH]
       builder [--repo DIR] context K8S_VERSION OUT_DIR [--before-cluster FILE] [--after-cluster FILE] [--arch ARCH]
       builder [--repo DIR] check-arch DIR ARCH
       builder [--repo DIR] version-info [K8S_VERSION] [--json]`

func dispatch(ctx context.Context, args []string) error {
	repo := ""
	if len(args) >= 2 && args[0] == "--repo" {
		repo, args = args[1], args[2:]
	}
	if len(args) == 0 {
		return usagef("%s", usage)
	}
	if repo == "" {
		var err error
		if repo, err = findRepo(); err != nil {
			return err
		}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "kube":
		return runKube(ctx, repo, rest)
	case "context":
		return runContext(ctx, repo, rest)
	case "check-arch":
		return runCheckArch(rest)
	case "version-info":
		return runVersionInfo(repo, rest)
	default:
		return usagef("unknown command %q\n%s", cmd, usage)
	}
}
