package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// leaves lists every scalar of a parsed document by its dotted path, so a
// test can ask that a value is somewhere without restating the layout.
func leaves(prefix string, v any, out map[string]any) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			leaves(prefix+"."+k, child, out)
		}
	case []any:
		for i, child := range v {
			leaves(fmt.Sprintf("%s[%d]", prefix, i), child, out)
		}
	default:
		out[prefix] = v
	}
	return out
}

// holds tells whether some leaf equals want (numbers compared as float64).
func holds(tree map[string]any, want any) bool {
	for _, v := range tree {
		if fmt.Sprint(v) == fmt.Sprint(want) {
			return true
		}
	}
	return false
}

func TestContainerdConfig(t *testing.T) {
	var doc map[string]any
	if err := toml.Unmarshal([]byte(containerdConfig()), &doc); err != nil {
		t.Fatalf("not TOML: %v\n%s", err, containerdConfig())
	}
	if doc["root"] != containerdDir || doc["state"] != "/run/containerd" {
		t.Errorf("root %v, state %v; want %s on the volume, /run/containerd", doc["root"], doc["state"], containerdDir)
	}
	grpc, _ := doc["grpc"].(map[string]any)
	if grpc["address"] != containerdSock {
		t.Errorf("grpc.address %v, want %s", grpc["address"], containerdSock)
	}
	all := leaves("", doc, map[string]any{})
	for what, want := range map[string]string{
		"the sandbox image":         pauseImage(),
		"the CNI configuration":     filepath.Dir(cniConfigPath),
		"the CNI plugins":           "/opt/cni/bin",
		"the overlayfs snapshotter": "overlayfs",
	} {
		if !holds(all, want) {
			t.Errorf("%s (%s) is not configured", what, want)
		}
	}
}

func TestDockerConfig(t *testing.T) {
	for _, mtu := range []int{1500, 1450, 9000} {
		var doc struct {
			Features        map[string]bool `json:"features"`
			DataRoot        string          `json:"data-root"`
			MTU             int             `json:"mtu"`
			ShutdownTimeout *int            `json:"shutdown-timeout"`
		}
		if err := json.Unmarshal([]byte(dockerConfig(mtu)), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, dockerConfig(mtu))
		}
		if doc.MTU != mtu || doc.DataRoot != dockerDataDir || !doc.Features["containerd-snapshotter"] {
			t.Errorf("mtu %d data-root %q containerd-snapshotter %v; want %d, %s, true",
				doc.MTU, doc.DataRoot, doc.Features["containerd-snapshotter"], mtu, dockerDataDir)
		}
		if doc.ShutdownTimeout == nil || *doc.ShutdownTimeout*1000 > int(stopBudget.Milliseconds()) {
			t.Errorf("shutdown-timeout %v does not fit the agent's stop budget %s", doc.ShutdownTimeout, stopBudget)
		}
	}
}

func TestCNIConfig(t *testing.T) {
	for _, tc := range []struct {
		mtu    int
		subnet string
	}{{1500, nodePodCIDR}, {1400, "10.245.0.0/24"}} {
		mtu := tc.mtu
		var doc struct {
			CNIVersion string           `json:"cniVersion"`
			Name       string           `json:"name"`
			Plugins    []map[string]any `json:"plugins"`
		}
		if err := json.Unmarshal([]byte(cniConfig(mtu, tc.subnet)), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, cniConfig(mtu, tc.subnet))
		}
		if doc.CNIVersion == "" || doc.Name == "" || len(doc.Plugins) == 0 {
			t.Fatalf("not a CNI plugin list:\n%s", cniConfig(mtu, tc.subnet))
		}
		var types []string
		for _, p := range doc.Plugins {
			types = append(types, fmt.Sprint(p["type"]))
		}
		i := slices.Index(types, "bridge")
		if i < 0 {
			t.Fatalf("plugins %v: no bridge", types)
		}
		bridge := doc.Plugins[i]
		if bridge["mtu"] != float64(mtu) {
			t.Errorf("plugins %v: the bridge's mtu is %v, want %d", types, bridge["mtu"], mtu)
		}
		if !holds(leaves("", bridge["ipam"], map[string]any{}), tc.subnet) {
			t.Errorf("the bridge's IPAM does not hand out %s: %v", tc.subnet, bridge["ipam"])
		}
		if !slices.Contains(types, "portmap") {
			t.Errorf("plugins %v: no portmap (hostPort)", types)
		}
	}
}

func TestKubeletConfig(t *testing.T) {
	for _, tc := range []struct {
		root string
		v1   bool
	}{{"/docker/3f2c/kubelet", true}, {"/kubelet", false}, {"/kubepods/node/kubelet", true}} {
		root := tc.root
		var doc struct {
			APIVersion               string            `yaml:"apiVersion"`
			Kind                     string            `yaml:"kind"`
			FailCgroupV1             *bool             `yaml:"failCgroupV1"`
			CgroupRoot               string            `yaml:"cgroupRoot"`
			ContainerRuntimeEndpoint string            `yaml:"containerRuntimeEndpoint"`
			ClusterDNS               []string          `yaml:"clusterDNS"`
			ClusterDomain            string            `yaml:"clusterDomain"`
			ResolvConf               string            `yaml:"resolvConf"`
			EvictionHard             map[string]string `yaml:"evictionHard"`
			Authentication           struct {
				X509 struct {
					ClientCAFile string `yaml:"clientCAFile"`
				} `yaml:"x509"`
			} `yaml:"authentication"`
		}
		text := kubeletConfig(root, tc.v1)
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, text)
		}
		if doc.APIVersion != "kubelet.config.k8s.io/v1beta1" || doc.Kind != "KubeletConfiguration" {
			t.Errorf("%s/%s", doc.APIVersion, doc.Kind)
		}
		if doc.CgroupRoot != root {
			t.Errorf("cgroupRoot %q, want %q", doc.CgroupRoot, root)
		}
		switch {
		case tc.v1 && (doc.FailCgroupV1 == nil || *doc.FailCgroupV1):
			t.Error("cgroup v1 host: failCgroupV1 is not false, the kubelet would refuse to start")
		case !tc.v1 && doc.FailCgroupV1 != nil:
			t.Errorf("cgroup v2 host: failCgroupV1 is set (%v); it belongs to v1 hosts only", *doc.FailCgroupV1)
		}
		if doc.ContainerRuntimeEndpoint != "unix://"+containerdSock || !slices.Equal(doc.ClusterDNS, []string{dnsServiceIP}) ||
			doc.ClusterDomain != clusterDomain || doc.ResolvConf != kubeletResolvConf || doc.Authentication.X509.ClientCAFile != pki("ca.crt") {
			t.Errorf("endpoint %q clusterDNS %q domain %q resolvConf %q clientCAFile %q", doc.ContainerRuntimeEndpoint,
				doc.ClusterDNS, doc.ClusterDomain, doc.ResolvConf, doc.Authentication.X509.ClientCAFile)
		}
		if len(doc.EvictionHard) == 0 {
			t.Error("no evictionHard: the kubelet's defaults would evict on a full CI disk")
		}
		for signal, threshold := range doc.EvictionHard {
			if threshold != "0%" {
				t.Errorf("evictionHard %s is %q, want 0%%", signal, threshold)
			}
		}
	}
}

func TestKubeProxyConfig(t *testing.T) {
	var doc struct {
		APIVersion       string `yaml:"apiVersion"`
		Kind             string `yaml:"kind"`
		Mode             string `yaml:"mode"`
		HostnameOverride string `yaml:"hostnameOverride"`
		ClusterCIDR      string `yaml:"clusterCIDR"`
		Conntrack        struct {
			MaxPerCore *int `yaml:"maxPerCore"`
		} `yaml:"conntrack"`
		ClientConnection struct {
			Kubeconfig string `yaml:"kubeconfig"`
		} `yaml:"clientConnection"`
	}
	if err := yaml.Unmarshal([]byte(kubeProxyConfig("10.245.0.0/16")), &doc); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, kubeProxyConfig("10.245.0.0/16"))
	}
	if doc.APIVersion != "kubeproxy.config.k8s.io/v1alpha1" || doc.Kind != "KubeProxyConfiguration" || doc.Mode == "" {
		t.Errorf("%s/%s mode %q", doc.APIVersion, doc.Kind, doc.Mode)
	}
	if doc.HostnameOverride != nodeName || doc.ClusterCIDR != "10.245.0.0/16" || doc.ClientConnection.Kubeconfig != conf("kube-proxy.conf") {
		t.Errorf("hostnameOverride %q clusterCIDR %q kubeconfig %q", doc.HostnameOverride, doc.ClusterCIDR, doc.ClientConnection.Kubeconfig)
	}
	if doc.Conntrack.MaxPerCore == nil || *doc.Conntrack.MaxPerCore != 0 {
		t.Error("conntrack.maxPerCore is not 0: kube-proxy would try to set nf_conntrack_max, which a container cannot")
	}
	// the kubeconfig kube-proxy is pointed at is one the agent writes
	if !slices.ContainsFunc(componentIdentities, func(id clientIdentity) bool { return conf(id.file) == doc.ClientConnection.Kubeconfig }) {
		t.Errorf("%s is not written by generateCredentials", doc.ClientConnection.Kubeconfig)
	}
}

func TestComponentsReadWrittenCredentials(t *testing.T) {
	_, files, err := issueCredentials(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	for _, f := range files {
		written[f.path] = true
	}
	all := []component{containerdComponent(), dockerdComponent(hostInfo{}), etcdComponent(true), apiServerComponent(nil),
		controllerManagerComponent(), schedulerComponent(), kubeletComponent(), kubeProxyComponent()}
	named := 0
	for _, c := range all {
		for _, arg := range c.args {
			if strings.HasPrefix(arg, pkiDir+"/") || filepath.Ext(arg) == ".conf" && strings.HasPrefix(arg, kubeDir+"/") {
				named++
				if !written[arg] {
					t.Errorf("%s reads %s, which the credentials do not include", c.name, arg)
				}
			}
		}
	}
	if named == 0 {
		t.Fatal("no component names a credential file: the test reads the wrong arguments")
	}
}
