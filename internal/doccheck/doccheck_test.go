package doccheck

import (
	"bufio"
	"bytes"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// block is one ```go block of a Markdown file.
type block struct {
	file string // relative to the repository root
	line int    // line of the block's first code line
	code string
}

// docFiles lists the Markdown files whose Go blocks must compile.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md", "CONTRIBUTING.md", "SECURITY.md", "example/README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		files = append(files, filepath.ToSlash(rel))
	}
	var out []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			out = append(out, f)
		}
	}
	return out
}

var fence = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z0-9_+-]*)")

// extract returns the ```go blocks of a Markdown text. Fences may be
// indented (a block inside a list item); the indentation of the opening
// fence is removed from every line of the block.
func extract(file, text string) ([]block, error) {
	var blocks []block
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	var cur *block
	var closing, indent string
	var buf strings.Builder
	for sc.Scan() {
		n++
		line := sc.Text()
		if cur == nil && closing == "" {
			m := fence.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			closing = m[1]
			indent = line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			if m[2] == "go" {
				cur = &block{file: file, line: n + 1}
				buf.Reset()
			}
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), closing) && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), closing[:1])) == "" {
			if cur != nil {
				cur.code = buf.String()
				blocks = append(blocks, *cur)
			}
			cur, closing = nil, ""
			continue
		}
		if cur != nil {
			buf.WriteString(strings.TrimPrefix(line, indent))
			buf.WriteByte('\n')
		}
	}
	if closing != "" {
		return nil, fmt.Errorf("%s: a code fence is never closed", file)
	}
	return blocks, sc.Err()
}

// modFile is a temporary module's go.mod: the requirements of one of the
// repository's go.mod files (so every dependency resolves at the version the
// repository uses and is already in the module cache), with the repository
// replacing the published module.
//
// own, when set, is the module path of the nested module whose go.mod this
// is (store/puresqlite): it is required too, and replaced by its directory.
func modFile(t *testing.T, root, gomod, own string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, gomod))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("module doccheck\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/ginsession/ginsession v0.0.0\n")
	if own != "" {
		fmt.Fprintf(&b, "\t%s v0.0.0\n", own)
	}
	for _, r := range requires(string(data)) {
		if r[0] != "github.com/ginsession/ginsession" {
			fmt.Fprintf(&b, "\t%s %s\n", r[0], r[1])
		}
	}
	fmt.Fprintf(&b, ")\n\nreplace github.com/ginsession/ginsession => %s\n", strconv.Quote(root))
	if own != "" {
		fmt.Fprintf(&b, "\nreplace %s => %s\n", own, strconv.Quote(filepath.Join(root, filepath.Dir(gomod))))
	}
	return b.String()
}

// modulePaths returns the module paths a go.mod requires.
func modulePaths(t *testing.T, root, gomod string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, gomod))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"github.com/ginsession/ginsession"}
	for _, r := range requires(string(data)) {
		paths = append(paths, r[0])
	}
	return paths
}

// covers reports whether every non-standard import of code belongs to one
// of the module paths. An import inside one of the nested modules (whose
// paths also start with the main module's) is covered only by that nested
// module's own path.
func covers(code string, paths, nested []string) (bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", code, parser.ImportsOnly)
	if err != nil {
		return false, err
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.Contains(strings.Split(p, "/")[0], ".") {
			continue // the standard library
		}
		if i := slices.IndexFunc(nested, func(n string) bool { return p == n || strings.HasPrefix(p, n+"/") }); i >= 0 {
			if !slices.Contains(paths, nested[i]) {
				return false, nil
			}
			continue
		}
		ok := false
		for _, m := range paths {
			if p == m || strings.HasPrefix(p, m+"/") {
				ok = true
				break
			}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

var requireLine = regexp.MustCompile(`^\s*(?:require\s+)?([^\s()]+)\s+(v[^\s]+)`)

// requires returns the (path, version) pairs of a go.mod's require
// directives.
func requires(gomod string) [][2]string {
	var out [][2]string
	inBlock := false
	for _, line := range strings.Split(gomod, "\n") {
		s := strings.TrimSpace(line)
		switch {
		case s == "require (":
			inBlock = true
			continue
		case inBlock && s == ")":
			inBlock = false
			continue
		case !inBlock && !strings.HasPrefix(s, "require "):
			continue
		}
		if m := requireLine.FindStringSubmatch(s); m != nil {
			out = append(out, [2]string{m[1], m[2]})
		}
	}
	return out
}

// TestDocsCompile builds every ```go block of the documentation, each as its
// own package of a temporary module that uses this repository. It needs the
// modules of go.mod, interop/go.mod, store/puresqlite/go.mod and
// example/go.mod in the module cache (go mod download in each) and no
// network.
func TestDocsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every Go block of the documentation")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	for _, f := range docFiles(t, root) {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		bs, err := extract(f, string(data))
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	if len(blocks) == 0 {
		t.Fatal("no ```go block found in the documentation")
	}

	// Four temporary modules: one with the main module's requirements,
	// one with interop's for the blocks that import go-oidc, one with
	// store/puresqlite's (a module of its own) for the blocks that import
	// it, and one with the example's for the blocks that wire an exporter. A block goes to the first whose requirements hold all its
	// imports.
	type module struct {
		gomod, gosum string
		own          string // a nested module's path, which it requires and replaces
		paths        []string
		dir          string
		blocks       map[string]block // package directory -> its block
	}
	modules := []*module{
		{gomod: "go.mod", gosum: "go.sum"},
		{gomod: "interop/go.mod", gosum: "interop/go.sum"},
		{gomod: "store/puresqlite/go.mod", gosum: "store/puresqlite/go.sum", own: "github.com/ginsession/ginsession/store/puresqlite"},
		// The example's, for the blocks that wire an exporter (Prometheus,
		// the OpenTelemetry SDK): only that module requires them.
		{gomod: "example/go.mod", gosum: "example/go.sum"},
	}
	var nested []string
	for _, m := range modules {
		if m.own != "" {
			nested = append(nested, m.own)
		}
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	for i, m := range modules {
		m.dir = filepath.Join(tmp, fmt.Sprintf("m%d", i))
		m.paths = modulePaths(t, root, m.gomod)
		if m.own != "" {
			m.paths = append(m.paths, m.own)
		}
		m.blocks = map[string]block{}
		write(filepath.Join(m.dir, "go.mod"), modFile(t, root, m.gomod, m.own))
		sum, err := os.ReadFile(filepath.Join(root, m.gosum))
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(m.dir, "go.sum"), string(sum))
	}

	packageClause := regexp.MustCompile(`(?m)^package \w+`)
	for i, b := range blocks {
		if !packageClause.MatchString(b.code) {
			t.Errorf("%s:%d: a ```go block must be a complete file starting with a package clause (use ```text for anything else)", b.file, b.line)
			continue
		}
		if formatted, err := format.Source([]byte(b.code)); err == nil && string(formatted) != b.code {
			t.Errorf("%s:%d: the ```go block is not gofmt-formatted", b.file, b.line)
		}
		var home *module
		for _, m := range modules {
			ok, err := covers(b.code, m.paths, nested)
			if err != nil {
				t.Errorf("%s:%d: %v", b.file, b.line, err)
				break
			}
			if ok {
				home = m
				break
			}
		}
		if home == nil {
			if !t.Failed() {
				t.Errorf("%s:%d: the block imports a module that none of go.mod, interop/go.mod, store/puresqlite/go.mod and example/go.mod requires", b.file, b.line)
			}
			continue
		}
		pkg := fmt.Sprintf("b%03d", i)
		home.blocks[pkg] = b
		write(filepath.Join(home.dir, pkg, "doc.go"), b.code)
	}
	if t.Failed() {
		return
	}

	for _, m := range modules {
		if len(m.blocks) == 0 {
			continue
		}
		cmd := exec.Command("go", "vet", "./...")
		cmd.Dir = m.dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			hint := ""
			if bytes.Contains(out, []byte("GOPROXY=off")) {
				hint = "\n(a module is missing from the module cache: run go mod download in the repository root, interop/ and store/puresqlite/)"
			}
			t.Errorf("a Go block of the documentation does not compile (%v):\n%s%s", err, bytes.TrimSpace([]byte(locate(string(out), m.blocks))), hint)
		}
	}
	if !t.Failed() {
		t.Logf("%d Go blocks of %d files build and pass go vet", len(blocks), len(docFiles(t, root)))
	}
}

// locate points go's messages about the temporary packages at the Markdown
// file and line of each block.
func locate(out string, where map[string]block) string {
	pos := regexp.MustCompile(`(?:\./)?(b\d{3})[/\\]doc\.go:(\d+)(:\d+)?`)
	out = pos.ReplaceAllStringFunc(out, func(s string) string {
		m := pos.FindStringSubmatch(s)
		b, ok := where[m[1]]
		if !ok {
			return s
		}
		l, _ := strconv.Atoi(m[2])
		return fmt.Sprintf("%s:%d%s", b.file, b.line+l-1, m[3])
	})
	pkgLine := regexp.MustCompile(`(?m)^# \[?doccheck/(b\d{3})\]?$`)
	out = pkgLine.ReplaceAllStringFunc(out, func(s string) string {
		m := pkgLine.FindStringSubmatch(s)
		b, ok := where[m[1]]
		if !ok {
			return s
		}
		return fmt.Sprintf("# the ```go block at %s:%d", b.file, b.line)
	})
	// go vet names a package twice ("# p" and "# [p]"): say it once.
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if len(lines) > 0 && l == lines[len(lines)-1] {
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}
