package main

// This file is not part of the product's kind-agent: bench/kubeadm/build-agent.sh
// builds the agent with it added to the package (go build -overlay), for the
// benchmark's image only.
//
// "kind-agent kubeadm" brings a cluster up the way kind brings up a node: the
// control-plane images are already in containerd, a kubelet waits for the
// configuration kubeadm writes, `kubeadm init` does every step at run time,
// then a CNI is installed and the single node is untainted. It is the
// benchmark's baseline for "a cluster that starts without baking" and never
// runs in the product's own image: the kubeadm binary is only in the
// benchmark's image (bench/kubeadm/).
//
// It shares with the baked node everything that is not bootstrapping: the
// host preparation (cgroups, mounts, fixed address, fallback privilege), the
// containerd configuration and image-store seed, the kubelet and kube-proxy
// tuning, the CNI configuration and the readiness checks with their
// "cluster ready at" line, so the two differ only in how the cluster is made.

import (
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func init() { modes["kubeadm"] = kubeadmMode }

const (
	kubeadmConfigPath = "/kind/kubeadm.conf"
	kubeadmFlagsPath  = "/var/lib/kubelet/kubeadm-flags.env"
)

// kubeadmMode: "kubeadm" starts a cluster; "kubeadm prepare TAR SRC=DST..."
// fills the image store ahead of time (outside any timing).
func kubeadmMode(args []string) error {
	if len(args) > 0 && args[0] == "prepare" {
		return kubeadmPrepare(args[1:])
	}
	if len(args) > 0 {
		return fmt.Errorf("kubeadm: unexpected arguments %v (want none, or prepare TAR SRC=DST...)", args)
	}
	return kubeadmRun()
}

func kubeadmRun() error {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	n := newNode()
	var err error
	if n.host, err = prepareHost(); err != nil {
		return err
	}
	if err := writeFile(containerdConfigPath, []byte(containerdConfig()), 0o644); err != nil {
		return err
	}
	if err := writeFile(kubeadmConfigPath, []byte(kubeadmConfig(n.host, kubeadmVersion())), 0o644); err != nil {
		return err
	}
	go func() {
		if err := n.kubeadmUp(); err != nil {
			log.Printf("error: %v", err)
		}
	}()
	sig := <-signals
	log.Printf("%s: stopping", sig)
	n.sup.stopAll(stopBudget)
	return nil
}

func (n *node) kubeadmUp() error {
	if err := n.startContainerd(); err != nil {
		return err
	}
	// kind's kubelet unit restarts until kubeadm has written its
	// configuration; waiting for the files here does the same without the
	// failed starts, and at a tenth of systemd's one-second restart delay.
	n.sup.start(component{name: "kubelet", path: "/bin/sh", args: []string{"-c", kubeletUnit}})
	log.Printf("running kubeadm init at %s", n.since())
	if err := n.runLogged("kubeadm", bin("kubeadm"), "init", "--config="+kubeadmConfigPath,
		"--skip-phases=preflight", "--skip-token-print"); err != nil {
		return fmt.Errorf("kubeadm init: %w", err)
	}
	log.Printf("kubeadm init done at %s", n.since())
	creds, err := kubeadmCredentials()
	if err != nil {
		return err
	}
	if n.api, err = newAPIClient(creds); err != nil {
		return err
	}
	n.creds = creds
	n.track.setCredentials(creds, n.api)
	// kind's steps after init: the CNI, then the single node loses the
	// control-plane taint so workloads schedule on it.
	if err := writeFile(cniConfigPath, []byte(cniConfig(n.host.mtu, nodePodCIDR)), 0o644); err != nil {
		return err
	}
	if err := n.runLogged("kubectl", bin("kubectl"), "--kubeconfig="+adminConfPath,
		"taint", "nodes", "--all", "node-role.kubernetes.io/control-plane-"); err != nil {
		return err
	}
	if err := waitFor("the cluster", 5*time.Minute, n.kubernetesReady); err != nil {
		return err
	}
	log.Printf("cluster ready at %s", n.since())
	return nil
}

// kubeletUnit is kind's kubelet service with kubeadm's drop-in: the flags
// kubeadm leaves in kubeadm-flags.env, its kubeconfigs and its config file.
var kubeletUnit = fmt.Sprintf(`until [ -f %[1]s ] && [ -f %[2]s ]; do sleep 0.1; done
KUBELET_KUBEADM_ARGS=
. %[2]s
exec kubelet --bootstrap-kubeconfig=%[3]s/bootstrap-kubelet.conf --kubeconfig=%[3]s/kubelet.conf --config=%[1]s $KUBELET_KUBEADM_ARGS
`, kubeletConfigPath, kubeadmFlagsPath, kubeDir)

// kubeadmConfig is kind's kubeadm configuration for one control-plane node
// of Kubernetes version, with the node's fixed address and port, and the
// same kubelet and kube-proxy settings the baked node uses.
func kubeadmConfig(h hostInfo, version string) string {
	return fmt.Sprintf(`apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: kind
kubernetesVersion: %[1]s
controlPlaneEndpoint: %[2]s:%[3]d
networking:
  podSubnet: %[4]s
  serviceSubnet: %[5]s
  dnsDomain: %[6]s
apiServer:
  certSANs: [localhost, "127.0.0.1"]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: %[2]s
  bindPort: %[3]d
nodeRegistration:
  name: %[7]s
  criSocket: unix://%[8]s
  kubeletExtraArgs:
  - name: node-ip
    value: %[2]s
---
%[9]s---
%[10]s`, version, fixedIP, apiPort, podCIDR, serviceCIDR, clusterDomain, nodeName,
		// kube-proxy: the node's settings without the kubeconfig path and host
		// name, which kubeadm's DaemonSet supplies
		containerdSock, kubeletConfig(h.kubeletCgroupRoot, h.cgroupV1), kubeProxyTuning)
}

var kubeadmVersionPattern = regexp.MustCompile(`v[0-9]+\.[0-9]+\.[0-9]+`)

// kubeadmVersion is the version kubeadm was built as, which is the version of
// every image the benchmark preloads.
func kubeadmVersion() string {
	if v := kubeadmVersionPattern.FindString(output(bin("kubeadm"), "version", "-o", "short")); v != "" {
		return v
	}
	return "unknown"
}

var kubeconfigField = regexp.MustCompile(`(?m)^\s*(certificate-authority-data|client-certificate-data|client-key-data):\s*(\S+)\s*$`)

// kubeadmCredentials reads the admin identity kubeadm wrote, for the
// readiness checks and the /config endpoint.
func kubeadmCredentials() (*credentials, error) {
	conf, err := os.ReadFile(adminConfPath)
	if err != nil {
		return nil, err
	}
	creds, err := parseKubeadmCredentials(conf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", adminConfPath, err)
	}
	return creds, nil
}

// parseKubeadmCredentials takes the CA and the client's key pair from an
// admin kubeconfig with inline data.
func parseKubeadmCredentials(conf []byte) (*credentials, error) {
	fields := map[string][]byte{}
	for _, m := range kubeconfigField.FindAllStringSubmatch(string(conf), -1) {
		data, err := base64.StdEncoding.DecodeString(m[2])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m[1], err)
		}
		fields[m[1]] = data
	}
	for _, name := range []string{"certificate-authority-data", "client-certificate-data", "client-key-data"} {
		if len(fields[name]) == 0 {
			return nil, fmt.Errorf("no %s", name)
		}
	}
	return &credentials{
		ca:          fields["certificate-authority-data"],
		admin:       keyPair{cert: fields["client-certificate-data"], key: fields["client-key-data"]},
		adminConfig: conf,
	}, nil
}

// runLogged runs a command to completion with its output in the node's log.
func (n *node) runLogged(name, path string, args ...string) error {
	cmd := exec.Command(path, args...)
	cmd.Env = baseEnv()
	out := newPrefixWriter(name)
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	out.flush()
	return err
}

// kubeadmPrepare imports an image archive into containerd's k8s.io namespace,
// gives each image the name kubeadm expects (SRC=DST) and saves the store as
// the seed the node unpacks at start, the way a baked node's store is kept.
func kubeadmPrepare(args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("kubeadm prepare: want TAR SRC=DST...")
	}
	n := newNode()
	if err := writeFile(containerdConfigPath, []byte(containerdConfig()), 0o644); err != nil {
		return err
	}
	if err := n.startContainerd(); err != nil {
		return err
	}
	err := importImages(args[0], args[1:])
	n.sup.stopAll(10 * time.Second)
	if err != nil {
		return err
	}
	if err := sealStore(); err != nil {
		return err
	}
	log.Printf("image store prepared in %s", n.since())
	return nil
}

func importImages(archive string, renames []string) error {
	ctr := func(args ...string) error { return command("ctr", append([]string{"-n", "k8s.io"}, args...)...) }
	// Unpacked layers only: keeping their compressed copies too would double
	// the seed every start unpacks.
	if err := ctr("images", "import", "--discard-unpacked-layers", archive); err != nil {
		return err
	}
	for _, r := range renames {
		src, dst, ok := strings.Cut(r, "=")
		if !ok {
			return fmt.Errorf("kubeadm prepare: %q is not SRC=DST", r)
		}
		if err := ctr("images", "tag", "--force", src, dst); err != nil {
			return err
		}
		log.Printf("image %s", dst)
	}
	for _, r := range renames {
		src, _, _ := strings.Cut(r, "=")
		logErr(ctr("images", "rm", src))
	}
	return nil
}
