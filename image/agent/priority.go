package main

import (
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
)

// Until the API server is ready, every other component runs at a lower CPU
// priority: on a small runner they would otherwise take CPU from the API
// server's start-up, which everything else waits for anyway. Once it is ready,
// every process of the node gets normal priority back.

const backgroundNice = 10

// apiFirst is set while the API server of a starting node comes up (not
// during the bake, where the image builds run beside it).
var apiFirst atomic.Bool

// foreground names the components that keep normal priority throughout.
var foreground = map[string]bool{"etcd": true, "kube-apiserver": true}

// niceArgs wraps a command in nice(1) while the API server starts (niceness
// set before exec holds for every thread the program creates).
func niceArgs(name, path string, args []string) (string, []string) {
	if !apiFirst.Load() || foreground[name] {
		return path, args
	}
	return "/usr/bin/nice", append([]string{"-n", strconv.Itoa(backgroundNice), path}, args...)
}

// restorePriority gives every thread of every process back normal priority.
func restorePriority() {
	apiFirst.Store(false)
	tasks, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*")
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		if prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil && 20-prio > 0 {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 0)
		}
	}
}
