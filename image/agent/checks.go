package main

import (
	"context"
	"fmt"
	"net"
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

func checkNode(api *apiClient, start time.Time) error {
	var node struct {
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
	if err := api.get("/api/v1/nodes/"+nodeName, &node); err != nil {
		return err
	}
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

func checkCoreDNS(api *apiClient, start time.Time) error {
	var pods struct {
		Items []struct {
			Metadata struct {
				DeletionTimestamp *time.Time `json:"deletionTimestamp"`
			} `json:"metadata"`
			Status struct {
				Conditions []condition `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := api.get("/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns", &pods); err != nil {
		return err
	}
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
	for _, a := range addrs {
		if a == kubernetesSvc {
			return nil
		}
	}
	return fmt.Errorf("%s resolved to %v, want %s", name, addrs, kubernetesSvc)
}
