package main

import (
	"slices"
	"strings"
	"testing"
)

func TestDispatch(t *testing.T) {
	saved := modes
	t.Cleanup(func() { modes = saved })
	var ran string
	var got []string
	modes = map[string]func([]string) error{
		"run":       func(a []string) error { ran, got = "run", a; return nil },
		"bootstrap": func(a []string) error { ran, got = "bootstrap", a; return nil },
	}
	cases := []struct {
		args     []string
		mode     string
		modeArgs []string
		err      string
	}{
		{nil, "run", nil, ""},
		{[]string{"run"}, "run", []string{}, ""},
		{[]string{"bootstrap", "x"}, "bootstrap", []string{"x"}, ""},
		{[]string{"kubeadm"}, "", nil, `unknown subcommand "kubeadm" (want one of: bootstrap, run)`},
	}
	for _, c := range cases {
		ran, got = "", nil
		checkError(t, dispatch(c.args), c.err)
		if ran != c.mode || !slices.Equal(got, c.modeArgs) {
			t.Errorf("dispatch(%q) ran %q with %q, want %q with %q", c.args, ran, got, c.mode, c.modeArgs)
		}
	}
}

func TestProductModes(t *testing.T) {
	// the benchmark's kubeadm mode is added by bench/kubeadm/agent.sh only
	for _, name := range modeNames() {
		if strings.Contains(name, "kubeadm") {
			t.Errorf("the product's agent has the benchmark's %q mode", name)
		}
	}
	for _, name := range []string{"run", "bootstrap", "customize"} {
		if _, ok := modes[name]; !ok {
			t.Errorf("no %q mode", name)
		}
	}
}
