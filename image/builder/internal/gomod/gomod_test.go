package gomod

import (
	"slices"
	"strings"
	"testing"
)

func TestParseDownload(t *testing.T) {
	for _, c := range []struct {
		name, json, wantErr, wantDir, wantTime string
	}{
		{"ok", `{"Path": "k8s.io/kubernetes", "Version": "v1.37.2", "Info": "/m/v1.37.2.info",
			"GoMod": "/m/v1.37.2.mod", "Zip": "/m/v1.37.2.zip", "Dir": "/mod/k8s.io/kubernetes@v1.37.2",
			"Sum": "h1:x", "GoModSum": "h1:y", "Time": "2026-10-27T12:01:04Z"}`, "", "/mod/k8s.io/kubernetes@v1.37.2", "2026-10-27T12:01:04Z"},
		{"error field", `{"Path": "k8s.io/kubernetes", "Version": "v9.9.9", "Error": "unknown revision v9.9.9"}`,
			"unknown revision v9.9.9", "", ""},
		{"no dir", `{"Path": "x", "Version": "v1.0.0", "GoMod": "/m/x.mod"}`, "gave no GoMod or Dir", "", ""},
		{"not json", `go: downloading`, "decoding", "", ""},
	} {
		d, err := ParseDownload([]byte(c.json))
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: err = %v, want %q", c.name, err, c.wantErr)
		case d.Dir != c.wantDir || d.Time != c.wantTime:
			t.Errorf("%s: got Dir %q Time %q, want %q %q", c.name, d.Dir, d.Time, c.wantDir, c.wantTime)
		}
	}
}

const kubeGoMod = `// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	github.com/blang/semver/v4 v4.0.0
	k8s.io/api v0.0.0
	k8s.io/apiextensions-apiserver v0.0.0 // indirect
	k8s.io/klog/v2 v2.130.1
	k8s.io/cri-client v0.0.0
)

require k8s.io/kube-proxy v0.0.0

replace (
	k8s.io/api => ./staging/src/k8s.io/api
)
`

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, text, wantGo, wantGodebug string
		wantZero                        []string
		wantErr                         bool
	}{
		{"kubernetes", kubeGoMod, "1.26.0", "godebug default=go1.26",
			[]string{"k8s.io/api", "k8s.io/apiextensions-apiserver", "k8s.io/cri-client", "k8s.io/kube-proxy"}, false},
		{"godebug block", "module a\n\ngo 1.25\n\ngodebug (\n\tx509sha1=1\n\tpanicnil=1\n)\n\nrequire b v0.0.0\n",
			"1.25", "godebug (\n\tx509sha1=1\n\tpanicnil=1\n)", []string{"b"}, false},
		{"toolchain line is not the go line", "module a\n\ntoolchain go1.26.1\ngo 1.24.0\n", "1.24.0", "", nil, false},
		{"no go line", "module a\n", "", "", nil, true},
	} {
		f, err := Parse([]byte(c.text))
		if c.wantErr {
			if err == nil {
				t.Errorf("%s: no error", c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if f.Go != c.wantGo || f.Godebug != c.wantGodebug || !slices.Equal(f.ZeroRequires, c.wantZero) {
			t.Errorf("%s: got %+v, want go %q godebug %q zero %v", c.name, f, c.wantGo, c.wantGodebug, c.wantZero)
		}
	}
}

func TestWrapperRender(t *testing.T) {
	for _, c := range []struct {
		name string
		w    Wrapper
		want string
	}{
		{"full", Wrapper{Module: "kind-action.local/kube-build", Go: "1.26.0", Godebug: "godebug default=go1.26",
			Requires: [][2]string{{"k8s.io/kubernetes", "v1.37.2"}},
			Replaces: []Replace{{"k8s.io/api", "k8s.io/api", "v0.37.2"}}},
			"module kind-action.local/kube-build\n\ngo 1.26.0\n\ngodebug default=go1.26\n\nrequire (\n\tk8s.io/kubernetes v1.37.2\n)\n\nreplace (\n\tk8s.io/api => k8s.io/api v0.37.2\n)\n"},
		{"bare", Wrapper{Module: "m", Go: "1.24"}, "module m\n\ngo 1.24\n"},
	} {
		if got := c.w.Render(); got != c.want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, got, c.want)
		}
		if _, err := Parse([]byte(c.w.Render())); err != nil {
			t.Errorf("%s: the rendered go.mod does not parse: %v", c.name, err)
		}
	}
}
