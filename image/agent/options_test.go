package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestMergeArgs(t *testing.T) {
	defaults := []string{"--config", "/c.yaml", "--authorization-mode", "Node,RBAC", "--allow-privileged=true", "--v=0"}
	cases := []struct {
		name string
		user []string
		want []string
	}{
		{"none: the defaults as they are", nil, defaults},
		{"a new flag is appended", []string{"--event-ttl=5m"},
			append(slices.Clone(defaults), "--event-ttl=5m")},
		{"a two-argument default is replaced with its value", []string{"--authorization-mode=RBAC"},
			[]string{"--config", "/c.yaml", "--allow-privileged=true", "--v=0", "--authorization-mode=RBAC"}},
		{"a --name=value default is replaced", []string{"--allow-privileged=false"},
			[]string{"--config", "/c.yaml", "--authorization-mode", "Node,RBAC", "--v=0", "--allow-privileged=false"}},
		{"a bare boolean replaces a --name=value default", []string{"--allow-privileged"},
			[]string{"--config", "/c.yaml", "--authorization-mode", "Node,RBAC", "--v=0", "--allow-privileged"}},
		{"the user's repeats are all kept, in order", []string{"--v=4", "--api-audiences=a", "--api-audiences=b"},
			[]string{"--config", "/c.yaml", "--authorization-mode", "Node,RBAC", "--allow-privileged=true",
				"--v=4", "--api-audiences=a", "--api-audiences=b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mergeArgs(defaults, tc.user)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("mergeArgs(%q)\n got %q\nwant %q", tc.user, got, tc.want)
			}
		})
	}
}

// Every flag of a real component occurs once after an override: never the
// default and the user's value side by side.
func TestApplyReplacesRealDefaults(t *testing.T) {
	opts := clusterOptions{Args: map[string][]string{
		"kube-apiserver": {"--authorization-mode=RBAC", "--service-node-port-range=20000-40000"},
	}}
	c := opts.apply(apiServerComponent(nil))
	seen := map[string]int{}
	for _, arg := range c.args {
		if name, ok := argFlag(arg); ok {
			seen[name]++
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("--%s occurs %d times in %q", name, n, c.args)
		}
	}
	if slices.Contains(c.args, "Node,RBAC") {
		t.Errorf("the default's value is left behind: %q", c.args)
	}
	if got := c.args[len(c.args)-2:]; !reflect.DeepEqual(got, opts.Args["kube-apiserver"]) {
		t.Errorf("user arguments not last: %q", got)
	}
	if s := opts.apply(schedulerComponent()); !reflect.DeepEqual(s.args, schedulerComponent().args) {
		t.Errorf("a component without options changed: %q", s.args)
	}
}

func TestUserArgsSpreadGatesAndRuntimeConfig(t *testing.T) {
	opts := clusterOptions{
		FeatureGates:  map[string]bool{"ZGate": false, "AGate": true},
		RuntimeConfig: map[string]bool{"api/alpha": true},
		Args:          map[string][]string{"kube-apiserver": {"--v=2"}},
	}
	want := map[string][]string{
		"kube-apiserver":          {"--feature-gates=AGate=true,ZGate=false", "--runtime-config=api/alpha=true", "--v=2"},
		"kube-controller-manager": {"--feature-gates=AGate=true,ZGate=false"},
		"kube-scheduler":          {"--feature-gates=AGate=true,ZGate=false"},
		"kubelet":                 {"--feature-gates=AGate=true,ZGate=false"},
		"kube-proxy":              nil, // in its configuration file
		"etcd":                    nil,
	}
	for name, args := range want {
		if got := opts.userArgs(name); !reflect.DeepEqual(got, args) {
			t.Errorf("%s: got %q, want %q", name, got, args)
		}
	}
}

func TestKubeProxyFeatureGatesInItsConfig(t *testing.T) {
	text := kubeProxyConfig(podCIDR) + featureGatesYAML(map[string]bool{"B": false, "A": true})
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, text)
	}
	want := map[string]any{"A": true, "B": false}
	if !reflect.DeepEqual(doc["featureGates"], want) {
		t.Fatalf("featureGates = %v, want %v", doc["featureGates"], want)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	t.Setenv(optionsEnv, "")
	if o, err := optionsFromEnv(); err != nil || o.Args != nil || o.FeatureGates != nil {
		t.Fatalf("unset: %+v, %v", o, err)
	}
	t.Setenv(optionsEnv, `{"featureGates":{"A":true},"args":{"kubelet":["--v=3"]}}`)
	o, err := optionsFromEnv()
	if err != nil || !o.FeatureGates["A"] || o.Args["kubelet"][0] != "--v=3" {
		t.Fatalf("got %+v, %v", o, err)
	}
	t.Setenv(optionsEnv, `{"featureGate":{"A":true}}`)
	if _, err := optionsFromEnv(); err == nil || !strings.Contains(err.Error(), optionsEnv) {
		t.Fatalf("an unknown field is an error naming the variable, got %v", err)
	}
}
