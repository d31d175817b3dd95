// Command armcount counts the instructions the tracker executes per Step on ARM, under qemu-user, as a
// stable proxy for its cost on a Raspberry Pi (wall time on a shared machine is noisy; an instruction
// count is the same on every run).
//
//	go run ./tools/armcount                        # arm64 and armv6 (GOARM=6), this checkout
//	go run ./tools/armcount -src /tmp/old -frames 60 -arch arm64
//	go run ./tools/armcount -arch armv6 -top 15    # and where the instructions go, by function
//
// It decodes the first -frames frames of the PETS dev clip (testdata) natively into a temporary file,
// builds the workload (tools/armcount/workload: the tracker stepped through those frames at the clip's
// rate, a marker function called before each Step) for each architecture from the module at -src, and
// runs it under qemu-aarch64 or qemu-arm with a TCG plugin (plugin/insncount.c, compiled with cc) that
// counts each vCPU's executed instructions and records the count whenever the marker runs. The
// instructions between two marker calls are one Step (plus the loop's few). -src may be another checkout
// of the module (a git worktree of an earlier commit): the workload is copied into it for the build and
// removed afterwards.
//
// It needs Debian's qemu-user (the dynamically linked build: qemu-user-static has no plugin support) and
// a C compiler. It is a measuring tool, not a test; `make armcount` runs it.
package main

import (
	"bufio"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/tools/footage"
)

//go:embed plugin/insncount.c
var pluginSource []byte

//go:embed workload/main.go
var workloadSource []byte

// arch is one target: how to build for it and which qemu runs it.
type arch struct {
	name string
	env  []string
	qemu string
}

var arches = map[string]arch{
	"arm64": {"arm64", []string{"GOARCH=arm64"}, "qemu-aarch64"},
	"armv6": {"armv6", []string{"GOARCH=arm", "GOARM=6"}, "qemu-arm"},
	"armv7": {"armv7", []string{"GOARCH=arm", "GOARM=7"}, "qemu-arm"},
	"amd64": {"amd64", []string{"GOARCH=amd64"}, "qemu-x86_64"},
}

func main() {
	log.SetFlags(0)
	src := flag.String("src", ".", "root of the module whose tracker is measured (this checkout, or another worktree)")
	clip := flag.String("clip", "pets09-s2l1-dev", "clip in testdata (or a clip directory)")
	frames := flag.Int("frames", 120, "frames stepped through, from the clip's first")
	archList := flag.String("arch", "arm64,armv6", "comma-separated targets: arm64, armv6, armv7, amd64")
	cc := flag.String("cc", "cc", "C compiler for the plugin")
	qemuDir := flag.String("qemu-dir", "", "directory of the qemu-user binaries with plugin support (default: $PATH)")
	top := flag.Int("top", 0, "also list the functions with the most instructions per Step, this many")
	flag.Parse()
	if err := run(*src, *clip, *frames, *archList, *cc, *qemuDir, *top, os.Stdout); err != nil {
		log.Fatalf("armcount: %v", err)
	}
}

func run(src, clip string, frames int, archList, cc, qemuDir string, top int, out io.Writer) error {
	if frames < 2 {
		return fmt.Errorf("-frames %d: want at least 2 (the first Step only sets up)", frames)
	}
	var targets []arch
	for _, name := range strings.Split(archList, ",") {
		a, ok := arches[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("-arch %q: want arm64, armv6, armv7 or amd64", name)
		}
		targets = append(targets, a)
	}
	tmp, err := os.MkdirTemp("", "armcount-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	raw := filepath.Join(tmp, "frames.raw")
	info, err := writeFrames(clip, frames, raw)
	if err != nil {
		return err
	}
	plugin, err := buildPlugin(cc, tmp)
	if err != nil {
		return err
	}
	head, _ := exec.Command("git", "-C", src, "describe", "--always", "--dirty").Output()
	fmt.Fprintf(out, "tracker at %s (%s), %s frames 1–%d (%dx%d at %g fps), instructions per Step from the second on\n",
		src, strings.TrimSpace(string(head)), clip, frames, info.Width, info.Height, info.FPS)
	fmt.Fprintf(out, "%-6s %12s %12s %12s %12s\n", "arch", "mean (M)", "median (M)", "min (M)", "max (M)")
	var profiles []func() error // printed after the table
	for _, a := range targets {
		bin := filepath.Join(tmp, "workload-"+a.name)
		if err := buildWorkload(src, a, bin); err != nil {
			return err
		}
		steps, prof, err := count(a, qemuDir, plugin, bin, raw, tmp, top > 0)
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		if top > 0 {
			profiles = append(profiles, func() error { return writeProfile(out, a.name, bin, prof, frames-1, top) })
		}
		if len(steps) != frames {
			return fmt.Errorf("%s: %d Steps counted, want %d", a.name, len(steps), frames)
		}
		s := slices.Clone(steps[1:]) // the first Step allocates the tracker's buffers
		slices.Sort(s)
		var sum uint64
		for _, v := range s {
			sum += v
		}
		m := func(v float64) string { return strconv.FormatFloat(v/1e6, 'f', 2, 64) }
		fmt.Fprintf(out, "%-6s %12s %12s %12s %12s\n", a.name, m(float64(sum)/float64(len(s))), m(float64(s[len(s)/2])),
			m(float64(s[0])), m(float64(s[len(s)-1])))
	}
	for _, p := range profiles {
		if err := p(); err != nil {
			return err
		}
	}
	return nil
}

// clipInfo is what the workload needs to know of the clip.
type clipInfo struct {
	Width, Height int
	FPS           float64
}

// writeFrames decodes the first n frames of clip into path in the workload's format.
func writeFrames(clip string, n int, path string) (clipInfo, error) {
	dir := clip
	if st, err := os.Stat(clip); err != nil || !st.IsDir() {
		if dir, err = footage.Find(clip); err != nil {
			return clipInfo{}, err
		}
	}
	c, err := footage.Open(dir)
	if err != nil {
		return clipInfo{}, err
	}
	if n > c.Len() {
		return clipInfo{}, fmt.Errorf("-frames %d: the clip has %d", n, c.Len())
	}
	info := clipInfo{Width: c.Info.Width, Height: c.Info.Height, FPS: c.Info.FrameRate}
	f, err := os.Create(path)
	if err != nil {
		return info, err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "%d %d %d %g\n", info.Width, info.Height, n, info.FPS)
	err = c.Frames(n, func(_ int, pix []byte) error {
		_, err := w.Write(pix)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return info, err
}

// buildPlugin compiles the counting plugin into dir.
func buildPlugin(cc, dir string) (string, error) {
	srcPath := filepath.Join(dir, "insncount.c")
	if err := os.WriteFile(srcPath, pluginSource, 0o644); err != nil {
		return "", err
	}
	so := filepath.Join(dir, "insncount.so")
	cmd := exec.Command(cc, "-shared", "-fPIC", "-O2", "-o", so, srcPath)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("compiling the qemu plugin with %s: %v\n%s(install a C compiler: apt-get install gcc)", cc, err, b)
	}
	return so, nil
}

// buildWorkload copies the workload into the module at src and builds it for a into bin.
func buildWorkload(src string, a arch, bin string) error {
	dir, err := os.MkdirTemp(src, "armcount-workload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), workloadSource, 0o644); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", bin, "./"+filepath.Base(dir))
	cmd.Dir = src
	cmd.Env = append(append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0"), a.env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the workload for %s in %s: %v\n%s", a.name, src, err, b)
	}
	return nil
}

// count runs bin under qemu with the plugin and returns the instructions of each Step and, with profile,
// the plugin's profile of Steps 2 on.
func count(a arch, qemuDir, plugin, bin, raw, tmp string, profile bool) ([]uint64, []byte, error) {
	nm, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		return nil, nil, fmt.Errorf("go tool nm: %w", err)
	}
	var addr string
	for _, line := range strings.Split(string(nm), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[2] == "main.marker" {
			addr = f[0]
		}
	}
	if addr == "" {
		return nil, nil, errors.New("no main.marker in the workload")
	}
	qemu := a.qemu
	if qemuDir != "" {
		qemu = filepath.Join(qemuDir, qemu)
	}
	counts := filepath.Join(tmp, "counts-"+a.name)
	args := plugin + ",marker=0x" + addr + ",out=" + counts
	prof := filepath.Join(tmp, "profile-"+a.name)
	if profile {
		args += ",profile=" + prof
	}
	cmd := exec.Command(qemu, "-plugin", args, bin, raw)
	// One P, and no preemption signals landing in the measured thread between markers.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		hint := ""
		if strings.Contains(string(b), "plugin") {
			hint = " (this qemu has no plugin support: install Debian's qemu-user, not only qemu-user-static)"
		}
		return nil, nil, fmt.Errorf("%s: %v%s\n%s", qemu, err, hint, b)
	}
	b, err := os.ReadFile(counts)
	if err != nil {
		return nil, nil, err
	}
	steps, err := parseCounts(b)
	if err != nil || !profile {
		return steps, nil, err
	}
	p, err := os.ReadFile(prof)
	return steps, p, err
}

// writeProfile prints the top functions of bin by instructions per Step, from the plugin's profile of
// steps Steps (lines "ADDRESS INSNS EXECUTIONS").
func writeProfile(out io.Writer, name, bin string, prof []byte, steps, top int) error {
	nm, err := exec.Command("go", "tool", "nm", "-size", "-sort", "address", bin).Output()
	if err != nil {
		return fmt.Errorf("go tool nm: %w", err)
	}
	type sym struct {
		addr, size uint64
		name       string
	}
	var syms []sym
	for _, line := range strings.Split(string(nm), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || (f[2] != "T" && f[2] != "t") {
			continue
		}
		a, err1 := strconv.ParseUint(f[0], 16, 64)
		n, err2 := strconv.ParseUint(f[1], 10, 64)
		if err1 == nil && err2 == nil {
			syms = append(syms, sym{a, n, strings.Join(f[3:], " ")})
		}
	}
	by := map[string]uint64{}
	var total uint64
	for i, line := range strings.Split(strings.TrimSpace(string(prof)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("profile line %d: %q", i+1, line)
		}
		a, err1 := strconv.ParseUint(f[0], 16, 64)
		n, err2 := strconv.ParseUint(f[1], 10, 64)
		e, err3 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("profile line %d: %q", i+1, line)
		}
		k, _ := slices.BinarySearchFunc(syms, a, func(s sym, a uint64) int {
			switch {
			case s.addr+s.size <= a:
				return -1
			case s.addr > a:
				return 1
			}
			return 0
		})
		fn := fmt.Sprintf("0x%x", a)
		if k < len(syms) && syms[k].addr <= a && a < syms[k].addr+syms[k].size {
			fn = syms[k].name
		}
		by[fn] += n * e
		total += n * e
	}
	type row struct {
		fn string
		n  uint64
	}
	var rows []row
	for fn, n := range by {
		rows = append(rows, row{fn, n})
	}
	slices.SortFunc(rows, func(a, b row) int {
		if a.n != b.n {
			return cmpDesc(a.n, b.n)
		}
		return strings.Compare(a.fn, b.fn)
	})
	fmt.Fprintf(out, "\n%s: %.2f M instructions per Step (Steps 2–%d), by function:\n", name, float64(total)/float64(steps)/1e6, steps+1)
	for _, r := range rows[:min(top, len(rows))] {
		fmt.Fprintf(out, "  %8.3f M %5.1f %%  %s\n", float64(r.n)/float64(steps)/1e6, 100*float64(r.n)/float64(total), r.fn)
	}
	return nil
}

func cmpDesc(a, b uint64) int {
	if a > b {
		return -1
	}
	return 1
}

// parseCounts turns the plugin's lines "VCPU COUNT", one per marker call, into the instructions between
// consecutive calls. Every call must come from one vCPU.
func parseCounts(b []byte) ([]uint64, error) {
	var vcpu string
	var prev uint64
	var steps []uint64
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("plugin output line %d: %q", i+1, line)
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || (i > 0 && v < prev) {
			return nil, fmt.Errorf("plugin output line %d: %q", i+1, line)
		}
		if i > 0 {
			if f[0] != vcpu {
				return nil, fmt.Errorf("the marker ran on vCPU %s and %s: the workload left its thread", vcpu, f[0])
			}
			steps = append(steps, v-prev)
		}
		vcpu, prev = f[0], v
	}
	return steps, nil
}
