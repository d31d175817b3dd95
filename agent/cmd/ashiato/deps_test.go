package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const mod = "github.com/ashiato/ashiato"

type pkgInfo struct {
	ImportPath   string
	Deps         []string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// listPackages runs `go list -deps` over the whole module and returns its own packages with their
// transitive dependencies.
func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func isStd(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// rule says what a set of packages must not depend on (transitively), and why.
type rule struct {
	who    func(p string) bool
	name   string
	bad    func(dep string) bool
	why    string
	direct bool // check direct imports only, not transitive dependencies
	// testsMay, if not nil, says which of the dependencies the rule forbids a package's tests may still
	// have (p is the package, d the dependency), and testsWhy why.
	testsMay func(p, d string) bool
	testsWhy string
}

// TestDependencyDirections writes the project's dependency rules as code: the seams (hal, the wire
// contract), the agent that sees devices only through hal, drivers that take periph's narrow interfaces,
// one composition root, and tools that run on any laptop.
func TestDependencyDirections(t *testing.T) {
	local := func(prefix string) func(string) bool {
		return func(p string) bool { return under(p, mod+"/"+prefix) }
	}
	periph := func(d string) bool { return strings.HasPrefix(d, "periph.io/") }
	webcam := func(d string) bool { return under(d, "github.com/blackjack/webcam") }
	paho := func(d string) bool { return under(d, "github.com/eclipse/paho.mqtt.golang") }
	database := func(d string) bool {
		return d == "database/sql" || strings.HasPrefix(d, "modernc.org/") || strings.HasPrefix(d, "github.com/jackc/") ||
			strings.HasPrefix(d, "github.com/lib/pq") || strings.HasPrefix(d, "github.com/mattn/go-sqlite3")
	}
	rules := []rule{
		{local("hal"), "hal", func(d string) bool { return !isStd(d) && !under(d, mod+"/hal") },
			"hal is the seam: standard library only", false, nil, ""},
		{local("agent/event"), "agent/event", func(d string) bool { return !isStd(d) },
			"the wire contract must be importable by any subscriber: standard library only", false, nil, ""},
		{func(p string) bool { return local("agent")(p) && !local("agent/cmd")(p) }, "agent (not cmd)",
			func(d string) bool {
				return periph(d) || webcam(d) || local("drivers")(d) || local("board")(d) || local("tools")(d)
			}, "the agent sees devices only through hal", false, nil, ""},
		{func(p string) bool { return local("agent")(p) && !local("agent/publish")(p) && !local("agent/cmd")(p) },
			"agent except publish", func(d string) bool { return paho(d) }, "paho is confined to agent/publish", true,
			func(p, d string) bool { return p == mod+"/agent/broker" && paho(d) },
			"the broker's tests check it from outside, as a third-party MQTT client would: agent/publish is the " +
				"agent's client, not an independent one"},
		{local("drivers"), "drivers", func(d string) bool {
			return under(d, "periph.io/x/host") || local("board")(d) || local("agent")(d)
		}, "drivers take periph's narrow conn interfaces, never the host, board or agent", false, nil, ""},
		{local("board"), "board", local("agent"), "board builds devices; it does not know the pipeline", false, nil, ""},
		// drivers/synth is a camera made of arithmetic: it runs on any laptop.
		{local("tools"), "tools", func(d string) bool {
			return local("board")(d) || (local("drivers")(d) && !local("drivers/synth")(d)) || periph(d) || webcam(d)
		}, "tools run on laptops: no hardware packages", false, nil, ""},
		{local("agent/tracker"), "agent/tracker", func(d string) bool {
			return !isStd(d) && !under(d, mod+"/hal") && !local("agent/tracker")(d)
		}, "the tracker is pure: frames in, tracks out", false, nil, ""},
		{local("agent/minimise"), "agent/minimise", func(d string) bool { return !isStd(d) && !local("agent/event")(d) },
			"the minimisation rules are shared by sensor and office: standard library and the wire contract only", false, nil, ""},
		// The sensor links nothing of the back office: no office code, no database driver.
		{func(p string) bool {
			return local("agent")(p) || local("hal")(p) || local("drivers")(p) || local("board")(p)
		},
			"sensor", func(d string) bool { return local("backoffice")(d) || database(d) },
			"the sensor binary must not link the back office or any database", false, nil, ""},
		// The back office's domain is the standard library plus the sensor's stdlib-only wire packages.
		{func(p string) bool { return p == mod+"/backoffice" }, "backoffice (domain)", func(d string) bool {
			return !isStd(d) && d != mod+"/agent/event" && d != mod+"/agent/minimise"
		}, "the domain package uses only the standard library and the wire contract", false, nil, ""},
		// Below main, the office may use of the agent only the wire contract and pure helpers.
		{func(p string) bool { return local("backoffice")(p) && !local("backoffice/cmd")(p) }, "backoffice (not cmd)",
			func(d string) bool {
				return (local("agent")(d) || local("hal")(d) || local("drivers")(d) || local("board")(d)) &&
					!local("agent/event")(d) && !local("agent/minimise")(d) && !local("agent/notice")(d) &&
					!local("agent/font")(d) && !local("agent/command")(d)
			}, "the back office takes only the wire contract (agent/event, agent/notice, agent/command, schemas) and pure helpers " +
				"from the sensor (agent/minimise; agent/notice/poster and its agent/font, which render a notice to PDF)", false, nil, ""},
	}
	pkgs := listPackages(t)
	// A package's tests keep its rules too (what its test files import, and what those imports depend
	// on), less what a rule's testsMay lets them have. Tests that need more live in a package whose rules
	// allow it (internal/trackeval for the tracker's accuracy tests).
	usedTestRule := map[string]bool{}
	depsOf := map[string][]string{}
	for _, p := range pkgs {
		depsOf[p.ImportPath] = p.Deps
	}
	for _, p := range pkgs {
		direct := map[string]bool{}
		all := map[string]bool{}
		for _, d := range append(append([]string{}, p.TestImports...), p.XTestImports...) {
			if d == p.ImportPath {
				continue // the external test package imports the package it tests
			}
			direct[d], all[d] = true, true
			for _, dd := range depsOf[d] {
				all[dd] = true
			}
		}
		for _, r := range rules {
			if !r.who(p.ImportPath) {
				continue
			}
			deps := all
			if r.direct {
				deps = direct
			}
			for d := range deps {
				if !r.bad(d) {
					continue
				}
				if r.testsMay != nil && r.testsMay(p.ImportPath, d) {
					usedTestRule[r.name] = true
					continue
				}
				t.Errorf("the tests of %s depend on %s: %s", p.ImportPath, d, r.why)
			}
		}
	}
	for _, r := range rules {
		if r.testsMay != nil && !usedTestRule[r.name] {
			t.Errorf("rule %q lets tests depend on more, and no test does: remove its testsMay", r.name)
		}
	}
	checked := map[string]int{}
	for _, p := range pkgs {
		for _, r := range rules {
			if !r.who(p.ImportPath) {
				continue
			}
			checked[r.name]++
			deps := p.Deps
			if r.direct {
				deps = p.Imports
			}
			for _, d := range deps {
				if r.bad(d) {
					t.Errorf("%s depends on %s: %s", p.ImportPath, d, r.why)
				}
			}
		}
		// A driver must not import another driver (TinyGo's rule: one package per part).
		if local("drivers")(p.ImportPath) {
			self := strings.SplitN(strings.TrimPrefix(p.ImportPath, mod+"/drivers/"), "/", 2)[0]
			for _, d := range p.Deps {
				if local("drivers")(d) {
					other := strings.SplitN(strings.TrimPrefix(d, mod+"/drivers/"), "/", 2)[0]
					if other != self {
						t.Errorf("driver %s imports driver %s", p.ImportPath, d)
					}
				}
			}
		}
		// Only main packages (composition roots) may import board.
		if !local("agent/cmd")(p.ImportPath) && !local("board")(p.ImportPath) {
			for _, d := range p.Imports {
				if local("board")(d) {
					t.Errorf("%s imports board; only the main package may", p.ImportPath)
				}
			}
		}
	}
	for _, r := range rules {
		if checked[r.name] == 0 {
			t.Errorf("rule %q matched no package: the table is stale", r.name)
		}
	}
}
