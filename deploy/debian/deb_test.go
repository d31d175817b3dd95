//go:build linux

// Package debian holds the tests of the Debian packages built by build.sh (make deb): their contents and
// conffiles (dpkg-deb), lintian, the units (systemd-analyze verify and security), the maintainer scripts
// (shellcheck), and install, upgrade and purge in a throwaway root: an overlay of this machine's own
// Debian root file system, so dpkg, systemd-sysusers and deb-systemd-helper are the real ones, while the
// machine itself is not touched.
package debian

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// pkg describes one package as the tests expect it.
type pkg struct {
	name, conf, unit string
	groups           []string // supplementary groups of the system user
	arches           []string // the released architectures
	maxExposure      float64  // systemd-analyze security's overall exposure
}

var (
	agent  = pkg{"ashiato", "/etc/ashiato/ashiato.toml", "ashiato.service", []string{"video", "gpio", "spi"}, []string{"arm64", "armhf", "amd64"}, 2.0}
	office = pkg{"ashiato-office", "/etc/ashiato/office.toml", "ashiato-office.service", nil, []string{"amd64", "arm64"}, 0} // below the agent's: set in the test
)

// files lists what each package installs (regular files, with their modes), beside the directories.
func (p pkg) files() map[string]string {
	doc := "/usr/share/doc/" + p.name + "/"
	example := map[string]string{"ashiato": "ashiato.example.toml", "ashiato-office": "office.example.toml"}[p.name]
	return map[string]string{
		"/usr/bin/" + p.name:                      "-rwxr-xr-x",
		"/lib/systemd/system/" + p.unit:           "-rw-r--r--",
		"/usr/lib/sysusers.d/" + p.name + ".conf": "-rw-r--r--",
		p.conf:                                   "-rw-r--r--",
		doc + "examples/" + example:              "-rw-r--r--",
		doc + "README.Debian":                    "-rw-r--r--",
		doc + "copyright":                        "-rw-r--r--",
		doc + "changelog.Debian.gz":              "-rw-r--r--",
		"/usr/share/lintian/overrides/" + p.name: "-rw-r--r--",
	}
}

// keptWarnings are the lintian warnings the packages keep, and why (also listed in the README):
//   - initial-upload-closes-no-bugs: the packages are not uploaded to Debian, so no ITP bug exists;
//   - no-manual-page: the programs document themselves with -h and README.Debian.
var keptWarnings = []string{"initial-upload-closes-no-bugs", "no-manual-page"}

var root = func() string { r, _ := filepath.Abs("../.."); return r }()

// need skips the test when a Debian tool is missing, except in CI, where .ci/run installs them.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not found: .ci/run must install it", tool)
			}
			t.Skipf("%s not found (Debian packages dpkg, lintian, shellcheck, systemd)", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// build runs build.sh for the targets and returns the .deb paths by "name:arch". An office target is left
// out while the office's main package is not in the tree.
func build(t *testing.T, out, version string, targets ...string) map[string]string {
	t.Helper()
	cmd := exec.Command("deploy/debian/build.sh", append([]string{out, version}, targets...)...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	debs := map[string]string{}
	for _, tgt := range targets {
		name, arch, _ := strings.Cut(tgt, ":")
		p := filepath.Join(out, fmt.Sprintf("%s_%s-1_%s.deb", name, version, arch))
		if _, err := os.Stat(p); err == nil {
			debs[tgt] = p
		}
	}
	return debs
}

func officeInTree() bool {
	_, err := os.Stat(filepath.Join(root, "backoffice/cmd/ashiato-office"))
	return err == nil
}

func TestPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds five packages: not with -short")
	}
	need(t, "dpkg-deb", "dpkg", "lintian", "shellcheck", "systemd-analyze")
	pkgs := []pkg{agent}
	if officeInTree() {
		pkgs = append(pkgs, office)
	} else {
		t.Log("ashiato-office: backoffice/cmd/ashiato-office is not in the tree; its package is not built")
	}
	var targets []string
	for _, p := range pkgs {
		for _, a := range p.arches {
			targets = append(targets, p.name+":"+a)
		}
	}
	out := t.TempDir()
	debs := build(t, out, "1.0.0", targets...)
	for _, tgt := range targets {
		if debs[tgt] == "" {
			t.Fatalf("build.sh made no package for %s", tgt)
		}
	}

	t.Run("contents", func(t *testing.T) {
		for _, p := range pkgs {
			for _, a := range p.arches {
				checkContents(t, p, a, debs[p.name+":"+a])
			}
		}
	})
	t.Run("lintian", func(t *testing.T) {
		var all []string
		for _, d := range debs {
			all = append(all, d)
		}
		slices.Sort(all)
		checkLintian(t, all)
	})
	t.Run("units", func(t *testing.T) {
		var agentScore float64
		for _, p := range pkgs {
			unit := filepath.Join(root, "deploy/systemd", p.unit)
			score := exposure(t, unit)
			limit := p.maxExposure
			if p.name == office.name {
				limit = agentScore - 0.1
			} else {
				agentScore = score
			}
			t.Logf("%s: exposure %.1f (at most %.1f)", p.unit, score, limit)
			if score > limit {
				t.Errorf("%s: exposure %.1f, want at most %.1f", p.unit, score, limit)
			}
		}
	})
	t.Run("install-upgrade-purge", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("the throwaway root is an overlay mount: needs root")
		}
		newer := build(t, t.TempDir(), "1.0.1", "ashiato:amd64", "ashiato-office:amd64")
		for _, p := range pkgs {
			t.Run(p.name, func(t *testing.T) {
				lifecycle(t, p, debs[p.name+":amd64"], newer[p.name+":amd64"])
			})
		}
	})
}

// checkContents checks the control fields, the file list with modes, the conffiles, the binary's
// architecture and build, and runs shellcheck on the maintainer scripts as shipped.
func checkContents(t *testing.T, p pkg, arch, deb string) {
	t.Helper()
	for field, want := range map[string]string{"Package": p.name, "Architecture": arch, "Version": "1.0.0-1", "Depends": "systemd"} {
		if got := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, field)); got != want {
			t.Errorf("%s: %s: %q, want %q", filepath.Base(deb), field, got, want)
		}
	}
	want := p.files()
	for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "-c", deb)), "\n") {
		f := strings.Fields(line)
		mode, owner, path := f[0], f[1], strings.TrimPrefix(f[len(f)-1], ".")
		if owner != "root/root" {
			t.Errorf("%s: %s owned by %s", p.name, path, owner)
		}
		if strings.HasPrefix(mode, "d") {
			continue
		}
		if w, ok := want[path]; !ok {
			t.Errorf("%s: unexpected file %s", p.name, path)
		} else if mode != w {
			t.Errorf("%s: %s has mode %s, want %s", p.name, path, mode, w)
		}
		delete(want, path)
	}
	for path := range want {
		t.Errorf("%s_%s: %s missing", p.name, arch, path)
	}

	ctrl := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, ctrl)
	if b, _ := os.ReadFile(filepath.Join(ctrl, "conffiles")); strings.TrimSpace(string(b)) != p.conf {
		t.Errorf("%s: conffiles %q, want exactly %s", p.name, b, p.conf)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		run(t, "shellcheck", "-s", "sh", filepath.Join(ctrl, s))
	}

	data := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, data)
	// The project's own licence first (LICENSE, Apache-2.0), then every linked module's.
	cr, err := os.ReadFile(filepath.Join(data, "usr/share/doc", p.name, "copyright"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cr), "Files: *\nCopyright: 2026 the Ashiato authors\nLicense: Apache-2.0\n") ||
		!strings.Contains(string(cr), "/usr/share/common-licenses/Apache-2.0") ||
		!strings.Contains(string(cr), "Module: github.com/eclipse/paho.mqtt.golang ") {
		t.Errorf("%s_%s: copyright does not state the project's Apache-2.0 licence and the linked modules':\n%.600s",
			p.name, arch, cr)
	}
	bin := filepath.Join(data, "usr/bin", p.name)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "armhf": elf.EM_ARM}[arch]
	if f.Machine != machine {
		t.Errorf("%s_%s: binary for %v", p.name, arch, f.Machine)
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("%s_%s: build settings %v", p.name, arch, settings)
	}
	// Raspberry Pi OS's armhf also runs on the ARMv6 Pi Zero and Pi 1.
	if arch == "armhf" && settings["GOARM"] != "6" {
		t.Errorf("%s_armhf: GOARM=%q, want 6", p.name, settings["GOARM"])
	}
}

// checkLintian runs lintian over every package: no error, and no warning beyond the kept ones.
func checkLintian(t *testing.T, debs []string) {
	t.Helper()
	cmd := exec.Command("lintian", append([]string{"--no-tag-display-limit"}, debs...)...)
	out, _ := cmd.CombinedOutput() // lintian exits non-zero on errors; the tags below decide
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		sev, rest, ok := strings.Cut(line, ": ")
		if !ok || len(sev) != 1 {
			continue
		}
		_, tag, _ := strings.Cut(rest, ": ")
		tag, _, _ = strings.Cut(tag, " ")
		switch sev {
		case "E":
			t.Errorf("lintian error: %s", line)
		case "W":
			if !slices.Contains(keptWarnings, tag) {
				t.Errorf("lintian warning not in the kept list: %s", line)
			}
			seen[tag] = true
		}
	}
	t.Logf("lintian: kept warnings %v", slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	}))
}

var exposureRe = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// exposure runs systemd-analyze security --offline=true on a unit file and returns its overall score.
func exposure(t *testing.T, unit string) float64 {
	t.Helper()
	out, _ := exec.Command("systemd-analyze", "security", "--offline=true", "--no-pager", unit).CombinedOutput()
	m := exposureRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: no score in\n%s", unit, out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// throwaway mounts an overlay of / with its writes going to a fresh directory and returns the merged root
// and the directory that collects every change. It is unmounted when the test ends.
func throwaway(t *testing.T) (merged, upper string) {
	t.Helper()
	dir := t.TempDir()
	upper, work, merged := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "root")
	for _, d := range []string{upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := "lowerdir=/,upperdir=" + upper + ",workdir=" + work
	if err := syscall.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("no overlay mount here (%v): install, upgrade and purge not exercised", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(merged, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", merged, err)
		}
	})
	// The root's own /dev, on a tmpfs, with the few devices maintainer scripts use.
	dev := filepath.Join(merged, "dev")
	if err := syscall.Mount("tmpfs", dev, "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(dev, syscall.MNT_DETACH) })
	for name, minor := range map[string]int{"null": 3, "zero": 5, "random": 8, "urandom": 9} {
		if err := syscall.Mknod(filepath.Join(dev, name), syscall.S_IFCHR|0o666, 1<<8|minor); err != nil {
			t.Fatal(err)
		}
	}
	return merged, upper
}

// lifecycle installs, reconfigures, upgrades, removes and purges p in a throwaway root.
func lifecycle(t *testing.T, p pkg, deb, newer string) {
	if deb == "" || newer == "" {
		t.Fatalf("%s: no 1.0.0 or 1.0.1 package for amd64", p.name)
	}
	r, upper := throwaway(t)
	in := func(args ...string) string { t.Helper(); return run(t, "chroot", append([]string{r}, args...)...) }
	// dpkg runs inside the root, not as dpkg --root from outside: the statoverride names the package's
	// group, which only the root's own user database knows.
	dpkg := func(args ...string) string {
		t.Helper()
		return in(append([]string{"dpkg", "--force-confold"}, args...)...)
	}
	// The packages are copied into the root (and deleted again before the final check).
	debDir := filepath.Join(r, "run/debs")
	os.MkdirAll(debDir, 0o755)
	for _, d := range []string{deb, newer} {
		if d != "" {
			run(t, "cp", d, filepath.Join(debDir, filepath.Base(d)))
		}
	}
	deb, newer = "/run/debs/"+filepath.Base(deb), "/run/debs/"+filepath.Base(newer)
	installed := func(want string) {
		t.Helper()
		x := t.TempDir()
		run(t, "dpkg-deb", "-x", filepath.Join(r, want), x)
		a, _ := os.ReadFile(filepath.Join(x, "usr/bin", p.name))
		b, _ := os.ReadFile(filepath.Join(r, "usr/bin", p.name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("/usr/bin/%s is not the one in %s", p.name, want)
		}
	}

	dpkg("-i", deb)
	// The system user, its groups, the configuration's owner and mode, the unit enabled.
	id := in("id", p.name)
	for _, g := range append([]string{p.name}, p.groups...) {
		if !strings.Contains(id, "("+g+")") {
			t.Errorf("id %s = %s; lacks group %s", p.name, id, g)
		}
	}
	if n := strings.Count(id, "("); n != 2+1+len(p.groups) { // uid, gid, then the groups list with the primary group
		t.Errorf("id %s = %s; want only the groups %v", p.name, id, p.groups)
	}
	passwd := in("getent", "passwd", p.name)
	if !strings.HasSuffix(strings.TrimSpace(passwd), ":/nonexistent:/usr/sbin/nologin") {
		t.Errorf("passwd entry %q: want no home and no login shell", passwd)
	}
	if got := strings.TrimSpace(in("stat", "-c", "%U:%G %a", p.conf)); got != "root:"+p.name+" 640" {
		t.Errorf("%s is %s, want root:%s 640", p.conf, got, p.name)
	}
	if _, err := os.Lstat(filepath.Join(r, "etc/systemd/system/multi-user.target.wants", p.unit)); err != nil {
		t.Errorf("%s not enabled: %v", p.unit, err)
	}
	verify(t, r, p)

	// The installed program reads the installed configuration.
	if p.name == agent.name {
		cmd := exec.Command("chroot", r, "/usr/bin/ashiato", "-check-config", p.conf)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "[notice]") {
			t.Errorf("the packaged configuration passes without a notice, or fails for another reason: %v\n%s", err, out)
		}
	}
	installed(deb)
	if p.name == agent.name {
		if v := in("/usr/bin/ashiato", "-version"); !strings.Contains(v, "1.0.0") {
			t.Errorf("ashiato -version: %q", v)
		}
	}

	// The operator's edit.
	edited := appendNotice(t, filepath.Join(r, p.conf), p)
	if p.name == agent.name {
		in("/usr/bin/ashiato", "-check-config", p.conf)
	}

	// Maintainer scripts are idempotent: configure again changes nothing.
	before := snapshot(t, r, p)
	in("env", "DPKG_MAINTSCRIPT_PACKAGE="+p.name, "/var/lib/dpkg/info/"+p.name+".postinst", "configure", "1.0.0-1")
	if after := snapshot(t, r, p); after != before {
		t.Errorf("a second postinst configure changed the system:\nbefore %s\nafter  %s", before, after)
	}

	// Upgrade: the new binary, the edited configuration kept with its mode.
	dpkg("-i", newer)
	installed(newer)
	if b, _ := os.ReadFile(filepath.Join(r, p.conf)); string(b) != edited {
		t.Errorf("the upgrade replaced the edited %s", p.conf)
	}
	if got := strings.TrimSpace(in("stat", "-c", "%U:%G %a", p.conf)); got != "root:"+p.name+" 640" {
		t.Errorf("after the upgrade %s is %s, want root:%s 640", p.conf, got, p.name)
	}

	// The state directory systemd would have made, with data in it.
	state := filepath.Join(r, "var/lib", p.name)
	os.MkdirAll(state, 0o700)
	os.WriteFile(filepath.Join(state, "data"), []byte("x"), 0o600)

	dpkg("-r", p.name)
	if _, err := os.Stat(filepath.Join(r, p.conf)); err != nil {
		t.Errorf("remove (not purge) deleted the configuration: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r, "usr/bin", p.name)); err == nil {
		t.Error("remove left the binary")
	}

	dpkg("--purge", p.name)
	os.RemoveAll(debDir)
	if out := in("dpkg-statoverride", "--list"); strings.Contains(out, p.conf) {
		t.Errorf("purge left the statoverride: %s", out)
	}
	// Clean purge: of every change the lifecycle made to the root, only the system user (kept on purpose)
	// and dpkg's own records remain.
	var left []string
	filepath.Walk(upper, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		rel := "/" + strings.TrimPrefix(path, upper+"/")
		switch {
		case strings.HasPrefix(rel, "/var/lib/dpkg/"), rel == "/var/log/dpkg.log",
			regexp.MustCompile(`^/etc/(passwd|group|shadow|gshadow)-?$|^/etc/\.pwd\.lock$`).MatchString(rel),
			fi.Mode()&os.ModeCharDevice != 0 && fi.Sys().(*syscall.Stat_t).Rdev == 0: // overlay whiteout: a deletion
			return nil
		}
		left = append(left, rel)
		return nil
	})
	if len(left) > 0 {
		t.Errorf("purge left %v", left)
	}
}

// verify runs systemd-analyze verify on the unit as installed in root r, with its binaries present.
func verify(t *testing.T, r string, p pkg) {
	t.Helper()
	out, err := exec.Command("systemd-analyze", "verify", "--root="+r, "--man=no", p.unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", p.unit, err, out)
	}
}

// appendNotice adds a complete notice (agent) or a comment (office) to the configuration, as an operator
// would, and returns the new content.
func appendNotice(t *testing.T, path string, p pkg) string {
	t.Helper()
	add := "\n# edited by the operator\n"
	if p.name == agent.name {
		// The store's broker, and a store's own words: the embedded broker and the example's placeholders
		// are refused for a live camera.
		add += `[mqtt]
broker = "tls://mqtt.ashiato-shoten.jp:8883"

[notice]
operator_ja = "あしあと商店 本店"
operator_en = "Ashiato Shoten, main store"
purpose_ja = "店内の混雑把握と売場配置の改善"
purpose_en = "Measuring crowding to improve the store layout"
area_ja = "店内通路"
area_en = "Store aisles"
retention_days = 90
third_parties_ja = "なし"
third_parties_en = "none"
contact_ja = "サービスカウンター（03-1234-5678）"
contact_en = "Service counter (03-1234-5678)"
policy_url = "https://ashiato-shoten.jp/privacy"
`
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(add)
	f.Close()
	b, _ := os.ReadFile(path)
	return string(b)
}

// snapshot is what a maintainer script may change: the user databases, the statoverrides, the conffile's
// owner and mode, the enablement links.
func snapshot(t *testing.T, r string, p pkg) string {
	t.Helper()
	var b strings.Builder
	for _, f := range []string{"etc/passwd", "etc/group", "etc/shadow", "etc/gshadow", "var/lib/dpkg/statoverride"} {
		c, _ := os.ReadFile(filepath.Join(r, f))
		b.Write(c)
	}
	fi, _ := os.Stat(filepath.Join(r, p.conf))
	fmt.Fprintf(&b, "%v", fi.Mode())
	links, _ := filepath.Glob(filepath.Join(r, "etc/systemd/system/*/"+p.unit))
	fmt.Fprint(&b, links)
	return b.String()
}
