package core_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// forbiddenImports would tie the core to an operating system or a browser.
var forbiddenImports = map[string]bool{
	"net": true, "net/http": true, "os": true, "os/exec": true, "os/signal": true,
	"syscall": true, "syscall/js": true, "unsafe": true, "io/ioutil": true,
	"path/filepath": true, "log": true,
}

// forbiddenTime are the wall-clock and timer functions: time is an input.
var forbiddenTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTicker": true, "NewTimer": true,
}

// TestCoreIsPure parses every non-test Go file under core/ and fails on an
// OS or network import, a wall-clock call, or a go statement.
func TestCoreIsPure(t *testing.T) {
	var files int
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		for _, problem := range impurities(t, path) {
			t.Errorf("%s", problem)
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 5, "the scan found too few core files to be meaningful")
}

func impurities(t *testing.T, path string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	var out []string
	timeName := ""
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		// net/netip is plain value types (addresses), no sockets: allowed.
		if forbiddenImports[p] || (strings.HasPrefix(p, "net/") && p != "net/netip") || strings.HasPrefix(p, "os/") {
			out = append(out, fset.Position(imp.Pos()).String()+": imports "+p)
		}
		if p == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			out = append(out, fset.Position(n.Pos()).String()+": starts a goroutine")
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && forbiddenTime[n.Sel.Name] {
				out = append(out, fset.Position(n.Pos()).String()+": uses time."+n.Sel.Name)
			}
		}
		return true
	})
	return out
}

// TestPurityCheckCatchesViolations proves the scanner is not blind.
func TestPurityCheckCatchesViolations(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.go")
	src := "package bad\nimport (\n\"os\"\nclock \"time\"\n)\nfunc f() { go func(){}(); _ = clock.Now(); _ = os.Args }\n"
	require.NoError(t, writeFile(bad, src))
	problems := impurities(t, bad)
	require.Len(t, problems, 3, "%v", problems)
}
