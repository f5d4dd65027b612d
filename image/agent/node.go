package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"
	"time"
)

// node holds the state shared by the bake and run modes.
type node struct {
	start  time.Time
	sup    *supervisor
	track  *tracker
	host   hostInfo
	creds  *credentials
	api    *apiClient
	gate   *relay // the components' way to the API
	docker *relay // TCP port 2375 to dockerd's unix socket
}

// newNode starts the readiness server at once, before anything else.
func newNode() *node {
	n := &node{start: time.Now(), sup: &supervisor{}}
	n.track = newTracker(n.start, n.sup)
	go n.track.serve()
	go n.track.loop()
	return n
}

// prepare sets up the container and writes fresh credentials and configs.
func (n *node) prepare(extraSANs []string) error {
	var err error
	if n.host, err = prepareHost(); err != nil {
		return err
	}
	if n.creds, err = generateCredentials(extraSANs); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if n.api, err = newAPIClient(n.creds); err != nil {
		return err
	}
	if err := writeConfigs(n.host); err != nil {
		return err
	}
	opts, err := optionsFromEnv()
	if err == nil {
		err = opts.amendConfigs()
	}
	if err != nil {
		return fmt.Errorf("cluster options: %w", err)
	}
	n.sup.adjust = opts.apply
	if n.gate, err = startRelay(fmt.Sprintf("127.0.0.1:%d", gatePort), "tcp", fmt.Sprintf("127.0.0.1:%d", apiPort)); err != nil {
		return err
	}
	if n.docker, err = startRelay(fmt.Sprintf(":%d", dockerTCPPort), "unix", dockerSock); err != nil {
		return err
	}
	n.track.setCredentials(n.creds, n.api)
	log.Printf("credentials and configuration written in %s", n.since())
	return nil
}

// startContainerd seeds the image store if needed and starts containerd.
func (n *node) startContainerd() error {
	if err := seedStore(); err != nil {
		return fmt.Errorf("seeding the image store: %w", err)
	}
	n.sup.start(containerdComponent())
	if err := waitFor("containerd", time.Minute, containerdHealth); err != nil {
		return err
	}
	go watchImageIDNames()
	return nil
}

// startDockerd starts dockerd on the system containerd.
func (n *node) startDockerd() error {
	n.sup.start(dockerdComponent(n.host))
	if err := waitFor("dockerd", time.Minute, dockerHealth); err != nil {
		return err
	}
	n.docker.release()
	allowPodForwarding(n.host.podCIDR)
	log.Printf("dockerd ready at %s", n.since())
	return nil
}

// startControlPlane starts etcd, the API server, the controllers and
// kube-proxy; the clients wait at the gate until openGate.
func (n *node) startControlPlane(throwaway bool) {
	n.startAPIServer(throwaway)
	n.startAPIClients()
}

// startAPIServer starts etcd and the API server.
func (n *node) startAPIServer(throwaway bool) {
	n.sup.start(etcdComponent(throwaway))
	n.sup.start(apiServerComponent(n.api))
}

// startAPIClients starts the controllers and kube-proxy, which reach the API
// through the gate.
func (n *node) startAPIClients() {
	n.sup.start(controllerManagerComponent())
	n.sup.start(schedulerComponent())
	n.sup.start(kubeProxyComponent())
}

func (n *node) startKubelet() { n.sup.start(kubeletComponent()) }

// waitForAPI waits until the API server reports ready.
func (n *node) waitForAPI() error {
	if err := waitFor("kube-apiserver", 2*time.Minute, n.api.readyz); err != nil {
		return err
	}
	log.Printf("kube-apiserver ready at %s", n.since())
	return nil
}

// openGate publishes the new CA, lets the components reach the API, and
// returns once the whole /readyz passes. On a baked etcd (baked) the gate
// opens once the API serves (bakedHooks aside), so the kubelet starts the
// pods while those hooks still wait; during a bake those hooks create the
// objects, so the gate waits for them.
func (n *node) openGate(baked bool, onOpen func()) error {
	serves := n.api.readyz
	if baked {
		serves = n.api.servesBaked
	}
	if err := waitFor("kube-apiserver", 2*time.Minute, serves); err != nil {
		return err
	}
	if err := publishRootCA(n.api, n.creds.ca); err != nil {
		return fmt.Errorf("publishing the cluster CA: %w", err)
	}
	n.gate.release()
	log.Printf("API open to the components at %s", n.since())
	if onOpen != nil {
		onOpen()
	}
	return n.waitForAPI()
}

func (n *node) since() time.Duration { return time.Since(n.start).Round(time.Millisecond) }

// runHook runs /kind/hooks/<name> if the bake supplied it.
func (n *node) runHook(name string) error {
	path := hookDir + "/" + name
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	log.Printf("running hook %s", name)
	cmd := exec.Command(path)
	cmd.Env = append(baseEnv(), "KUBECONFIG="+adminConfPath, "DOCKER_HOST=unix://"+dockerSock)
	out := newPrefixWriter("hook:" + name)
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	out.flush()
	if err != nil {
		return fmt.Errorf("hook %s: %w", name, err)
	}
	return nil
}

func splitList(s, sep string) []string {
	var out []string
	for _, item := range strings.Split(s, sep) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
