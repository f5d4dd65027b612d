package main

import (
	"crypto/x509"
	"encoding/base64"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func ipNet(s string) net.Addr {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

func TestAPIServerSANs(t *testing.T) {
	fixedDNS := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local", nodeName}
	fixedIPs := []string{fixedIP, "127.0.0.1", kubernetesSvc}
	cases := []struct {
		name     string
		hostname string
		addrs    []net.Addr
		extra    []string
		dns, ips []string // beyond the fixed ones
	}{
		{"nothing known", "", nil, nil, nil, nil},
		{"the host name and the container's addresses", "3f2c1a", []net.Addr{
			ipNet("127.0.0.1/8"), ipNet("::1/128"), ipNet(fixedIP + "/32"), ipNet("172.17.0.3/16"), ipNet("fd00::3/64"),
		}, nil, []string{"3f2c1a"}, []string{"172.17.0.3", "fd00::3"}},
		{"extra names and addresses", "", nil, []string{" ci.example ", "10.1.2.3", "", "::ffff:10.0.0.1", "api"},
			[]string{"ci.example", "api"}, []string{"10.1.2.3", "10.0.0.1"}},
		{"an address that is not an IP network is skipped", "", []net.Addr{&net.UnixAddr{Name: "/x"}}, nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dns, ips := apiServerSANs(c.hostname, c.addrs, c.extra)
			if want := append(slices.Clone(fixedDNS), c.dns...); !slices.Equal(dns, want) {
				t.Errorf("DNS names %q, want %q", dns, want)
			}
			if want := append(slices.Clone(fixedIPs), c.ips...); !slices.Equal(ipStrings(ips), want) {
				t.Errorf("IPs %q, want %q", ipStrings(ips), want)
			}
		})
	}
}

// kubeconfigFile is the part of a kubeconfig the tests read.
type kubeconfigFile struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Clusters   []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server string `yaml:"server"`
			CA     string `yaml:"certificate-authority-data"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Cert string `yaml:"client-certificate-data"`
			Key  string `yaml:"client-key-data"`
		} `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	CurrentContext string `yaml:"current-context"`
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseKubeconfig reads a kubeconfig and checks that its one context ties its
// one cluster to its one user.
func parseKubeconfig(t *testing.T, data []byte) kubeconfigFile {
	t.Helper()
	var k kubeconfigFile
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, data)
	}
	if k.APIVersion != "v1" || k.Kind != "Config" || len(k.Clusters) != 1 || len(k.Users) != 1 || len(k.Contexts) != 1 {
		t.Fatalf("not a kubeconfig of one cluster, user and context:\n%s", data)
	}
	ctx := k.Contexts[0]
	if k.CurrentContext != ctx.Name || ctx.Context.Cluster != k.Clusters[0].Name || ctx.Context.User != k.Users[0].Name {
		t.Errorf("the current context does not tie the cluster to the user:\n%s", data)
	}
	return k
}

func TestKubeconfig(t *testing.T) {
	client := keyPair{cert: []byte("-----CERT-----\n"), key: []byte("-----KEY-----\n")}
	k := parseKubeconfig(t, kubeconfig("https://10.0.0.1:8443", []byte("-----CA-----\n"), client, "system:node:x"))
	if k.Clusters[0].Cluster.Server != "https://10.0.0.1:8443" || k.Users[0].Name != "system:node:x" {
		t.Errorf("server %q, user %q", k.Clusters[0].Cluster.Server, k.Users[0].Name)
	}
	for what, got := range map[string]string{
		"-----CA-----\n":   string(b64(t, k.Clusters[0].Cluster.CA)),
		"-----CERT-----\n": string(b64(t, k.Users[0].User.Cert)),
		"-----KEY-----\n":  string(b64(t, k.Users[0].User.Key)),
	} {
		if got != what {
			t.Errorf("decoded %q, want %q", got, what)
		}
	}
}

func TestIssueCredentials(t *testing.T) {
	extraDNS, extraIP := "ci.example", net.ParseIP("10.9.8.7")
	creds, files, err := issueCredentials([]string{"kubernetes", extraDNS}, []net.IP{net.ParseIP(fixedIP), extraIP})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]credentialFile{}
	for _, f := range files {
		if _, dup := byPath[f.path]; dup {
			t.Errorf("%s is written twice", f.path)
		}
		byPath[f.path] = f
	}
	file := func(path string) credentialFile {
		t.Helper()
		f, ok := byPath[path]
		if !ok {
			t.Fatalf("no %s among %d files", path, len(files))
		}
		return f
	}
	// what the components' command lines name (components.go)
	for _, name := range []string{"ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "apiserver-kubelet-client.crt",
		"apiserver-kubelet-client.key", "sa.key", "sa.pub", "admin.crt", "admin.key"} {
		file(pki(name))
	}
	for path, f := range byPath {
		secret := strings.HasSuffix(path, ".key") || strings.HasSuffix(path, ".conf")
		if want := map[bool]int{true: 0o600, false: 0o644}[secret]; int(f.mode) != want {
			t.Errorf("%s mode %o, want %o", path, f.mode, want)
		}
	}

	ca := parseCert(t, file(pki("ca.crt")).data)
	if string(creds.ca) != string(file(pki("ca.crt")).data) {
		t.Error("the CA served is not the CA written")
	}
	apiserver := parseCert(t, file(pki("apiserver.crt")).data)
	for _, name := range []string{"kubernetes", extraDNS, fixedIP, extraIP.String()} {
		if err := verify(apiserver, ca, x509.ExtKeyUsageServerAuth, name); err != nil {
			t.Errorf("the API serving certificate for %s: %v", name, err)
		}
	}
	kubeletClient := parseCert(t, file(pki("apiserver-kubelet-client.crt")).data)
	if err := verify(kubeletClient, ca, x509.ExtKeyUsageClientAuth, ""); err != nil ||
		!slices.Contains(kubeletClient.Subject.Organization, "system:masters") {
		t.Errorf("the API server's kubelet client: %v, organizations %q", err, kubeletClient.Subject.Organization)
	}

	// every component's kubeconfig: through the gate, as its own identity, signed by the CA
	for _, id := range componentIdentities {
		k := parseKubeconfig(t, file(filepath.Join(kubeDir, id.file)).data)
		if got := k.Clusters[0].Cluster.Server; got != gatedAPI() {
			t.Errorf("%s: server %s, want the gate %s", id.file, got, gatedAPI())
		}
		if string(b64(t, k.Clusters[0].Cluster.CA)) != string(creds.ca) {
			t.Errorf("%s: not the cluster CA", id.file)
		}
		cert := parseCert(t, b64(t, k.Users[0].User.Cert))
		if err := verify(cert, ca, x509.ExtKeyUsageClientAuth, ""); err != nil {
			t.Errorf("%s: %v", id.file, err)
		}
		wantOrgs := []string(nil)
		if id.org != "" {
			wantOrgs = []string{id.org}
		}
		if cert.Subject.CommonName != id.commonName || !slices.Equal(cert.Subject.Organization, wantOrgs) {
			t.Errorf("%s: subject %v, want CN=%s O=%v", id.file, cert.Subject, id.commonName, wantOrgs)
		}
		if !parseKey(t, b64(t, k.Users[0].User.Key)).PublicKey.Equal(cert.PublicKey) {
			t.Errorf("%s: the key does not match the certificate", id.file)
		}
	}

	// the admin's kubeconfig is what /config serves: the fixed address, system:masters
	admin := file(adminConfPath)
	if string(admin.data) != string(creds.adminConfig) {
		t.Error("the kubeconfig served is not the one written")
	}
	k := parseKubeconfig(t, admin.data)
	if got := k.Clusters[0].Cluster.Server; got != fixedAPI() {
		t.Errorf("admin.conf server %s, want %s", got, fixedAPI())
	}
	adminCert := parseCert(t, creds.admin.cert)
	if string(b64(t, k.Users[0].User.Cert)) != string(creds.admin.cert) || string(file(pki("admin.crt")).data) != string(creds.admin.cert) {
		t.Error("admin.conf, admin.crt and /client.crt differ")
	}
	if err := verify(adminCert, ca, x509.ExtKeyUsageClientAuth, ""); err != nil || !slices.Equal(adminCert.Subject.Organization, []string{"system:masters"}) {
		t.Errorf("admin certificate: %v, organizations %q", err, adminCert.Subject.Organization)
	}
	if _, err := newAPIClient(creds); err != nil {
		t.Errorf("the credentials make no API client: %v", err)
	}

	// a second issue is a new cluster: a new CA that does not vouch for the first's certificates
	again, _, err := issueCredentials(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(adminCert, parseCert(t, again.ca), x509.ExtKeyUsageClientAuth, ""); err == nil {
		t.Error("a second issue's CA accepts the first's admin certificate")
	}
}
