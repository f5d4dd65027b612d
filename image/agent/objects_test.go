package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestCollectionPath(t *testing.T) {
	cases := []struct {
		object, want, err string
	}{
		{`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"namespace":"kube-system"}}`, "/api/v1/namespaces/kube-system/serviceaccounts", ""},
		{`{"apiVersion":"v1","kind":"Service","metadata":{"namespace":"kube-system"}}`, "/api/v1/namespaces/kube-system/services", ""},
		{`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"namespace":"kube-system"}}`, "/apis/apps/v1/namespaces/kube-system/deployments", ""},
		{`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{}}`, "/apis/rbac.authorization.k8s.io/v1/clusterroles", ""},
		{`{"apiVersion":"v1","kind":"Secret","metadata":{"namespace":"x"}}`, "", `unsupported kind "Secret"`},
		{`[]`, "", "cannot unmarshal"},
	}
	for _, c := range cases {
		got, err := collectionPath([]byte(c.object))
		if got != c.want {
			t.Errorf("collectionPath(%s) = %q, want %q", c.object, got, c.want)
		}
		checkError(t, err, c.err)
	}
}

func TestRenderManifests(t *testing.T) {
	// a distinct value per field, each to be found in the rendered objects
	values := manifestValues{}
	leaves := fillLeaves(t, reflect.ValueOf(&values).Elem(), 40000)
	objects, err := renderManifests(values)
	if err != nil {
		t.Fatal(err)
	}
	if len(objects) == 0 {
		t.Fatal("no objects")
	}
	var all strings.Builder
	for _, obj := range objects {
		var header objectHeader
		if err := json.Unmarshal(obj.body, &header); err != nil || header.Kind == "" {
			t.Errorf("%s: not an object (%v)", obj.body, err)
		}
		if want, _ := collectionPath(obj.body); obj.collection != want || want == "" {
			t.Errorf("%s %s goes to %q", header.APIVersion, header.Kind, obj.collection)
		}
		all.Write(obj.body)
	}
	if strings.Contains(all.String(), "{{") {
		t.Error("a placeholder is left unrendered")
	}
	if len(leaves) == 0 {
		t.Fatal("manifestValues has no fields")
	}
	for name, want := range leaves {
		if !strings.Contains(all.String(), want) {
			t.Errorf("manifestValues.%s (%s) is used by no manifest", name, want)
		}
	}
}

// fillLeaves gives every string and int field of v, embedded structs'
// included, a distinct value, and returns them by field name.
func fillLeaves(t *testing.T, v reflect.Value, base int) map[string]string {
	out := map[string]string{}
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(fmt.Sprintf("value-of-%s", name))
		case reflect.Int:
			f.SetInt(int64(base + i))
		case reflect.Struct:
			for k, val := range fillLeaves(t, f, base+100*(i+1)) {
				out[name+"."+k] = val
			}
			continue
		default:
			t.Fatalf("manifestValues.%s: a %s, which this test does not fill", name, f.Kind())
		}
		out[name] = fmt.Sprint(v.Field(i).Interface())
	}
	return out
}
