package main

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestKubeadmMode(t *testing.T) {
	if _, ok := modes["kubeadm"]; !ok {
		t.Fatal("the benchmark's build has no kubeadm mode")
	}
	checkError(t, dispatch([]string{"kubeadm", "extra"}), "unexpected arguments [extra]")
	checkError(t, dispatch([]string{"kubeadm", "prepare"}), "want TAR SRC=DST")
}

func TestKubeadmConfig(t *testing.T) {
	h := hostInfo{kubeletCgroupRoot: "/docker/abc/kubelet", mtu: 1500}
	config := kubeadmConfig(h, "v1.35.4")
	dec := yaml.NewDecoder(strings.NewReader(config))
	kinds := map[string]map[string]any{}
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not YAML: %v\n%s", err, config)
		}
		kinds[doc["kind"].(string)] = doc
	}
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	if want := []string{"ClusterConfiguration", "InitConfiguration", "KubeProxyConfiguration", "KubeletConfiguration"}; !slices.Equal(names, want) {
		t.Fatalf("documents %v, want %v", names, want)
	}
	cluster, initConfig := kinds["ClusterConfiguration"], kinds["InitConfiguration"]
	if cluster["kubernetesVersion"] != "v1.35.4" || cluster["controlPlaneEndpoint"] != "172.30.99.1:8443" {
		t.Errorf("version %v endpoint %v", cluster["kubernetesVersion"], cluster["controlPlaneEndpoint"])
	}
	network := cluster["networking"].(map[string]any)
	if network["podSubnet"] != podCIDR || network["serviceSubnet"] != serviceCIDR || network["dnsDomain"] != clusterDomain {
		t.Errorf("networking %v", network)
	}
	registration := initConfig["nodeRegistration"].(map[string]any)
	if registration["name"] != nodeName || registration["criSocket"] != "unix://"+containerdSock {
		t.Errorf("nodeRegistration %v", registration)
	}
	if kinds["KubeletConfiguration"]["cgroupRoot"] != h.kubeletCgroupRoot {
		t.Errorf("the kubelet's cgroupRoot %v, want %s", kinds["KubeletConfiguration"]["cgroupRoot"], h.kubeletCgroupRoot)
	}
	if _, named := kinds["KubeProxyConfiguration"]["hostnameOverride"]; named {
		t.Error("kube-proxy's host name is kubeadm's DaemonSet's to set")
	}
}

func TestKubeadmCredentials(t *testing.T) {
	ca, err := newCA("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ca.issue(certSpec{commonName: "kubernetes-admin", orgs: []string{"system:masters"}})
	if err != nil {
		t.Fatal(err)
	}
	conf := kubeconfig("https://172.30.99.1:8443", ca.pem.cert, admin, "kubernetes-admin")
	creds, err := parseKubeadmCredentials(conf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(creds.ca, ca.pem.cert) || !bytes.Equal(creds.admin.cert, admin.cert) ||
		!bytes.Equal(creds.admin.key, admin.key) || !bytes.Equal(creds.adminConfig, conf) {
		t.Error("the credentials are not the kubeconfig's")
	}
	if _, err := newAPIClient(creds); err != nil {
		t.Errorf("no API client from them: %v", err)
	}
	withoutKey := bytes.ReplaceAll(conf, []byte("client-key-data:"), []byte("client-key:"))
	if _, err := parseKubeadmCredentials(withoutKey); err == nil || !strings.Contains(err.Error(), "no client-key-data") {
		t.Errorf("a kubeconfig without the client key: %v", err)
	}
	badData := bytes.ReplaceAll(conf, []byte("certificate-authority-data: "), []byte("certificate-authority-data: !"))
	if _, err := parseKubeadmCredentials(badData); err == nil || !strings.Contains(err.Error(), "certificate-authority-data") {
		t.Errorf("undecodable data: %v", err)
	}
}
