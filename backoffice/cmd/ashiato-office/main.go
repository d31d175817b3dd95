// Command ashiato-office is Ashiato's back office: it collects the sensors' tracks from MQTT into a
// database, keeps each only as long as its sensor's notice promises, and then deletes it irrecoverably.
//
// Usage:
//
//	ashiato-office serve [-config FILE] [-broker URL] [-data-dir DIR | -postgres URL] [-listen ADDR] [-log-level LEVEL]
//	                     [-client-id ID] [-share GROUP]
//	ashiato-office purge [-config FILE] [-data-dir DIR | -postgres URL] [-now RFC3339] [-dry-run]
//	ashiato-office check-config FILE
//	ashiato-office hash-password            (reads the password from standard input)
//	ashiato-office version
//
// This package is the composition root: it alone reads the configuration and wires the store, the
// collector, the purge job, the sensor watcher, the analytics job and the HTTP server together.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/ashiato/ashiato/agent/sdnotify"
	"github.com/ashiato/ashiato/backoffice"
	officehttp "github.com/ashiato/ashiato/backoffice/http"
	"github.com/ashiato/ashiato/backoffice/ingest"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/backoffice/retention"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/backoffice/watch"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  ashiato-office serve [-config FILE] [-broker URL] [-data-dir DIR | -postgres URL] [-listen ADDR] [-log-level LEVEL]
                       [-client-id ID] [-share GROUP]
  ashiato-office purge [-config FILE] [-data-dir DIR | -postgres URL] [-now RFC3339] [-dry-run]
  ashiato-office check-config FILE
  ashiato-office hash-password      reads a password on standard input, prints its bcrypt hash for [[operator]]
  ashiato-office version
`

// hashPassword reads one line (the password) from in and prints its bcrypt hash.
func hashPassword(in io.Reader, stdout, stderr io.Writer) int {
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "password (not echoed only if your terminal hides it; better: pipe it in): ")
		}
	}
	line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintln(stderr, "ashiato-office hash-password:", err)
		return 1
	}
	h, err := officehttp.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		fmt.Fprintln(stderr, "ashiato-office hash-password:", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "purge":
		return purge(args[1:], stdout, stderr)
	case "check-config":
		if len(args) != 2 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		if _, err := Load(args[1]); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: ok\n", args[1])
		return 0
	case "hash-password":
		return hashPassword(os.Stdin, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "ashiato-office", version)
		return 0
	}
	fmt.Fprintf(stderr, "ashiato-office: unknown command %q\n%s", args[0], usage)
	return 2
}

// overrides are the flags that override the configuration file.
type overrides struct {
	config, broker, dataDir, listen, logLevel, clientID, share, postgres string
}

func (o *overrides) register(fs *flag.FlagSet, serve bool) {
	fs.StringVar(&o.config, "config", "", "configuration file (TOML); without it every setting has its default")
	fs.StringVar(&o.dataDir, "data-dir", "", "data directory (overrides store.data_dir)")
	fs.StringVar(&o.postgres, "postgres", "", "PostgreSQL database URL without a password, e.g. postgres://ashiato@db:5432/ashiato "+
		"(sets store.driver = \"postgres\" and store.dsn; the password comes from store.password_file or PGPASSWORD)")
	if serve {
		fs.StringVar(&o.broker, "broker", "", "MQTT broker, tcp://HOST:PORT or tls://HOST:PORT (overrides mqtt.broker and mqtt.brokers)")
		fs.StringVar(&o.listen, "listen", "", "HTTP address of /healthz and /metrics (overrides http.listen)")
		fs.StringVar(&o.logLevel, "log-level", "", "debug, info, warn or error (overrides log.level)")
		fs.StringVar(&o.clientID, "client-id", "", "MQTT client id of this collector's persistent session (overrides mqtt.client_id)")
		fs.StringVar(&o.share, "share", "", "shared-subscription group for tracks, split among collectors (overrides mqtt.share_group)")
	}
}

// load reads the configuration file, if any, and applies the flags over it.
func (o *overrides) load() (*Config, error) {
	c := &Config{}
	if o.config != "" {
		var err error
		if c, err = Load(o.config); err != nil {
			return nil, err
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if o.broker != "" { // one broker, in place of the configured node or nodes
		c.MQTT.Broker, c.MQTT.Brokers = o.broker, nil
	}
	set(&c.Store.DataDir, o.dataDir)
	set(&c.HTTP.Listen, o.listen)
	set(&c.Log.Level, o.logLevel)
	set(&c.MQTT.ClientID, o.clientID)
	set(&c.MQTT.ShareGroup, o.share)
	if o.postgres != "" {
		c.Store.Driver, c.Store.DSN = DriverPostgres, o.postgres
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("ashiato-office: flags: %w", err)
	}
	return c, nil
}

func logger(c *Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.Log.Level)) // validated; "" is info
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// officeStore is what the office needs of its database; both stores implement it.
type officeStore interface {
	backoffice.Store
	backoffice.AggregateStore
	backoffice.InquiryStore
	// Erases reports whether a purge makes deleted rows unrecoverable from the store's files.
	Erases() bool
}

// openStore opens the configured store: the one place that chooses it.
func openStore(ctx context.Context, c *Config, log *slog.Logger) (officeStore, error) {
	log = log.With("component", "store", "driver", c.Driver())
	if c.Driver() == DriverPostgres {
		pass, err := c.PostgresPassword()
		if err != nil {
			return nil, err
		}
		db, err := postgres.Open(ctx, c.Store.DSN, postgres.Options{Password: pass, Location: c.Location(), Logger: log})
		if err != nil {
			return nil, err
		}
		log.Info("store opened", "database", db.Where(), "partition_time_zone", c.Location().String())
		return db, nil
	}
	return sqlite.Open(ctx, c.DataDir(), sqlite.Options{Logger: log})
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("ashiato-office serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o overrides
	o.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := o.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := logger(c, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serveWith(ctx, c, log); err != nil {
		log.Error("ashiato-office stopped", "err", err)
		return 1
	}
	return 0
}

// serveWith runs the collector, the purge job, the watcher and the HTTP server until ctx ends, then stops
// them in order (the collector commits and acknowledges its last batch) and closes the store.
func serveWith(ctx context.Context, c *Config, log *slog.Logger) error {
	user, pass, err := c.Credentials()
	if err != nil {
		return err
	}
	tlsConf, err := c.TLS()
	if err != nil {
		return err
	}
	db, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	io := c.IngestOptions()
	io.ClientID, io.Username, io.Password, io.TLS = c.ClientID(user), user, pass, tlsConf
	io.Logger, io.Metrics = log.With("component", "ingest"), reg
	col, err := ingest.New(db, io)
	if err != nil {
		return err
	}
	job := &retention.Job{Store: db, Retention: c.RetentionRule(), Logger: log.With("component", "retention")}
	if c.Inquiry.Enabled {
		job.Inquiries = db
	}
	w := &watch.Watcher{Store: db, Watch: c.WatchRule(), Logger: log.With("component", "watch")}
	agg := c.Aggregator(db)
	agg.Logger = log.With("component", "analytics")
	if err := errors.Join(job.Register(reg), w.Register(reg), agg.Register(reg)); err != nil {
		return err
	}
	httpTLS, err := c.HTTPTLS()
	if err != nil {
		return err
	}
	so := c.ServerOptions()
	so.Health, so.Gatherer, so.Store, so.Commands = officehttp.Health{Ping: db.Ping, Brokers: col.Brokers}, reg, db, col
	so.Security.Store, so.Security.SecureErase = c.Driver(), db.Erases()
	if c.Driver() == DriverSQLite {
		so.Security.DatabaseEncrypted = encryptedAtRest(c.DataDir())
	}
	so.Logger = log.With("component", "http")
	if c.Inquiry.Enabled {
		so.Inquiries = db
	}
	srv, err := officehttp.New(so)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.Listen())
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	scheme := "http://"
	if httpTLS != nil {
		scheme = "https://"
	}
	if len(c.Operators) == 0 {
		log.Warn("no [[operator]] account: nobody can log in to the dashboard (make a hash with `ashiato-office hash-password`)")
	}
	log.Info("ashiato-office serving", "version", version, "store", c.Driver(), "data_dir", c.DataDir(), "http", scheme+l.Addr().String(),
		"brokers", c.Brokers(), "client_id", io.ClientID, "minimise", io.Minimisation != backoffice.Minimisation{},
		"retention_max_days", c.Retention.MaxDays, "purge_interval", c.Interval(), "layouts", len(c.LayoutConfs))

	// Under systemd (Type=notify): ready once the store is open, the HTTP port listens and ingest is
	// subscribed (or brokerWait has passed); the watchdog is fed while ingest and the purge job make
	// progress. Elsewhere the notifier is a no-op.
	sm, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn("systemd watchdog disabled", "err", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		tellService(gctx, sm, col, job, "serving "+scheme+l.Addr().String(), strings.Join(c.Brokers(), " "), log)
		return nil
	})
	g.Go(func() error { return col.Run(gctx) })
	g.Go(func() error { return job.Run(gctx, c.Interval()) })
	g.Go(func() error { return w.Run(gctx, c.WatchInterval()) })
	g.Go(func() error { return agg.Run(gctx, c.AnalyticsInterval()) })
	g.Go(func() error {
		return officehttp.Serve(gctx, l, srv.Handler(), httpTLS)
	})
	return g.Wait()
}

// brokerWait bounds how long the office waits for the broker to acknowledge its subscriptions before it
// tells systemd it is ready anyway: the dashboard and the purge job work without the broker, and the
// broker keeps the sensors' messages until the office subscribes.
var brokerWait = 15 * time.Second

// ingestProgress is what tellService reads of an *ingest.Collector.
type ingestProgress interface {
	Subscribed() <-chan struct{}
	Alive() bool
}

// purgeProgress is what tellService reads of a *retention.Job.
type purgeProgress interface{ Alive() bool }

// tellService tells the service manager that the office is ready (once ingest is subscribed, or after
// brokerWait with a status that says ingest waits for the broker), feeds the watchdog while the ingest
// batcher and the purge job make progress (ingest.Collector.Alive, retention.Job.Alive), and says
// stopping when ctx ends. serving is the status line's start: what the HTTP server listens on.
func tellService(ctx context.Context, sm *sdnotify.Notifier, col ingestProgress, job purgeProgress,
	serving, broker string, log *slog.Logger) {
	report := func(what string, err error) {
		if err != nil {
			log.Warn("service manager: "+what, "err", err)
		}
	}
	collecting := serving + "; collecting from " + broker
	subscribed := col.Subscribed()
	wait := time.NewTimer(brokerWait)
	defer wait.Stop()
	select {
	case <-subscribed:
		report("ready", sm.Ready(collecting))
		subscribed = nil
	case <-wait.C:
		log.Warn("ready without the broker: ingest waits for it", "broker", broker, "waited", brokerWait)
		report("ready", sm.Ready(serving+"; ingest waiting for the broker "+broker))
	case <-ctx.Done():
		report("stopping", sm.Stopping("stopping"))
		return
	}
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		report("watchdog", sm.Feed(ctx, func() bool {
			ingestOK, purgeOK := col.Alive(), job.Alive()
			if !ingestOK || !purgeOK {
				log.Error("not feeding the systemd watchdog: a stage is stuck", "ingest_ok", ingestOK, "purge_ok", purgeOK)
			}
			return ingestOK && purgeOK
		}))
	}()
	for {
		select {
		case <-subscribed:
			report("status", sm.Status(collecting))
			subscribed = nil
		case <-ctx.Done():
			<-fed
			report("stopping", sm.Stopping("stopping: committing the last batch"))
			return
		}
	}
}

func purge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ashiato-office purge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o overrides
	o.register(fs, false)
	nowFlag := fs.String("now", "", "purge as if at this time (RFC 3339, e.g. 2030-03-04T10:00:00+09:00); default now")
	dry := fs.Bool("dry-run", false, "print what would be removed, remove nothing")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			fmt.Fprintf(stderr, "ashiato-office purge: -now: %v\n", err)
			return 2
		}
		now = t
	}
	c, err := o.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := logger(c, stderr)
	ctx := context.Background()
	db, err := openStore(ctx, c, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	job := &retention.Job{Store: db, Retention: c.RetentionRule(), Logger: log}
	rep, err := job.Once(ctx, now, *dry)
	printReport(stdout, rep)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// printReport writes what a purge removed, one line per store and sensor.
func printReport(w io.Writer, rep backoffice.PurgeReport) {
	what := "purge"
	if rep.DryRun {
		what = "dry run (nothing removed)"
	}
	fmt.Fprintf(w, "%s at %s\n", what, rep.At.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "store\tsensor\tdays\tcutoff\ttracks\tdropped\toldest\tnewest\taggregate_days\taggregate_hours")
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	for _, p := range rep.Sensors {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\t%d\t%d\n", p.Store, p.Sensor, p.Days, ts(p.Cutoff), p.Tracks, p.Dropped,
			ts(p.Oldest), ts(p.Newest), p.AggregateDays, p.AggregateHours)
	}
	tw.Flush()
	tracks, dropped := rep.Total()
	fmt.Fprintf(w, "total: %d tracks, %d dropped records, %d hours of aggregates\n", tracks, dropped, rep.AggregateHours())
	if rep.Erasure != "" {
		fmt.Fprintf(w, "erasure: %s\n", rep.Erasure)
	}
}
