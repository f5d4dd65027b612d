// Package build builds the node's binaries from Go modules for one target
// architecture, caching each component on disk by version.
package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"kind-action.local/builder/internal/cache"
	"kind-action.local/builder/internal/gomod"
)

// Recipe is the revision of how the builder builds (flags, ldflags, layout).
// Bump it when that changes: outputs stamped with another one are rebuilt.
const Recipe = "4"

// Builder builds for one architecture into one cache.
type Builder struct {
	Ctx context.Context
	// Arch is the target GOARCH (amd64 or arm64).
	Arch string
	// Cache is ${KIND_ACTION_CACHE:-/var/cache/kind-action}.
	Cache string
	// KubeDir is the repository's image/kube (kube-node/main.go, coredns/main.go).
	KubeDir string
	// Log prints one progress line (to stderr).
	Log func(format string, args ...any)
	// Output receives the go tool's own output (stderr).
	Output io.Writer

	goVersion string
}

// Root is the cache directory of this target: <cache>/kube/linux-<arch>.
func (b *Builder) Root() string {
	return filepath.Join(b.Cache, "kube", "linux-"+b.Arch)
}

func (b *Builder) dirs() cache.Dir { return cache.Dir{Recipe: Recipe} }

// overridden are the variables the builder sets itself for every go command.
var overridden = []string{"GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOTOOLCHAIN", "CC", "CXX",
	"PKG_CONFIG_LIBDIR", "PKG_CONFIG_PATH"}

// goEnv is the environment of a go command for the target, plus extra.
func (b *Builder) goEnv(cgo bool, extra ...string) []string {
	env := make([]string, 0, len(os.Environ())+8)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, o := range overridden {
			if name == o {
				keep = false
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	cgoFlag := "0"
	if cgo {
		cgoFlag = "1"
	}
	env = append(env, "GOOS=linux", "GOARCH="+b.Arch, "CGO_ENABLED="+cgoFlag,
		"GOFLAGS=-mod=mod -buildvcs=false", "GOTOOLCHAIN=local")
	return append(env, extra...)
}

// command runs a go command for the builder.
func (b *Builder) command(dir string, env []string, args ...string) *exec.Cmd {
	return GoCommand(b.Ctx, dir, env, args...)
}

// GoCommand is a go command in its own process group, so an interrupt stops
// the whole compiler tree: the context's end sends SIGTERM to the group.
func GoCommand(ctx context.Context, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	return cmd
}

// goVersionOf reads (once) the version of the go on PATH.
func (b *Builder) goVersionOf() (string, error) {
	if b.goVersion != "" {
		return b.goVersion, nil
	}
	out, err := b.command(b.Cache, b.goEnv(false), "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	b.goVersion = strings.TrimSpace(string(out))
	return b.goVersion, nil
}

// goBuild is one `go build` of pkgs into outDir, run in dir.
type goBuild struct {
	dir     string
	env     []string
	ldflags string
	flags   []string
	pkgs    []string
}

func (b *Builder) build(g goBuild, outDir string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	args := append([]string{"build", "-trimpath"}, g.flags...)
	args = append(args, "-ldflags", strings.TrimSpace("-s -w "+g.ldflags), "-o", outDir+"/")
	args = append(args, g.pkgs...)
	cmd := b.command(g.dir, g.env, args...)
	cmd.Stdout, cmd.Stderr = b.Output, b.Output
	if err := cmd.Run(); err != nil {
		if b.Ctx.Err() != nil {
			return b.Ctx.Err()
		}
		return fmt.Errorf("go build failed (%v) in %s for: %s", err, g.dir, strings.Join(g.pkgs, " "))
	}
	return nil
}

// downloadOnly is `go mod download -json MODULE@VERSION`: it fetches the
// module if needed and says where its go.mod and source are.
func (b *Builder) downloadOnly(module string) (gomod.Download, error) {
	cmd := b.command(b.Root(), b.goEnv(false), "mod", "download", "-json", module)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if b.Ctx.Err() != nil {
		return gomod.Download{}, b.Ctx.Err()
	}
	d, perr := gomod.ParseDownload(out)
	if perr != nil && err != nil {
		return gomod.Download{}, fmt.Errorf("%w (go mod download: %v %s)", perr, err, strings.TrimSpace(stderr.String()))
	}
	return d, perr
}

// download is downloadOnly and the module's go.mod, parsed.
func (b *Builder) download(module string) (gomod.Download, gomod.File, error) {
	d, err := b.downloadOnly(module)
	if err != nil {
		return gomod.Download{}, gomod.File{}, err
	}
	text, err := os.ReadFile(d.GoMod)
	if err != nil {
		return gomod.Download{}, gomod.File{}, err
	}
	f, err := gomod.Parse(text)
	if err != nil {
		return gomod.Download{}, gomod.File{}, fmt.Errorf("%s: %w", d.GoMod, err)
	}
	return d, f, nil
}

// writeWrapper starts a work directory with w's go.mod and no go.sum.
func writeWrapper(work string, w gomod.Wrapper) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(work, "go.sum")); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(filepath.Join(work, "go.mod"), []byte(w.Render()), 0o644)
}

// copyFile copies src to dst with mode.
func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}
