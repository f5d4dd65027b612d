module kind-action/image/agent

go 1.22
