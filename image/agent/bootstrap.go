package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"time"
)

// bootstrap bakes a cluster: everything slow happens here, once, in a
// container that is then committed. It ends with every process stopped and
// only images and etcd data left behind.
func bootstrap() error {
	n := newNode()
	if err := n.prepare(nil); err != nil {
		return err
	}
	if err := n.stopAndSeal(n.bake()); err != nil {
		return err
	}
	log.Printf("bake finished in %s", n.since())
	return nil
}

// stopAndSeal ends a bake (or a customization) whose steps returned err: the
// kubelet first, then, after a success, every workload and etcd's free
// pages; then every process; then etcd's WAL tail and the image store seed.
// After a failure it only stops, and returns err.
func (n *node) stopAndSeal(err error) error {
	log.Printf("stopping the cluster")
	if kubelet := n.find("kubelet"); kubelet != nil {
		n.sup.halt(kubelet, 10*time.Second)
	}
	if err == nil {
		removeWorkloads()
		defragEtcd()
	}
	n.sup.stopAll(30 * time.Second)
	if err != nil {
		return err
	}
	if err := trimWAL(etcdDataDir); err != nil {
		return err
	}
	return sealStore()
}

func (n *node) bake() error {
	if err := n.startContainerd(); err != nil {
		return err
	}
	if err := n.startDockerd(); err != nil {
		return err
	}
	if err := n.runHook("before-cluster"); err != nil {
		return err
	}
	n.startControlPlane(false) // starts while the system images build
	corednsImage, err := buildSystemImages()
	if err != nil {
		return err
	}
	if err := buildHelperImage(); err != nil {
		return err
	}
	n.startKubelet()
	if err := n.openGate(false, nil); err != nil {
		return err
	}
	values := manifestValues{
		CorednsImage: corednsImage, DNSServiceIP: dnsServiceIP, ClusterDomain: clusterDomain,
		APIHost: fixedIP, APIPort: apiPort, addonValues: newAddonValues(),
	}
	if err := applyManifests(n.api, values); err != nil {
		return err
	}
	if err := waitFor("node registration", 2*time.Minute, n.labelNode); err != nil {
		return err
	}
	if err := waitFor("the cluster", 5*time.Minute, n.kubernetesReady); err != nil {
		return err
	}
	log.Printf("cluster ready at %s", n.since())
	if err := n.preload(); err != nil {
		return err
	}
	return n.runHook("after-cluster")
}

// preload pulls the PRELOAD images, logged in with the bake secret if any.
func (n *node) preload() error {
	refs := splitList(os.Getenv("PRELOAD"), " ")
	login, ok, err := loginFromSecret(registrySecret)
	if err != nil {
		return err
	}
	if ok {
		if err := login.login(); err != nil {
			return err
		}
		defer login.logout()
	}
	return pullPreloads(refs)
}

func (n *node) labelNode() error {
	patch := map[string]any{"metadata": map[string]any{"labels": map[string]string{
		"node-role.kubernetes.io/control-plane": "",
	}}}
	found, err := n.api.mergePatch("/api/v1/nodes/"+nodeName, patch)
	if err == nil && !found {
		err = fmt.Errorf("node %s not registered yet", nodeName)
	}
	return err
}

func (n *node) kubernetesReady() error {
	n.track.mu.Lock()
	defer n.track.mu.Unlock()
	if !n.track.kubernetes.OK {
		return errors.New(n.track.kubernetes.Reason)
	}
	return nil
}

func (n *node) find(name string) *process {
	n.sup.mu.Lock()
	defer n.sup.mu.Unlock()
	for _, p := range n.sup.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}
