package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/skiff-sh/skiff/"

// TestImportRules lists every package's imports with `go list` and checks
// them against the layering rules.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	type rule struct {
		from   string // package prefix the rule applies to
		banned string // import prefix it must not use
		except string // import prefix allowed despite banned
	}
	rules := []rule{
		{from: "internal/apis", banned: "", except: "internal/apis"},
		{from: "internal/store", banned: "", except: "internal/store"},
		{from: "internal/serving", banned: "internal/reconciler"},
		{from: "internal/eventing", banned: "internal/reconciler"},
		{from: "internal/runtime", banned: "internal/reconciler"},
		{from: "internal/serving", banned: "internal/apiserver"},
		{from: "internal/runtime", banned: "internal/serving"},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			imp = strings.TrimPrefix(imp, module)
			checked++
			if imp == "internal/platform" && pkg != "cmd/skiff" {
				t.Errorf("%s imports internal/platform; only cmd/skiff may", pkg)
			}
			for _, r := range rules {
				if !under(pkg, r.from) {
					continue
				}
				if (r.banned == "" || under(imp, r.banned)) && (r.except == "" || !under(imp, r.except)) {
					t.Errorf("%s imports %s, against the rule %+v", pkg, imp, r)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no skiff imports seen; the check is not looking at anything")
	}
}

// under reports whether pkg is prefix or inside it.
func under(pkg, prefix string) bool {
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}
