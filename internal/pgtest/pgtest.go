// Package pgtest runs a real PostgreSQL 15 server for tests: a cluster of the test's own, made by initdb in
// a temporary directory and listening on a free loopback port, with a fresh database for each caller.
// It never uses a server that happens to run on the machine.
//
// The server runs as the current user, or, when the test runs as root (PostgreSQL refuses to), as the
// unprivileged user "nobody" (setuid through os/exec, no sudo). A missing installation fails the test
// (it does not skip it): Debian and Ubuntu ship the binaries in the package postgresql-15 (or postgresql,
// which depends on the distribution's version), under /usr/lib/postgresql/15/bin.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDir is where Debian's postgresql-15 installs the server binaries. A later major version's directory
// (/usr/lib/postgresql/N/bin, N > 15) is used when 15 is not installed.
const BinDir = "/usr/lib/postgresql/15/bin"

// binDir returns BinDir, or the newest later version's directory when only that is installed.
func binDir() string {
	if _, err := os.Stat(filepath.Join(BinDir, "postgres")); err == nil {
		return BinDir
	}
	best, bestV := BinDir, 15
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if _, serr := os.Stat(filepath.Join(d, "postgres")); err == nil && serr == nil && v > bestV {
			best, bestV = d, v
		}
	}
	return best
}

// Superuser is the cluster's superuser; its password is Cluster.Password.
const Superuser = "postgres"

// Options configure Start. The zero value is a cluster with PostgreSQL's defaults.
type Options struct {
	// Settings are extra postgresql.conf lines (name = value), e.g. "min_wal_size = 32MB".
	Settings []string
	// InitArgs are extra initdb arguments, e.g. "--wal-segsize=1".
	InitArgs []string
}

// Cluster is one PostgreSQL server under a test's control. Its methods are safe for concurrent use.
type Cluster struct {
	t        testing.TB
	root     string // the cluster's temporary directory: data/, socket/, postgres.log
	port     int
	password string
	asUser   bool // run the server as uid:gid (nobody) rather than the current user
	uid, gid int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	logMu  sync.Mutex
	logBuf bytes.Buffer
	dbs    atomic.Int64
}

// Bin returns the path of a PostgreSQL program, failing the test when it is not installed.
func Bin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(binDir(), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("pgtest: %s not found: install the Debian package postgresql-15 (apt-get install postgresql-15; "+
			"make deps does it): %v", p, err)
	}
	return p
}

// Start makes a new cluster and starts its server; the test's cleanup stops it and removes its files.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	initdb := Bin(t, "initdb")
	Bin(t, "postgres")
	c := &Cluster{t: t, password: randomHex(16)}
	var err error
	// Not t.TempDir(): its parent is private to the test's user, and the server may run as another.
	if c.root, err = os.MkdirTemp("", "pgtest-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(c.root) })
	for _, d := range []string{"data", "socket"} {
		if err := os.Mkdir(filepath.Join(c.root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("pgtest: running as root, and PostgreSQL refuses root: no user nobody to run it as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.asUser, c.uid, c.gid = true, uid, gid
		for _, p := range []string{c.root, filepath.Join(c.root, "data"), filepath.Join(c.root, "socket")} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	pwfile := filepath.Join(c.root, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c.asUser {
		os.Chown(pwfile, c.uid, c.gid)
	}
	args := append([]string{"-D", c.DataDir(), "-U", Superuser, "--pwfile", pwfile, "--auth-local=trust",
		"--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"}, o.InitArgs...)
	if out, err := c.command(initdb, args...).CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	c.port = freePort(t)
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("port = %d", c.port),
		fmt.Sprintf("unix_socket_directories = '%s'", filepath.Join(c.root, "socket")),
		"max_connections = 50",
		"shared_buffers = 32MB",
	}
	conf = append(conf, o.Settings...)
	f, err := os.OpenFile(filepath.Join(c.DataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("\n# pgtest\n" + strings.Join(conf, "\n") + "\n")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	c.Restart()
	return c
}

// command runs a PostgreSQL program as the cluster's user.
func (c *Cluster) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.asUser {
		runAs(cmd, c.uid, c.gid)
	}
	return cmd
}

// Restart starts the server (again) and waits until it accepts connections.
func (c *Cluster) Restart() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		c.t.Fatal("pgtest: already running")
	}
	cmd := c.command(Bin(c.t, "postgres"), "-D", c.DataDir())
	c.logMu.Lock()
	c.logBuf.Reset()
	c.logMu.Unlock()
	w := &lockedWriter{mu: &c.logMu, w: &c.logBuf}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("pgtest: %v", err)
	}
	exited := make(chan struct{})
	c.cmd, c.exited = cmd, exited
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		// Ready means a query answers, not only that the port is open (the server listens while it recovers).
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.dsnWithPassword("postgres"))
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return
		}
		select {
		case <-exited:
			c.t.Fatalf("pgtest: postgres exited at start:\n%s", c.Log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("pgtest: postgres did not answer on port %d: %v\n%s", c.port, err, c.Log())
		}
	}
}

// Stop stops the server with a fast shutdown (SIGINT: sessions end, then a checkpoint) and waits for it.
// It does nothing when the server is not running.
func (c *Cluster) Stop() {
	c.mu.Lock()
	cmd, exited := c.cmd, c.exited
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// DataDir is the cluster's data directory (PGDATA): base/, pg_wal/ and the rest.
func (c *Cluster) DataDir() string { return filepath.Join(c.root, "data") }

// Port is the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Password is the superuser's password (the server asks for it on TCP connections).
func (c *Cluster) Password() string { return c.password }

// DSN is the URL of database db as the superuser, without the password.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.port, db)
}

// dsnWithPassword is DSN with the password, for the rig's own connections.
func (c *Cluster) dsnWithPassword(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.password, c.port, db)
}

// NewDatabase creates an empty database and returns its name; the test's cleanup drops it.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", c.dbs.Add(1))
	c.Exec(t, "postgres", "CREATE DATABASE "+name)
	t.Cleanup(func() {
		c.mu.Lock()
		running := c.cmd != nil
		c.mu.Unlock()
		if running {
			c.exec("postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		}
	})
	return name
}

// Exec runs one SQL statement in database db as the superuser.
func (c *Cluster) Exec(t testing.TB, db, sql string, args ...any) {
	t.Helper()
	if err := c.exec(db, sql, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

func (c *Cluster) exec(db, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dsnWithPassword(db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// Connect opens a connection to database db as the superuser; the test's cleanup closes it.
func (c *Cluster) Connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.dsnWithPassword(db))
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", db, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Log is what the server wrote so far since it last started.
func (c *Cluster) Log() string {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	return c.logBuf.String()
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
