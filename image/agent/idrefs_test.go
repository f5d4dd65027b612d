package main

import (
	"slices"
	"testing"
)

func TestImageIDNameCreated(t *testing.T) {
	id := "sha256:29f63f2b8da87fe5cdb820a56369ae99205291ff90893cc800b8a4d3038c7b2a"
	for _, tc := range []struct {
		line string
		name string
		ok   bool
	}{
		{`2026-12-07 00:52:36.98 +0000 UTC k8s.io /images/create {"name":"` + id + `","labels":{"io.cri-containerd.image":"managed"}}`, id, true},
		{`2026-12-07 00:52:36.98 +0000 UTC k8s.io /images/update {"name":"` + id + `"}`, id, true},
		{`2026-12-07 00:52:36.98 +0000 UTC k8s.io /images/create {"name":"docker.io/library/myimg:2","labels":{"a":"b c"}}`, "docker.io/library/myimg:2", false},
		{`2026-12-07 00:52:36.98 +0000 UTC k8s.io /images/delete {"name":"` + id + `"}`, "", false},
		{`2026-12-07 00:52:36.98 +0000 UTC k8s.io /images/create {"name":"sha256:abc"}`, "sha256:abc", false},
		{`2026-12-07 00:52:36.98 +0000 UTC k8s.io /images/create not-json`, "", false},
		{`2026-12-07 00:52:36.98 +0000 UTC k8s.io /tasks/exit {"container_id":"x"}`, "", false},
		{``, "", false},
	} {
		name, ok := imageIDNameCreated(tc.line)
		if name != tc.name || ok != tc.ok {
			t.Errorf("%q: got %q %v, want %q %v", tc.line, name, ok, tc.name, tc.ok)
		}
	}
}

func TestImageIDNames(t *testing.T) {
	a := "sha256:29f63f2b8da87fe5cdb820a56369ae99205291ff90893cc800b8a4d3038c7b2a"
	b := "sha256:578f5b81f68d438f9d395f4230c5b43a698b32d3848577f167de404f4ba5c057"
	list := "docker.io/library/debian:trixie-slim\n" + a + "\nmoby-dangling@" + b + "\n" + b + "\nregistry.k8s.io/pause:3.10.2\n"
	if got := imageIDNames(list); !slices.Equal(got, []string{a, b}) {
		t.Errorf("got %v, want [%s %s]", got, a, b)
	}
	if got := imageIDNames(""); len(got) != 0 {
		t.Errorf("empty list gave %v", got)
	}
}
