module kind-action/image/pause

go 1.22
