package main

import (
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// clientIdentity is one kubeconfig the agent writes for a component.
type clientIdentity struct {
	file       string
	commonName string
	org        string
	server     string
}

// The components reach the API through the gate (see relay.go).
var componentIdentities = []clientIdentity{
	{"controller-manager.conf", "system:kube-controller-manager", "", gatedAPI()},
	{"scheduler.conf", "system:kube-scheduler", "", gatedAPI()},
	{"kubelet.conf", "system:node:" + nodeName, "system:nodes", gatedAPI()},
	{"kube-proxy.conf", "system:kube-proxy", "", gatedAPI()},
}

func localAPI() string { return fmt.Sprintf("https://127.0.0.1:%d", apiPort) }
func gatedAPI() string { return fmt.Sprintf("https://127.0.0.1:%d", gatePort) }
func fixedAPI() string { return fmt.Sprintf("https://%s:%d", fixedIP, apiPort) }

// credentials hold what the readiness server hands out.
type credentials struct {
	ca          []byte
	admin       keyPair
	adminConfig []byte
}

// credentialFile is one file of the node's credentials.
type credentialFile struct {
	path string
	data []byte
	mode os.FileMode
}

// generateCredentials creates a new cluster CA and every certificate, key and
// kubeconfig signed by it, replacing any previous ones.
func generateCredentials(extraSANs []string) (*credentials, error) {
	host, _ := os.Hostname() // none: the other names still hold
	addrs, _ := net.InterfaceAddrs()
	creds, files, err := issueCredentials(apiServerSANs(host, addrs, extraSANs))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := writeFile(f.path, f.data, f.mode); err != nil {
			return nil, err
		}
	}
	return creds, nil
}

// issueCredentials makes the CA, the certificates and keys, the service
// account key and the kubeconfigs, as the files the components read; the API
// serving certificate holds dnsNames and ips.
func issueCredentials(dnsNames []string, ips []net.IP) (*credentials, []credentialFile, error) {
	ca, err := newCA("kubernetes")
	if err != nil {
		return nil, nil, err
	}
	files := keyPairFiles(pkiDir, "ca", ca.pem)
	issued := []struct {
		name string
		spec certSpec
	}{
		{"apiserver", certSpec{commonName: "kube-apiserver", dnsNames: dnsNames, ips: ips, server: true}},
		{"apiserver-kubelet-client", certSpec{commonName: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}}},
		{"admin", certSpec{commonName: "kubernetes-admin", orgs: []string{"system:masters"}}},
	}
	pairs := map[string]keyPair{}
	for _, c := range issued {
		kp, err := ca.issue(c.spec)
		if err != nil {
			return nil, nil, fmt.Errorf("%s certificate: %w", c.name, err)
		}
		files = append(files, keyPairFiles(pkiDir, c.name, kp)...)
		pairs[c.name] = kp
	}
	saKey, saPub, err := serviceAccountKey()
	if err != nil {
		return nil, nil, fmt.Errorf("service account key: %w", err)
	}
	files = append(files,
		credentialFile{filepath.Join(pkiDir, "sa.key"), saKey, 0o600},
		credentialFile{filepath.Join(pkiDir, "sa.pub"), saPub, 0o644})
	for _, id := range componentIdentities {
		spec := certSpec{commonName: id.commonName}
		if id.org != "" {
			spec.orgs = []string{id.org}
		}
		kp, err := ca.issue(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("%s certificate: %w", id.commonName, err)
		}
		conf := kubeconfig(id.server, ca.pem.cert, kp, id.commonName)
		files = append(files, credentialFile{filepath.Join(kubeDir, id.file), conf, 0o600})
	}
	admin := kubeconfig(fixedAPI(), ca.pem.cert, pairs["admin"], "kubernetes-admin")
	files = append(files, credentialFile{adminConfPath, admin, 0o600})
	return &credentials{ca: ca.pem.cert, admin: pairs["admin"], adminConfig: admin}, files, nil
}

// apiServerSANs lists the names the API serving certificate is valid for:
// the fixed ones, the container's host name and addresses, and the extra
// names (IP addresses among them go to the addresses).
func apiServerSANs(hostname string, addrs []net.Addr, extra []string) ([]string, []net.IP) {
	dnsNames := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc." + clusterDomain, nodeName}
	ips := []net.IP{net.ParseIP(fixedIP), net.ParseIP("127.0.0.1"), net.ParseIP(kubernetesSvc)}
	if hostname != "" {
		dnsNames = append(dnsNames, hostname)
	}
	for _, a := range addrs {
		if ipNet, ok := a.(*net.IPNet); ok && !ipNet.IP.IsLoopback() && !ipNet.IP.Equal(net.ParseIP(fixedIP)) {
			ips = append(ips, ipNet.IP)
		}
	}
	for _, name := range extra {
		name = strings.TrimSpace(name)
		if ip := net.ParseIP(name); ip != nil {
			ips = append(ips, ip)
		} else if name != "" {
			dnsNames = append(dnsNames, name)
		}
	}
	return dnsNames, ips
}

func kubeconfig(server string, caPEM []byte, client keyPair, user string) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kind
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kind
  context:
    cluster: kind
    user: %s
current-context: kind
preferences: {}
`, server, b64(caPEM), user, b64(client.cert), b64(client.key), user))
}
