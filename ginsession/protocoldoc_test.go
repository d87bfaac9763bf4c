package ginsession

// docs/protocol.md is the wire contract in the project's own words. These
// tests keep it honest: every name ginsession puts on the wire appears in
// it, and every "docs/protocol.md §N" a Go comment cites is a section it
// has.

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/internal/wire"
)

// protocolDocModuleRoot walks up from the package directory to go.mod.
func protocolDocModuleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

func protocolDocText(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "protocol.md"))
	if err != nil {
		t.Fatalf("the wire contract must live in the repository: %v", err)
	}
	return string(b)
}

// protocolDocSections returns the numbers of the "## N." headings.
func protocolDocSections(doc string) map[int]bool {
	out := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\d+)\.`).FindAllStringSubmatch(doc, -1) {
		n, _ := strconv.Atoi(m[1])
		out[n] = true
	}
	return out
}

// protocolDocCitation matches "docs/protocol.md §N" and ranges ("§N–§M",
// "§N-M", both ends checked); a comment may break the line before the §.
var protocolDocCitation = regexp.MustCompile(`docs/protocol\.md(?:\s|//)*§(\d+)(?:\s*[–—-]\s*§?(\d+))?`)

// protocolDocCited returns, for each cited section number, where it is cited
// (path:line), over the module's .go files.
func protocolDocCited(t *testing.T, root string) map[int][]string {
	t.Helper()
	out := map[int][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(b)
		rel, _ := filepath.Rel(root, path)
		for _, m := range protocolDocCitation.FindAllStringSubmatchIndex(src, -1) {
			where := rel + ":" + strconv.Itoa(1+strings.Count(src[:m[0]], "\n"))
			for _, g := range []int{2, 4} {
				if m[g] < 0 {
					continue
				}
				n, _ := strconv.Atoi(src[m[g]:m[g+1]])
				out[n] = append(out[n], where)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestProtocolDocWireNames: every cookie and header name ginsession reads
// or writes is documented, in backquotes. Header names compare without case
// (HTTP does); cookie names exactly.
func TestProtocolDocWireNames(t *testing.T) {
	doc := protocolDocText(t, protocolDocModuleRoot(t))
	lower := strings.ToLower(doc)
	for _, name := range []string{wire.AccessCookie, wire.RefreshCookie} {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/protocol.md does not name the cookie `%s`", name)
		}
	}
	headers := []string{wire.HeaderFrontToken, wire.HeaderAccessToken, wire.HeaderRefreshToken, wire.HeaderAntiCSRF, wire.HeaderAuthorization, wire.HeaderExpose}
	headers = append(headers, transport.ExposedHeaders...)
	headers = append(headers, CORSAllowHeaders...)
	headers = append(headers, CORSExposeHeaders...)
	for _, name := range headers {
		if !strings.Contains(lower, "`"+strings.ToLower(name)+"`") {
			t.Errorf("docs/protocol.md does not name the header `%s`", name)
		}
	}
}

// TestProtocolDocCitations: every "docs/protocol.md §N" in the module's Go
// files names a "## N." section of docs/protocol.md.
func TestProtocolDocCitations(t *testing.T) {
	root := protocolDocModuleRoot(t)
	sections := protocolDocSections(protocolDocText(t, root))
	if len(sections) == 0 {
		t.Fatal(`docs/protocol.md has no "## N." section headings`)
	}
	cited := protocolDocCited(t, root)
	nums := make([]int, 0, len(cited))
	for n := range cited {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		if !sections[n] {
			t.Errorf("docs/protocol.md has no section \"## %d.\", cited at %s", n, strings.Join(cited[n], ", "))
		}
	}
	for _, n := range nums {
		t.Logf("§%d cited at %s", n, strings.Join(cited[n], ", "))
	}
}

// The citation pattern itself, so a comment style the walk misses shows up
// here rather than as a silently unchecked citation. The samples are built
// from pieces so that this file cites nothing itself.
func TestProtocolDocCitationPattern(t *testing.T) {
	const doc = "docs/" + "protocol.md"
	for text, want := range map[string][]string{
		"(" + doc + " §6)":       {"6"},
		doc + " §2–§4":           {"2", "4"},
		doc + " §2-3":            {"2", "3"},
		doc + "\n\t// §12 rules": {"12"},
		doc + " rules":           nil,
		"PROTOCOL" + ".md §6":    nil,
	} {
		var got []string
		for _, m := range protocolDocCitation.FindAllStringSubmatch(text, -1) {
			for _, g := range m[1:] {
				if g != "" {
					got = append(got, g)
				}
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q: sections %v, want %v", text, got, want)
		}
	}
}
