// Package table reads the repository's one version table, versions.json,
// and resolves what a user asks for (1.37, 1.37.2, v1.37.2) to one pinned
// Kubernetes release with the component versions it ships with.
package table

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Minor is one row of the table: a supported Kubernetes minor, pinned.
type Minor struct {
	Version    string `json:"version"`
	Etcd       string `json:"etcd"`
	CoreDNS    string `json:"coredns"`
	CNIPlugins string `json:"cniPlugins"`
	Pause      string `json:"pause"`
}

// Runtime is what every Kubernetes version runs on.
type Runtime struct {
	Containerd string `json:"containerd"`
	Runc       string `json:"runc"`
	Docker     string `json:"docker"`
}

// Addons are the cluster services every node runs besides Kubernetes: the
// default StorageClass's provisioner and the NetworkPolicy controller.
type Addons struct {
	LocalPathProvisioner string `json:"localPathProvisioner"`
	KubeRouter           string `json:"kubeRouter"`
}

// Table is versions.json.
type Table struct {
	DefaultMinor  string           `json:"defaultMinor"`
	Kubernetes    map[string]Minor `json:"kubernetes"`
	Runtime       Runtime          `json:"runtime"`
	Addons        Addons           `json:"addons"`
	Architectures []string         `json:"architectures"`
}

// Release is everything pinned for one Kubernetes version.
type Release struct {
	Minor   string
	Kube    Minor
	Runtime Runtime
	Addons  Addons
}

// UnsupportedError names the input and the versions that would have worked.
type UnsupportedError struct {
	What      string
	Input     string
	Supported []string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("unsupported %s '%s'; supported: %s", e.What, e.Input, strings.Join(e.Supported, ", "))
}

// Load reads and checks the table at path.
func Load(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the version table: %w", err)
	}
	return Parse(data)
}

// Parse decodes and checks a version table.
func Parse(data []byte) (*Table, error) {
	var t Table
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decoding the version table: %w", err)
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("version table: %w", err)
	}
	return &t, nil
}

func (t *Table) check() error {
	if len(t.Kubernetes) == 0 {
		return fmt.Errorf("no Kubernetes versions")
	}
	if _, ok := t.Kubernetes[t.DefaultMinor]; !ok {
		return fmt.Errorf("defaultMinor %q is not one of the Kubernetes minors", t.DefaultMinor)
	}
	for minor, m := range t.Kubernetes {
		fields := map[string]string{"version": m.Version, "etcd": m.Etcd, "coredns": m.CoreDNS,
			"cniPlugins": m.CNIPlugins, "pause": m.Pause}
		for name, v := range fields {
			if !isVersion(v) {
				return fmt.Errorf("kubernetes[%s].%s: %q is not a version X.Y[.Z]", minor, name, v)
			}
		}
		if !strings.HasPrefix(m.Version, minor+".") {
			return fmt.Errorf("kubernetes[%s].version %q is not a %s release", minor, m.Version, minor)
		}
	}
	for name, v := range map[string]string{"containerd": t.Runtime.Containerd, "runc": t.Runtime.Runc,
		"docker": t.Runtime.Docker} {
		if !isVersion(v) {
			return fmt.Errorf("runtime.%s: %q is not a version X.Y[.Z]", name, v)
		}
	}
	for name, v := range map[string]string{"localPathProvisioner": t.Addons.LocalPathProvisioner,
		"kubeRouter": t.Addons.KubeRouter} {
		if !isVersion(v) {
			return fmt.Errorf("addons.%s: %q is not a version X.Y[.Z]", name, v)
		}
	}
	if len(t.Architectures) == 0 {
		return fmt.Errorf("no architectures")
	}
	return nil
}

func isVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// Supported lists the pinned full versions, oldest first.
func (t *Table) Supported() []string {
	out := make([]string, 0, len(t.Kubernetes))
	for _, m := range t.Kubernetes {
		out = append(out, m.Version)
	}
	slices.SortFunc(out, CompareVersions)
	return out
}

// Resolve turns "", a minor, a full pinned version or either with a leading
// v into the pinned release; anything else is an *UnsupportedError.
func (t *Table) Resolve(input string) (Release, error) {
	want := strings.TrimPrefix(input, "v")
	if input == "" {
		want = t.DefaultMinor
	}
	for minor, m := range t.Kubernetes {
		if want == minor || want == m.Version {
			return Release{Minor: minor, Kube: m, Runtime: t.Runtime, Addons: t.Addons}, nil
		}
	}
	return Release{}, &UnsupportedError{What: "Kubernetes version", Input: input, Supported: t.Supported()}
}

// CheckArch accepts only the table's architectures.
func (t *Table) CheckArch(arch string) error {
	if slices.Contains(t.Architectures, arch) {
		return nil
	}
	return &UnsupportedError{What: "architecture", Input: arch, Supported: t.Architectures}
}

// CompareVersions orders dotted numeric versions numerically.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}
