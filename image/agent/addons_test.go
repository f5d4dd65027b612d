package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadAddonSwitches(t *testing.T) {
	cases := []struct {
		env                    map[string]string
		storage, networkPolicy bool
	}{
		{map[string]string{}, true, true},
		{map[string]string{"KIND_NO_STORAGE": "1"}, false, true},
		{map[string]string{"KIND_NO_NETWORK_POLICY": "true"}, true, false},
		{map[string]string{"KIND_NO_STORAGE": "TRUE", "KIND_NO_NETWORK_POLICY": "t"}, false, false},
		{map[string]string{"KIND_NO_STORAGE": "0", "KIND_NO_NETWORK_POLICY": "false"}, true, true},
		{map[string]string{"KIND_NO_STORAGE": "yes please"}, true, true}, // unreadable: stays on
		{map[string]string{"KIND_NO_STORAGE": " 1 "}, false, true},
	}
	for _, c := range cases {
		got := readAddonSwitches(func(k string) string { return c.env[k] })
		if got.storage != c.storage || got.networkPolicy != c.networkPolicy {
			t.Errorf("%v: storage %v, network policy %v; want %v, %v", c.env, got.storage, got.networkPolicy,
				c.storage, c.networkPolicy)
		}
	}
}

func TestAddonComponents(t *testing.T) {
	names := func(cs []component) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.name)
		}
		return out
	}
	for _, c := range []struct {
		sw   addonSwitches
		want []string
	}{
		{addonSwitches{true, true}, []string{"local-path-provisioner", "network-policy"}},
		{addonSwitches{false, true}, []string{"network-policy"}},
		{addonSwitches{true, false}, []string{"local-path-provisioner"}},
		{addonSwitches{false, false}, nil},
	} {
		if got := names(addonComponents(c.sw)); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.sw, got, c.want)
		}
	}
}

// Each addon reaches the API with a kubeconfig the agent writes, as the user
// its RBAC binding names.
func TestAddonsUseTheirOwnIdentity(t *testing.T) {
	values := newAddonValues()
	for _, c := range []struct {
		comp component
		user string
	}{
		{localPathComponent(), values.LocalPathUser},
		{networkPolicyComponent(), values.NetworkPolicyUser},
	} {
		i := slices.Index(c.comp.args, "--kubeconfig")
		if i < 0 || i+1 >= len(c.comp.args) {
			t.Fatalf("%s has no --kubeconfig: %v", c.comp.name, c.comp.args)
		}
		found := false
		for _, id := range componentIdentities {
			if conf(id.file) == c.comp.args[i+1] {
				found = true
				if id.commonName != c.user || id.server != gatedAPI() {
					t.Errorf("%s: %s is for %s at %s, want %s through the gate", c.comp.name, id.file,
						id.commonName, id.server, c.user)
				}
			}
		}
		if !found {
			t.Errorf("%s reads %s, which the agent does not write", c.comp.name, c.comp.args[i+1])
		}
	}
}

// The provisioner's name and namespace are the ones the baked StorageClass
// and ConfigMap use.
func TestLocalPathMatchesTheBakedObjects(t *testing.T) {
	objects, err := renderManifests(manifestValues{addonValues: newAddonValues()})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, o := range objects {
		all.Write(o.body)
	}
	args := strings.Join(localPathComponent().args, " ")
	for _, want := range []string{"--namespace " + localPathNamespace, "--provisioner-name " + localPathProvisioner} {
		if !strings.Contains(args, want) {
			t.Errorf("the provisioner runs without %q: %s", want, args)
		}
	}
	for _, want := range []string{`"provisioner":"rancher.io/local-path"`, `"storageclass.kubernetes.io/is-default-class":"true"`,
		`"name":"standard"`, `"namespace":"local-path-storage"`, localPathHelperImage, localPathDir} {
		if !strings.Contains(strings.ReplaceAll(all.String(), " ", ""), strings.ReplaceAll(want, " ", "")) {
			t.Errorf("no baked object holds %s", want)
		}
	}
}

func TestWriteHelperContext(t *testing.T) {
	dir := t.TempDir()
	busybox := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(busybox, []byte("\x7fELF fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeHelperContext(dir, busybox); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "bin", "busybox")); err != nil || string(data) != "\x7fELF fake" {
		t.Errorf("bin/busybox: %q %v", data, err)
	}
	for _, applet := range helperApplets {
		if target, err := os.Readlink(filepath.Join(dir, "bin", applet)); err != nil || target != "busybox" {
			t.Errorf("bin/%s = %q %v, want a link to busybox", applet, target, err)
		}
	}
	dockerfile, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil || !strings.HasPrefix(string(dockerfile), "FROM scratch\n") || !strings.Contains(string(dockerfile), "COPY bin/ /bin/") {
		t.Errorf("Dockerfile: %q %v", dockerfile, err)
	}
	err = writeHelperContext(t.TempDir(), filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.Contains(err.Error(), "the helper image needs") {
		t.Errorf("a missing busybox: %v", err)
	}
}

func TestUnpackAddons(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "kube-router"), []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "addons.tar.zst")
	if err := command("tar", "--zstd", "-C", src, "-cf", tarball, "."); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "addons")
	if err := unpackAddons(tarball, dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "kube-router"))
	if err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Fatalf("kube-router not unpacked as an executable: %v %v", st, err)
	}
	if _, err := os.Stat(dir + ".unpacking"); !os.IsNotExist(err) {
		t.Errorf("the work directory is left behind: %v", err)
	}
	// a second start finds it unpacked and does not need the tarball
	if err := unpackAddons(filepath.Join(t.TempDir(), "gone.tar.zst"), dir); err != nil {
		t.Errorf("second unpack: %v", err)
	}
	if err := unpackAddons(filepath.Join(t.TempDir(), "gone.tar.zst"), filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("a missing tarball unpacked without an error")
	}
}
