package build

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kind-action.local/builder/internal/cache"
	"kind-action.local/builder/internal/table"
)

// Set is what one run assembles: a release's components into one bin dir.
type Set struct {
	Release    table.Release
	Components []Component
	// Final is <root>/<version>, or <root>/<version>-<target> for a partial target.
	Final string
	// What names the set in progress lines.
	What string
}

// Target is what of a release a run builds.
type Target string

const (
	// Node is every binary the node image needs (the `source` kube source).
	Node Target = ""
	// ComponentsOnly is everything but Kubernetes (the `release` source downloads it).
	ComponentsOnly Target = "components"
	// KubectlOnly is kubectl alone (the job image's, one per version).
	KubectlOnly Target = "kubectl"
)

// NewSet lists the components of rel that target needs, for this builder's architecture.
func (b *Builder) NewSet(rel table.Release, target Target) (Set, error) {
	s := Set{Release: rel, Final: filepath.Join(b.Root(), rel.Kube.Version)}
	if target != Node {
		s.Final += "-" + string(target)
	}
	switch target {
	case KubectlOnly:
		s.Components, s.What = []Component{KubectlComponent(rel)}, "kubectl v"+rel.Kube.Version
		return s, nil
	case Node, ComponentsOnly:
	default:
		return Set{}, fmt.Errorf("unknown build target %q", target)
	}
	mainGo, err := os.ReadFile(filepath.Join(b.KubeDir, "coredns", "main.go"))
	if err != nil {
		return Set{}, err
	}
	s.Components = Components(rel, CoreDNSFlavour(mainGo, CoreDNSOmitted), target == Node)
	s.What = "kubernetes v" + rel.Kube.Version
	if target == ComponentsOnly {
		s.What = "components for v" + rel.Kube.Version
	}
	return s, nil
}

// Binaries are every program the set's bin dir holds.
func (s Set) Binaries() []string {
	var out []string
	for _, c := range s.Components {
		out = append(out, c.Binaries...)
	}
	return out
}

// VersionLines are the versions.txt lines that say which pins made the set.
func (s Set) VersionLines() []string {
	out := make([]string, 0, len(s.Components))
	for _, c := range s.Components {
		out = append(out, c.Name+"="+c.Version)
	}
	return out
}

func (b *Builder) current(s Set) bool {
	return b.dirs().Complete(s.Final, s.Binaries()) &&
		cache.HasLines(filepath.Join(s.Final, "versions.txt"), s.VersionLines())
}

// Build returns the set's bin dir, building what the cache lacks. One build
// at a time per cache: concurrent runs wait on its lock, then find it warm.
func (b *Builder) Build(s Set) (string, error) {
	what := s.What
	bin := filepath.Join(s.Final, "bin")
	if b.current(s) {
		b.Log("%s (linux/%s): cached", what, b.Arch)
		return bin, nil
	}
	lock, err := cache.Lock(b.Ctx, filepath.Join(b.Root(), ".lock"), func() {
		b.Log("waiting for another build holding %s", filepath.Join(b.Root(), ".lock"))
	})
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if b.current(s) {
		b.Log("%s (linux/%s): cached", what, b.Arch)
		return bin, nil
	}
	goVersion, err := b.goVersionOf()
	if err != nil {
		return "", err
	}
	start := time.Now()
	b.Log("building %s for linux/%s (%s) with %s", what, b.Arch,
		strings.Join(s.VersionLines(), ", "), goVersion)
	for _, c := range s.Components {
		if err := b.Component(c); err != nil {
			return "", err
		}
	}
	if err := b.assemble(s, goVersion); err != nil {
		return "", err
	}
	b.Log("%s (linux/%s): done in %s", what, b.Arch, time.Since(start).Round(time.Second))
	return bin, nil
}

func (b *Builder) assemble(s Set, goVersion string) error {
	tmp, err := cache.TempDir(s.Final)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, c := range s.Components {
		src := filepath.Join(b.Root(), "components", c.Dir(), "bin")
		if err := LinkBinaries(src, filepath.Join(tmp, "bin"), c.Binaries); err != nil {
			return err
		}
	}
	lines := append(s.VersionLines(), "go="+goVersion, "goos=linux", "goarch="+b.Arch)
	if err := os.WriteFile(filepath.Join(tmp, "versions.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return b.dirs().Publish(tmp, s.Final)
}

// Component builds c into <root>/components/<name>-v<version> unless a
// complete build of the current recipe is there.
func (b *Builder) Component(c Component) error {
	final := filepath.Join(b.Root(), "components", c.Dir())
	if b.dirs().Complete(final, c.Binaries) {
		b.Log("%s v%s: cached (%s)", c.Name, c.Version, final)
		return nil
	}
	tmp, err := cache.TempDir(final)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	b.Log("%s v%s: building for linux/%s", c.Name, c.Version, b.Arch)
	work := filepath.Join(b.Root(), "work", c.Dir())
	if err := c.build(b, c.Version, filepath.Join(tmp, "bin"), work); err != nil {
		if b.Ctx.Err() != nil {
			return b.Ctx.Err()
		}
		return fmt.Errorf("%s v%s: %w", c.Name, c.Version, err)
	}
	for _, bin := range c.Binaries {
		st, err := os.Stat(filepath.Join(tmp, "bin", bin))
		if err != nil || st.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("%s v%s: %s was not produced", c.Name, c.Version, bin)
		}
	}
	if err := b.dirs().Publish(tmp, final); err != nil {
		return err
	}
	b.Log("%s v%s: built in %s", c.Name, c.Version, time.Since(start).Round(time.Second))
	return nil
}

// LinkBinaries puts each binary of src into dest: a symbolic link is made
// again (kube-apiserver → kube-node), a file is hard-linked or else copied.
func LinkBinaries(src, dest string, binaries []string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	for _, name := range binaries {
		from, to := filepath.Join(src, name), filepath.Join(dest, name)
		st, err := os.Lstat(from)
		if err != nil {
			return err
		}
		if st.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(from)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
			continue
		}
		if err := os.Link(from, to); err == nil {
			continue
		}
		if err := CopyExecutable(from, to); err != nil {
			return err
		}
	}
	return nil
}

// CopyExecutable copies a file, keeping its mode.
func CopyExecutable(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
