package table

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The repository's own table: the cases below are derived from it.
func repoTable(t *testing.T) *Table {
	t.Helper()
	tab, err := Load(filepath.Join("..", "..", "..", "..", "versions.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestResolveEveryRowByMinorFullAndVPrefixed(t *testing.T) {
	tab := repoTable(t)
	for minor, row := range tab.Kubernetes {
		for _, input := range []string{minor, row.Version, "v" + row.Version, "v" + minor} {
			rel, err := tab.Resolve(input)
			if err != nil {
				t.Errorf("Resolve(%q): %v", input, err)
				continue
			}
			if rel.Kube != row || rel.Minor != minor || rel.Runtime != tab.Runtime || rel.Addons != tab.Addons {
				t.Errorf("Resolve(%q) = %+v, want the %s row", input, rel, minor)
			}
		}
	}
}

func TestResolveEmptyIsTheDefault(t *testing.T) {
	tab := repoTable(t)
	rel, err := tab.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Minor != tab.DefaultMinor || rel.Kube.Version != tab.Kubernetes[tab.DefaultMinor].Version {
		t.Errorf("Resolve(\"\") = %+v, want the %s row", rel, tab.DefaultMinor)
	}
}

func TestResolveUnsupportedNamesTheSupportedList(t *testing.T) {
	tab := repoTable(t)
	supported := tab.Supported()
	oldest := supported[0]
	for _, input := range []string{"1.34", "1.34.4", "latest", "v", "1", oldest + ".1", oldest + "-rc.0", " " + oldest} {
		_, err := tab.Resolve(input)
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Errorf("Resolve(%q) = %v, want an UnsupportedError", input, err)
			continue
		}
		for _, v := range supported {
			if !strings.Contains(err.Error(), v) {
				t.Errorf("Resolve(%q) error %q does not name %s", input, err, v)
			}
		}
		if !strings.Contains(err.Error(), "'"+input+"'") {
			t.Errorf("Resolve(%q) error %q does not name the input", input, err)
		}
	}
}

func TestSupportedIsEveryRowOldestFirst(t *testing.T) {
	tab := repoTable(t)
	got := tab.Supported()
	if len(got) != len(tab.Kubernetes) {
		t.Fatalf("Supported() = %v, want %d versions", got, len(tab.Kubernetes))
	}
	if !slices.IsSortedFunc(got, CompareVersions) {
		t.Errorf("Supported() = %v, not oldest first", got)
	}
}

func TestCheckArch(t *testing.T) {
	tab := repoTable(t)
	for _, a := range tab.Architectures {
		if err := tab.CheckArch(a); err != nil {
			t.Errorf("CheckArch(%q): %v", a, err)
		}
	}
	for _, a := range []string{"", "x86_64", "aarch64", "s390x"} {
		if err := tab.CheckArch(a); err == nil || !strings.Contains(err.Error(), strings.Join(tab.Architectures, ", ")) {
			t.Errorf("CheckArch(%q) = %v, want an error naming %v", a, err, tab.Architectures)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{
		{"1.10.0", "1.9.9", 1}, {"1.9", "1.10", -1}, {"1.37.2", "1.37.2", 0}, {"1.37", "1.37.0", 0}, {"2.0", "1.99.99", 1},
	} {
		got := CompareVersions(c.a, c.b)
		if (got > 0) != (c.sign > 0) || (got < 0) != (c.sign < 0) {
			t.Errorf("CompareVersions(%s, %s) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
}

const good = `{"defaultMinor": "1.2", "architectures": ["amd64"],
 "kubernetes": {"1.2": {"version": "1.2.3", "etcd": "3.6.0", "coredns": "1.1.1", "cniPlugins": "1.0.0", "pause": "3.10"}},
 "runtime": {"containerd": "2.0.0", "runc": "1.2.0", "docker": "28.0.0"},
 "addons": {"localPathProvisioner": "0.0.30", "kubeRouter": "2.1.0"}}`

func TestParseRejectsBrokenTables(t *testing.T) {
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("the base table must parse: %v", err)
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"default not a row", `"defaultMinor": "1.2"`, `"defaultMinor": "1.9"`, "defaultMinor"},
		{"version of another minor", `"version": "1.2.3"`, `"version": "1.3.3"`, "not a 1.2 release"},
		{"bad etcd", `"etcd": "3.6.0"`, `"etcd": "v3.6.0"`, "kubernetes[1.2].etcd"},
		{"signed number", `"pause": "3.10"`, `"pause": "3.+10"`, "kubernetes[1.2].pause"},
		{"empty runtime", `"runc": "1.2.0"`, `"runc": ""`, "runtime.runc"},
		{"empty addon", `"kubeRouter": "2.1.0"`, `"kubeRouter": ""`, "addons.kubeRouter"},
		{"no architectures", `["amd64"]`, `[]`, "no architectures"},
		{"not json", `{"defaultMinor"`, `{defaultMinor`, "decoding"},
	} {
		broken := strings.Replace(good, c.old, c.new, 1)
		if broken == good {
			t.Fatalf("%s: the replacement did not apply", c.name)
		}
		_, err := Parse([]byte(broken))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
