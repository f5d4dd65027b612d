module kind-action.local/builder

go 1.26
