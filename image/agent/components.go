package main

import (
	"fmt"
	"path/filepath"
)

func bin(name string) string  { return filepath.Join(binDir, name) }
func pki(name string) string  { return filepath.Join(pkiDir, name) }
func conf(name string) string { return filepath.Join(kubeDir, name) }

func containerdComponent() component {
	return component{name: "containerd", path: filepath.Join(runtimeBinDir, "containerd"),
		args: []string{"--config", containerdConfigPath}, health: containerdHealth}
}

func dockerdComponent(h hostInfo) component {
	return component{name: "dockerd", path: filepath.Join(runtimeBinDir, "dockerd"), args: []string{
		"--containerd", containerdSock,
		"--containerd-namespace", "k8s.io",
		"--containerd-plugins-namespace", "k8s.io-plugins",
		"--cgroup-parent", h.dockerCgroupParent,
		"-H", "unix://" + dockerSock, // TCP 2375 is relayed by the agent
	}, health: dockerHealth,
		// dockerd sees the events of the CRI's containers in the shared
		// namespace and reports each one it does not own as an error
		drop: []string{`msg="failed to process event"`}}
}

// etcdComponent serves plain HTTP on loopback only. At run time the node is
// throwaway, so writes skip fsync.
func etcdComponent(throwaway bool) component {
	args := []string{
		"--name", nodeName,
		"--data-dir", etcdDataDir,
		"--listen-client-urls", etcdURL,
		"--advertise-client-urls", etcdURL,
		"--listen-peer-urls", "http://127.0.0.1:2380",
		"--initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"--initial-cluster", nodeName + "=http://127.0.0.1:2380",
		"--listen-metrics-urls", "http://127.0.0.1:2381",
		// a restarted member waits one election timeout before it elects
		// itself; with no peers a short one costs nothing
		"--heartbeat-interval", "20",
		"--election-timeout", "200",
		"--log-level", "warn",
	}
	if throwaway {
		args = append(args, "--unsafe-no-fsync")
	}
	return component{name: "etcd", path: bin("etcd"), args: args, health: etcdHealth}
}

func apiServerComponent(api *apiClient) component {
	return component{name: "kube-apiserver", path: bin("kube-apiserver"), args: []string{
		"--advertise-address", fixedIP,
		"--bind-address", "0.0.0.0",
		"--secure-port", fmt.Sprint(apiPort),
		"--etcd-servers", etcdURL,
		"--service-cluster-ip-range", serviceCIDR,
		"--client-ca-file", pki("ca.crt"),
		"--tls-cert-file", pki("apiserver.crt"),
		"--tls-private-key-file", pki("apiserver.key"),
		"--kubelet-client-certificate", pki("apiserver-kubelet-client.crt"),
		"--kubelet-client-key", pki("apiserver-kubelet-client.key"),
		"--kubelet-preferred-address-types", "InternalIP",
		"--service-account-issuer", "https://kubernetes.default.svc." + clusterDomain,
		"--service-account-key-file", pki("sa.pub"),
		"--service-account-signing-key-file", pki("sa.key"),
		"--authorization-mode", "Node,RBAC",
		"--enable-admission-plugins", "NodeRestriction",
		"--allow-privileged=true",
	}, health: func() error { return api.readyz() }}
}

func controllerManagerComponent() component {
	return component{name: "kube-controller-manager", path: bin("kube-controller-manager"), args: []string{
		"--kubeconfig", conf("controller-manager.conf"),
		"--bind-address", "127.0.0.1",
		"--leader-elect=false", // a baked lease would otherwise delay start by its duration
		"--root-ca-file", pki("ca.crt"),
		"--service-account-private-key-file", pki("sa.key"),
		"--cluster-signing-cert-file", pki("ca.crt"),
		"--cluster-signing-key-file", pki("ca.key"),
		"--use-service-account-credentials=true",
		"--controllers", "*,bootstrapsigner,tokencleaner",
	}, health: httpHealth("https://127.0.0.1:10257/healthz")}
}

func schedulerComponent() component {
	return component{name: "kube-scheduler", path: bin("kube-scheduler"), args: []string{
		"--kubeconfig", conf("scheduler.conf"),
		"--bind-address", "127.0.0.1",
		"--leader-elect=false",
	}, health: httpHealth("https://127.0.0.1:10259/healthz")}
}

func kubeletComponent() component {
	return component{name: "kubelet", path: bin("kubelet"), args: []string{
		"--config", kubeletConfigPath,
		"--kubeconfig", conf("kubelet.conf"),
		"--hostname-override", nodeName,
		"--node-ip", fixedIP,
	}, health: httpHealth("http://127.0.0.1:10248/healthz")}
}

func kubeProxyComponent() component {
	return component{name: "kube-proxy", path: bin("kube-proxy"),
		args:   []string{"--config", kubeProxyConfigPath},
		health: httpHealth("http://127.0.0.1:10256/healthz")}
}
