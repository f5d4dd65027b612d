// Package nodectx assembles the node image's docker build context for one
// architecture from a bin dir the builder made, and refuses it unless every
// ELF file in it is built for that architecture.
package nodectx

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"kind-action.local/builder/internal/build"
	"kind-action.local/builder/internal/elfarch"
)

// Options say what goes into the context.
type Options struct {
	// ImageDir is the repository's image/ (Dockerfile, agent/, pause/).
	ImageDir string
	// KubeBin holds the Kubernetes binaries, etcd, the CNI plugins and the runtime.
	KubeBin string
	Out     string
	Arch    string
	// Version is the full Kubernetes version (ARG K8S_VERSION).
	Version string
	// Pause is the pause version the agent reports.
	Pause string
	// Hooks maps before-cluster / after-cluster to a script.
	Hooks map[string]string
}

// ContextBinaries are what bin/ gets besides kube-node: the Kubernetes
// programs and etcd. CoreDNS is not copied: the bake mounts it (the node runs
// it from its image store).
func ContextBinaries() []string {
	return append(append([]string{}, build.KubePrograms...), "etcd")
}

// AddonBinaries are what addons/ gets (the Dockerfile packs them into one
// compressed tar): the storage provisioner and the NetworkPolicy controller.
func AddonBinaries() []string {
	var out []string
	for _, c := range []string{"local-path-provisioner", "kube-router"} {
		out = append(out, build.AddonBinaries[c]...)
	}
	return out
}

// RuntimeBinaries are what runtime/ (the image's /usr/local/bin) gets.
func RuntimeBinaries() []string {
	var out []string
	for _, c := range []string{"containerd", "runc", "docker"} {
		out = append(out, build.RuntimeBinaries[c]...)
	}
	return out
}

var argVersion = regexp.MustCompile(`(?m)^ARG K8S_VERSION=.*$`)

// Assemble fills o.Out (emptied first) and checks it; on a refused context
// the directory is removed, so nothing can build from it.
func Assemble(ctx context.Context, o Options, goOutput *os.File) (err error) {
	if err := os.RemoveAll(o.Out); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(o.Out)
		}
	}()
	for _, d := range []string{"addons", "bin", "cni", "hooks", "runtime"} {
		if err := os.MkdirAll(filepath.Join(o.Out, d), 0o755); err != nil {
			return err
		}
	}
	for name, file := range o.Hooks {
		if err := build.CopyExecutable(file, filepath.Join(o.Out, "hooks", name)); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(o.Out, "hooks", name), 0o755); err != nil {
			return err
		}
	}
	if err := copyKube(o); err != nil {
		return err
	}
	if err := copyAll(o.KubeBin, filepath.Join(o.Out, "cni"), build.CNIPlugins, "CNI plugin"); err != nil {
		return err
	}
	if err := copyAll(o.KubeBin, filepath.Join(o.Out, "runtime"), RuntimeBinaries(), "runtime binary"); err != nil {
		return err
	}
	if err := copyAll(o.KubeBin, filepath.Join(o.Out, "addons"), AddonBinaries(), "addon"); err != nil {
		return err
	}
	agentFlags := "-s -w -X main.pauseVersion=" + o.Pause
	if err := goBuild(ctx, filepath.Join(o.ImageDir, "agent"), o.Arch, agentFlags,
		filepath.Join(o.Out, "bin", "kind-agent"), goOutput); err != nil {
		return err
	}
	if err := goBuild(ctx, filepath.Join(o.ImageDir, "pause"), o.Arch, "-s -w",
		filepath.Join(o.Out, "bin", "pause"), goOutput); err != nil {
		return err
	}
	dockerfile, err := os.ReadFile(filepath.Join(o.ImageDir, "Dockerfile"))
	if err != nil {
		return err
	}
	if !argVersion.Match(dockerfile) {
		return fmt.Errorf("%s has no 'ARG K8S_VERSION=' line", filepath.Join(o.ImageDir, "Dockerfile"))
	}
	dockerfile = argVersion.ReplaceAll(dockerfile, []byte("ARG K8S_VERSION="+o.Version))
	if err := os.WriteFile(filepath.Join(o.Out, "Dockerfile"), dockerfile, 0o644); err != nil {
		return err
	}
	if _, err := elfarch.Check(o.Out, o.Arch); err != nil {
		return fmt.Errorf("refusing the context %s: %w", o.Out, err)
	}
	return nil
}

// copyKube copies bin/: a source build holds one multi-call binary,
// kube-node, that the program names link to: it is copied once and the names
// linked to it (a release has one file each).
func copyKube(o Options) error {
	bin := filepath.Join(o.Out, "bin")
	node := filepath.Join(o.KubeBin, "kube-node")
	haveNode := false
	if st, err := os.Stat(node); err == nil && st.Mode().Perm()&0o111 != 0 {
		if err := build.CopyExecutable(node, filepath.Join(bin, "kube-node")); err != nil {
			return err
		}
		haveNode = true
	}
	for _, name := range ContextBinaries() {
		src := filepath.Join(o.KubeBin, name)
		st, err := os.Stat(src)
		if err != nil || st.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("missing %s (build the Kubernetes binaries first)", src)
		}
		if haveNode && sameFile(src, node) {
			if err := os.Symlink("kube-node", filepath.Join(bin, name)); err != nil {
				return err
			}
			continue
		}
		if err := build.CopyExecutable(src, filepath.Join(bin, name)); err != nil {
			return err
		}
	}
	return nil
}

func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func copyAll(src, dest string, names []string, what string) error {
	for _, n := range names {
		from := filepath.Join(src, n)
		st, err := os.Stat(from)
		if err != nil || st.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("missing %s %s", what, from)
		}
		if err := build.CopyExecutable(from, filepath.Join(dest, n)); err != nil {
			return err
		}
	}
	return nil
}

// goBuild builds the static program in dir for arch into out.
func goBuild(ctx context.Context, dir, arch, ldflags, out string, output *os.File) error {
	cmd := build.GoCommand(ctx, dir, append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0"),
		"build", "-trimpath", "-ldflags", ldflags, "-o", out, ".")
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build in %s for linux/%s: %w", dir, arch, err)
	}
	return nil
}
