package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"
)

// kubeCheck is one condition of /kubernetes-ready.
type kubeCheck struct {
	name string
	run  func(api *apiClient, start time.Time) error
}

var kubeChecks = []kubeCheck{
	{"apiserver", func(api *apiClient, _ time.Time) error { return api.readyz() }},
	{"node", checkNode},
	{"coredns", checkCoreDNS},
	{"serviceaccount", checkDefaultServiceAccount},
	{"dns", checkClusterDNS},
}

type condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	LastHeartbeatTime  time.Time `json:"lastHeartbeatTime"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// fresh tells whether t was written by this start (API times have second
// precision).
func fresh(t, start time.Time) bool {
	return !t.Before(start.Truncate(time.Second))
}

// nodeObject is what the node check reads of the Node.
type nodeObject struct {
	Spec struct {
		Taints []struct {
			Key    string `json:"key"`
			Effect string `json:"effect"`
		} `json:"taints"`
	} `json:"spec"`
	Status struct {
		Conditions []condition `json:"conditions"`
	} `json:"status"`
}

func checkNode(api *apiClient, start time.Time) error {
	var node nodeObject
	if err := api.get("/api/v1/nodes/"+nodeName, &node); err != nil {
		return err
	}
	return nodeReady(node, start)
}

// nodeReady holds when the node takes pods (no NoSchedule or NoExecute
// taint) and is Ready with a heartbeat from this start.
func nodeReady(node nodeObject, start time.Time) error {
	for _, t := range node.Spec.Taints {
		if t.Effect == "NoSchedule" || t.Effect == "NoExecute" {
			return fmt.Errorf("node has taint %s:%s", t.Key, t.Effect)
		}
	}
	for _, c := range node.Status.Conditions {
		if c.Type != "Ready" {
			continue
		}
		if !fresh(c.LastHeartbeatTime, start) {
			return fmt.Errorf("node has no heartbeat since this start (last %s)", c.LastHeartbeatTime.Format(time.RFC3339))
		}
		if c.Status != "True" {
			return fmt.Errorf("node Ready is %s", c.Status)
		}
		return nil
	}
	return fmt.Errorf("node has no Ready condition")
}

// podList is what the CoreDNS check reads of its pods.
type podList struct {
	Items []struct {
		Metadata struct {
			DeletionTimestamp *time.Time `json:"deletionTimestamp"`
		} `json:"metadata"`
		Status struct {
			Conditions []condition `json:"conditions"`
		} `json:"status"`
	} `json:"items"`
}

func checkCoreDNS(api *apiClient, start time.Time) error {
	var pods podList
	if err := api.get("/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns", &pods); err != nil {
		return err
	}
	return corednsReady(pods, start)
}

// corednsReady holds when a CoreDNS pod that is not going away became Ready
// since this start.
func corednsReady(pods podList, start time.Time) error {
	for _, p := range pods.Items {
		if p.Metadata.DeletionTimestamp != nil {
			continue // going away
		}
		for _, c := range p.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" && fresh(c.LastTransitionTime, start) {
				return nil
			}
		}
	}
	return fmt.Errorf("no CoreDNS pod became ready since this start (%d pods)", len(pods.Items))
}

func checkDefaultServiceAccount(api *apiClient, _ time.Time) error {
	var sa struct{}
	return api.get("/api/v1/namespaces/default/serviceaccounts/default", &sa)
}

// checkClusterDNS resolves the API service's name through the cluster DNS
// service IP, the way a pod would.
func checkClusterDNS(_ *apiClient, _ time.Time) error {
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(dnsServiceIP, "53"))
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	name := "kubernetes.default.svc." + clusterDomain
	addrs, err := resolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	return expectAddress(name, addrs, kubernetesSvc)
}

// expectAddress holds when a lookup of name answered want among addrs.
func expectAddress(name string, addrs []string, want string) error {
	if slices.Contains(addrs, want) {
		return nil
	}
	return fmt.Errorf("%s resolved to %v, want %s", name, addrs, want)
}
