package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
)

//go:embed manifests/*.json
var manifests embed.FS

// manifestValues fill the placeholders of the embedded manifests.
type manifestValues struct {
	CorednsImage  string
	DNSServiceIP  string
	ClusterDomain string
	// CoreDNS reaches the API at the node's fixed address, not through the
	// kubernetes Service: at start, kube-proxy programs the Service a moment
	// after CoreDNS starts, and a failed first list costs CoreDNS a second of
	// client backoff.
	APIHost string
	APIPort int
	addonValues
}

// objectHeader is the part of an object that decides where it is created.
type objectHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

var resourceNames = map[string]string{
	"ServiceAccount":     "serviceaccounts",
	"ConfigMap":          "configmaps",
	"Service":            "services",
	"Deployment":         "deployments",
	"ClusterRole":        "clusterroles",
	"ClusterRoleBinding": "clusterrolebindings",
	"Namespace":          "namespaces",
	"StorageClass":       "storageclasses",
}

// manifestObject is one rendered object and the collection it is POSTed to.
type manifestObject struct {
	collection string
	body       json.RawMessage
}

// applyManifests creates every object of the embedded manifests.
func applyManifests(api *apiClient, values manifestValues) error {
	objects, err := renderManifests(values)
	if err != nil {
		return err
	}
	for _, obj := range objects {
		if err := api.create(obj.collection, obj.body); err != nil {
			return err
		}
	}
	return nil
}

// renderManifests fills the embedded manifests' placeholders; each file is a
// JSON array of objects.
func renderManifests(values manifestValues) ([]manifestObject, error) {
	files, err := manifests.ReadDir("manifests")
	if err != nil {
		return nil, err
	}
	var out []manifestObject
	for _, f := range files {
		raw, err := manifests.ReadFile("manifests/" + f.Name())
		if err != nil {
			return nil, err
		}
		var rendered bytes.Buffer
		tmpl, err := template.New(f.Name()).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return nil, err
		}
		if err := tmpl.Execute(&rendered, values); err != nil {
			return nil, err
		}
		var objects []json.RawMessage
		if err := json.Unmarshal(rendered.Bytes(), &objects); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		for _, obj := range objects {
			path, err := collectionPath(obj)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name(), err)
			}
			out = append(out, manifestObject{collection: path, body: obj})
		}
	}
	return out, nil
}

// collectionPath maps an object to the REST collection it is POSTed to.
func collectionPath(obj []byte) (string, error) {
	var h objectHeader
	if err := json.Unmarshal(obj, &h); err != nil {
		return "", err
	}
	resource, ok := resourceNames[h.Kind]
	if !ok {
		return "", fmt.Errorf("unsupported kind %q", h.Kind)
	}
	prefix := "/apis/" + h.APIVersion
	if !strings.Contains(h.APIVersion, "/") {
		prefix = "/api/" + h.APIVersion
	}
	if h.Metadata.Namespace != "" {
		prefix += "/namespaces/" + h.Metadata.Namespace
	}
	return prefix + "/" + resource, nil
}

// publishRootCA puts the new cluster CA into every namespace's
// kube-root-ca.crt ConfigMap so pods started from baked objects trust the API.
func publishRootCA(api *apiClient, caPEM []byte) error {
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := api.get("/api/v1/namespaces", &list); err != nil {
		return err
	}
	patch := map[string]any{"data": map[string]string{"ca.crt": string(caPEM)}}
	for _, ns := range list.Items {
		path := "/api/v1/namespaces/" + ns.Metadata.Name + "/configmaps/kube-root-ca.crt"
		if _, err := api.mergePatch(path, patch); err != nil {
			return err
		}
	}
	return nil
}
