// Package gomod reads what `go mod download -json` and a module's go.mod say,
// and writes the small wrapper modules the components are built from.
package gomod

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Download is the part of `go mod download -json` the builder uses.
type Download struct {
	Path    string
	Version string
	Error   string
	Info    string
	GoMod   string
	Dir     string
	Time    string
}

// ParseDownload decodes one `go mod download -json` object; an object with
// an Error, or without the module's go.mod and directory, is an error.
func ParseDownload(data []byte) (Download, error) {
	var d Download
	if err := json.Unmarshal(data, &d); err != nil {
		return Download{}, fmt.Errorf("decoding go mod download output: %w", err)
	}
	if d.Error != "" {
		return Download{}, fmt.Errorf("go mod download %s@%s: %s", d.Path, d.Version, d.Error)
	}
	if d.GoMod == "" || d.Dir == "" {
		return Download{}, fmt.Errorf("go mod download %s@%s gave no GoMod or Dir", d.Path, d.Version)
	}
	return d, nil
}

// File is what the builder needs from a go.mod.
type File struct {
	// Go is the `go` directive's version.
	Go string
	// Godebug is the godebug directive, single line or block, verbatim.
	Godebug string
	// ZeroRequires are the modules required at v0.0.0 (k8s.io/kubernetes's
	// staging modules, which it replaces with local paths).
	ZeroRequires []string
}

var (
	goLine   = regexp.MustCompile(`^go\s+([0-9][0-9.]*)\s*$`)
	zeroLine = regexp.MustCompile(`^(?:require\s+)?([A-Za-z0-9._~/-]+)\s+v0\.0\.0\s*(?://.*)?$`)
)

// Parse reads the directives the builder uses from go.mod text.
func Parse(data []byte) (File, error) {
	var f File
	var godebug []string
	inGodebug, inRequire := false, false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		switch {
		case inGodebug:
			godebug = append(godebug, raw)
			if line == ")" {
				inGodebug = false
			}
			continue
		case inRequire && line == ")":
			inRequire = false
			continue
		}
		if m := goLine.FindStringSubmatch(line); m != nil && f.Go == "" {
			f.Go = m[1]
			continue
		}
		if strings.HasPrefix(line, "godebug ") || line == "godebug(" {
			godebug = append(godebug, raw)
			inGodebug = strings.HasSuffix(line, "(")
			continue
		}
		if line == "require (" || line == "require(" {
			inRequire = true
			continue
		}
		if inRequire || strings.HasPrefix(line, "require ") {
			if m := zeroLine.FindStringSubmatch(line); m != nil {
				f.ZeroRequires = append(f.ZeroRequires, m[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return File{}, err
	}
	if f.Go == "" {
		return File{}, fmt.Errorf("go.mod has no go directive")
	}
	f.Godebug = strings.Join(godebug, "\n")
	return f, nil
}

// Replace points a module at another path and version.
type Replace struct {
	Old, New, Version string
}

// Wrapper is a generated module that requires the module(s) to build.
type Wrapper struct {
	Module   string
	Go       string
	Godebug  string
	Requires [][2]string // path, version
	Replaces []Replace
}

// Render writes the wrapper's go.mod.
func (w Wrapper) Render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n", w.Module, w.Go)
	if w.Godebug != "" {
		fmt.Fprintf(&b, "\n%s\n", w.Godebug)
	}
	if len(w.Requires) > 0 {
		b.WriteString("\nrequire (\n")
		for _, r := range w.Requires {
			fmt.Fprintf(&b, "\t%s %s\n", r[0], r[1])
		}
		b.WriteString(")\n")
	}
	if len(w.Replaces) > 0 {
		b.WriteString("\nreplace (\n")
		for _, r := range w.Replaces {
			fmt.Fprintf(&b, "\t%s => %s %s\n", r.Old, r.New, r.Version)
		}
		b.WriteString(")\n")
	}
	return b.String()
}
