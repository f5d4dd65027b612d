package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSplitList(t *testing.T) {
	cases := []struct {
		in, sep string
		want    []string
	}{
		{"a,b,c", ",", []string{"a", "b", "c"}},
		{" a , ,b ,", ",", []string{"a", "b"}},
		{"nginx:1  busybox", " ", []string{"nginx:1", "busybox"}},
		{"", ",", nil},
		{" , ", ",", nil},
	}
	for _, c := range cases {
		if got := splitList(c.in, c.sep); !slices.Equal(got, c.want) {
			t.Errorf("splitList(%q, %q) = %q, want %q", c.in, c.sep, got, c.want)
		}
	}
}

func TestParseCorednsVersion(t *testing.T) {
	cases := []struct {
		out, want string
		ok        bool
	}{
		{"CoreDNS-1.12.4\nlinux/amd64, go1.25.1, \n", "1.12.4", true},
		{"CoreDNS-1.13.0-rc1\n", "1.13.0", true},
		{"coredns: unknown flag\n", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, err := parseCorednsVersion(c.out)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("parseCorednsVersion(%q) = %q, %v; want %q, ok=%v", c.out, got, err, c.want, c.ok)
		}
	}
}

func TestLoginFromSecret(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		content *string // nil: no file
		want    registryLogin
		ok      bool
		err     string
	}{
		{"no secret: no login", nil, registryLogin{}, false, ""},
		{"all three keys", ptr("REGISTRY=ghcr.io\nREGISTRY_USER=bot\nREGISTRY_PASSWORD=s3cr=t\n"),
			registryLogin{"ghcr.io", "bot", "s3cr=t"}, true, ""},
		{"Docker Hub: no server", ptr("  REGISTRY_USER=bot\nREGISTRY_PASSWORD=pw\nignored line\n"),
			registryLogin{"", "bot", "pw"}, true, ""},
		{"a user without a password", ptr("REGISTRY_USER=bot\n"), registryLogin{}, false, "REGISTRY_PASSWORD are required"},
		{"empty", ptr(""), registryLogin{}, false, "REGISTRY_USER and REGISTRY_PASSWORD"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "secret"+string(rune('a'+i)))
			if c.content != nil {
				if err := os.WriteFile(path, []byte(*c.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, ok, err := loginFromSecret(path)
			if got != c.want || ok != c.ok {
				t.Errorf("loginFromSecret = %+v, %v; want %+v, %v", got, ok, c.want, c.ok)
			}
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Errorf("error %v, want %q", err, c.err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestPrefixWriter(t *testing.T) {
	cases := []struct {
		name   string
		drop   []string
		writes []string
		flush  bool
		want   string
	}{
		{"one line per line, prefixed", nil, []string{"a\nb\n"}, false, "[c] a\n[c] b\n"},
		{"a line split over writes is whole", nil, []string{"hel", "lo\nwor", "ld\n"}, false, "[c] hello\n[c] world\n"},
		{"a partial line waits for the flush", nil, []string{"done\npartial"}, false, "[c] done\n"},
		{"the flush ends it", nil, []string{"done\npartial"}, true, "[c] done\n[c] partial\n"},
		{"dropped lines", []string{"noise"}, []string{"keep\nsome noise here\nkeep too\n"}, false, "[c] keep\n[c] keep too\n"},
		{"an endless line is cut at 64 KiB", nil, []string{strings.Repeat("x", 64*1024+1)}, false,
			"[c] " + strings.Repeat("x", 64*1024+1) + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			w := newPrefixWriter("c")
			w.out, w.drop = &out, c.drop
			for _, s := range c.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if c.flush {
				w.flush()
			}
			if out.String() != c.want {
				t.Errorf("output %q, want %q", out.String(), c.want)
			}
		})
	}
}
