package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice"
	officehttp "github.com/ashiato/ashiato/backoffice/http"
	"github.com/ashiato/ashiato/backoffice/ingest"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/backoffice/retention"
)

// Duration is a time.Duration written in TOML as a string such as "100ms" or "24h".
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (want e.g. \"100ms\" or \"24h\"): %q", b)
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Config is the office's configuration file. Every key is optional; the zero value of each means the
// default documented on it (and in office.example.toml, which a test loads).
type Config struct {
	Store     Store      `toml:"store"`
	MQTT      MQTT       `toml:"mqtt"`
	Ingest    Ingest     `toml:"ingest"`
	Minimise  Minimise   `toml:"minimise"`
	Retention Retention  `toml:"retention"`
	HTTP      HTTP       `toml:"http"`
	Dashboard Dashboard  `toml:"dashboard"`
	Operators []Operator `toml:"operator"`
	Public    Public     `toml:"public"`
	Inquiry   Inquiry    `toml:"inquiry"`
	Watch     Watch      `toml:"watch"`
	Sensors   []SensorAt `toml:"sensor"`
	Log       Log        `toml:"log"`
	// Analytics and LayoutConfs ([[layout]]) are in config_analytics.go.
	Analytics   Analytics    `toml:"analytics"`
	LayoutConfs []LayoutConf `toml:"layout"`

	dir string // the config file's directory: relative paths in it are relative to it
}

// Store selects the database.
type Store struct {
	// Driver is "sqlite" (one file in DataDir, for one shop) or "postgres" (a PostgreSQL server, for a
	// chain, shared by several collectors); "" means sqlite.
	Driver string `toml:"driver"`
	// DataDir holds the SQLite database. "" means $STATE_DIRECTORY (set by systemd's StateDirectory=)
	// when set, else "office-data" in the working directory.
	DataDir string `toml:"data_dir"`
	// DSN is the PostgreSQL database (driver "postgres"), a URL or key=value string without a password,
	// e.g. "postgres://ashiato@db.example:5432/ashiato?sslmode=verify-full".
	DSN string `toml:"dsn"`
	// PasswordFile holds the PostgreSQL password; "" means libpq's rules (PGPASSWORD, PGPASSFILE,
	// ~/.pgpass). Never logged.
	PasswordFile string `toml:"password_file"`
}

// MQTT is how the office reaches the broker.
type MQTT struct {
	// Broker is tcp://HOST:PORT or tls://HOST:PORT; "" means tcp://127.0.0.1:1883 (the agent's embedded
	// broker's default address), unless Brokers is set.
	Broker string `toml:"broker"`
	// Brokers are independent broker nodes (not a cluster) that the sensors fail over between
	// (their mqtt.brokers); the office keeps a connection to each. Set Broker or Brokers, not both.
	Brokers []string `toml:"brokers"`
	// ClientID is the fixed client id of the office's persistent session; "" means the MQTT username
	// when one is set (brokers that bind client ids to usernames expect that), else "ashiato-office".
	ClientID string `toml:"client_id"`
	// ShareGroup subscribes to tracks through $share/<group>/… so that several collectors split them;
	// "" means a plain subscription.
	ShareGroup string `toml:"share_group"`
	// UsernameFile and PasswordFile hold the credentials; ASHIATO_OFFICE_MQTT_USERNAME and
	// ASHIATO_OFFICE_MQTT_PASSWORD take precedence. Never logged.
	UsernameFile string `toml:"username_file"`
	PasswordFile string `toml:"password_file"`
	// CAFile, CertFile, KeyFile and ServerName configure tls:// brokers.
	CAFile     string `toml:"ca_file"`
	CertFile   string `toml:"cert_file"`
	KeyFile    string `toml:"key_file"`
	ServerName string `toml:"server_name"`
}

// Ingest tunes the collector; 0 means the ingest package's defaults.
type Ingest struct {
	Queue      int      `toml:"queue"`       // messages waiting for the batcher (1000)
	BatchRows  int      `toml:"batch_rows"`  // messages per transaction at most (500)
	BatchWait  Duration `toml:"batch_wait"`  // longest wait of a batch's first message (100ms)
	MaxPayload int      `toml:"max_payload"` // bytes (1048576)
}

// Minimise sets the minimisation at the door. Each zero value means the default.
type Minimise struct {
	// Enabled turns minimisation on; unset means true. false stores tracks as the sensors send them.
	Enabled        *bool    `toml:"enabled"`
	FloorStep      float64  `toml:"floor_step"`       // metres (0.1)
	ImageStep      float64  `toml:"image_step"`       // fraction of the frame (0.001)
	MaxRate        float64  `toml:"max_rate"`         // points per second at most (2)
	MinDuration    Duration `toml:"min_duration"`     // shorter whole tracks are dropped ("2s")
	MinExtentFloor float64  `toml:"min_extent_floor"` // metres from the start a floor track must reach (1.0)
	MinExtentImage float64  `toml:"min_extent_image"` // the same for image tracks, fraction of the frame (0.05)
	StartTime      Duration `toml:"start_time"`       // a track's start time is rounded down to this ("1m")
}

// Retention is the office's side of the retention rule.
type Retention struct {
	// MaxDays is the office's own limit on keeping tracks, in days; 0 means each sensor's notice decides.
	// A limit longer than a sensor's notice promises is clamped to the notice, with a warning on every
	// purge.
	MaxDays int `toml:"max_days"`
	// Interval is how often the purge runs; "" means "24h". A track is deleted up to one interval before
	// its promise ends.
	Interval Duration `toml:"interval"`
	// AggregateMaxDays is the office's own limit on keeping aggregates, in days; 0 means each sensor's
	// notice decides (aggregate_retention_days). Like max_days, it never lengthens a notice's promise.
	AggregateMaxDays int `toml:"aggregate_max_days"`
}

// HTTP is the office's HTTP server: the dashboard, the public pages, the signage, /healthz and /metrics.
type HTTP struct {
	// Listen is the server's address; "" means 127.0.0.1:8080. Shoppers' phones reach the public pages
	// through it, so a store listens on its LAN address (or behind a reverse proxy).
	Listen string `toml:"listen"`
	// TLSCertFile and TLSKeyFile (PEM) turn on HTTPS; session cookies are then Secure.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
}

// Dashboard configures the operator dashboard.
type Dashboard struct {
	// SessionTTL is how long a login lasts; "" means "12h".
	SessionTTL Duration `toml:"session_ttl"`
	// LiveInterval is how often live pages look for changes; "" means "1s".
	LiveInterval Duration `toml:"live_interval"`
}

// Operator is one dashboard account.
type Operator struct {
	Name string `toml:"name"`
	// PasswordHash is the bcrypt hash printed by `ashiato-office hash-password`.
	PasswordHash string `toml:"password_hash"`
}

// Public configures the pages without login.
type Public struct {
	// StaleAfter: a sensor silent this long is shown as "state unknown since …"; "" means "1m".
	StaleAfter Duration `toml:"stale_after"`
	// Footfall shows today's k-anonymous footfall on /p/<store>.
	Footfall bool `toml:"footfall"`
}

// Inquiry configures the inquiry desk (問い合わせ窓口) of the public pages.
type Inquiry struct {
	// Enabled shows the form; off by default.
	Enabled bool `toml:"enabled"`
	// RetentionDays is how long an inquiry is kept; 0 means 30.
	RetentionDays int `toml:"retention_days"`
	// MaxMessage is the longest message, in characters; 0 means 1000.
	MaxMessage int `toml:"max_message"`
	// PerHour is how many messages one address may send in an hour; 0 means 3.
	PerHour int `toml:"per_hour"`
}

// Watch sets when sensors are flagged.
type Watch struct {
	OfflineAfter Duration `toml:"offline_after"` // silent this long means offline ("5m")
	Interval     Duration `toml:"interval"`      // how often sensors are checked ("30s")
}

// SensorAt is what the operator expects of one sensor.
type SensorAt struct {
	Store string `toml:"store"`
	ID    string `toml:"id"`
	// NoticeHash is the hash printed in the footer of the poster on the wall; a sensor publishing another
	// notice is flagged notice_mismatch.
	NoticeHash string `toml:"notice_hash"`
}

// Log sets the log.
type Log struct {
	Level string `toml:"level"` // debug, info, warn, error; "" means info
}

// Defaults that belong to this program (the others live with their packages).
const (
	DefaultBroker   = "tcp://127.0.0.1:1883"
	DefaultClientID = "ashiato-office"
	DefaultDataDir  = "office-data"
	DefaultListen   = "127.0.0.1:8080"
	DefaultWatch    = 30 * time.Second
)

// Parse strictly decodes a TOML document (name is used in messages) and validates it. An unknown key is an
// error naming the key and its line.
func Parse(name string, b []byte) (*Config, error) {
	c := Config{dir: filepath.Dir(name)}
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var sm *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case errors.As(err, &sm):
			var errs []error
			for _, e := range sm.Errors {
				row, _ := e.Position()
				errs = append(errs, fmt.Errorf("%s:%d: unknown key %q", name, row, strings.Join(e.Key(), ".")))
			}
			return nil, errors.Join(errs...)
		case errors.As(err, &de):
			row, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %s", name, row, col, strings.TrimPrefix(de.Error(), "toml: "))
		default:
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

// Load reads and parses path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Validate checks every option and returns one error per problem, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	switch c.Store.Driver {
	case "", DriverSQLite:
		if c.Store.DSN != "" || c.Store.PasswordFile != "" {
			bad("store.dsn", "dsn and password_file are for driver = \"postgres\"")
		}
	case DriverPostgres:
		if c.Store.DSN == "" {
			bad("store.dsn", "driver postgres needs a dsn, e.g. postgres://ashiato@db.example:5432/ashiato")
		} else if err := postgres.CheckDSN(c.Store.DSN); err != nil {
			bad("store.dsn", "%v", err)
		}
	default:
		bad("store.driver", "%q is not sqlite or postgres", c.Store.Driver)
	}
	if b := c.MQTT.Broker; b != "" {
		if err := checkBroker(b); err != nil {
			bad("mqtt.broker", "%v", err)
		}
		if len(c.MQTT.Brokers) > 0 {
			bad("mqtt.brokers", "set mqtt.broker or mqtt.brokers, not both (one node: broker; several: brokers)")
		}
	}
	for i, b := range c.MQTT.Brokers {
		if err := checkBroker(b); err != nil {
			bad("mqtt.brokers", "node %d: %v", i+1, err)
		} else if slices.Contains(c.MQTT.Brokers[:i], b) {
			bad("mqtt.brokers", "node %d is listed twice", i+1)
		}
	}
	if len(c.MQTT.ClientID) > 128 {
		bad("mqtt.client_id", "longer than 128 characters")
	}
	if g := c.MQTT.ShareGroup; g != "" && strings.ContainsAny(g, "/+#") {
		bad("mqtt.share_group", "%q must not contain / + or #", g)
	}
	if (c.MQTT.CertFile == "") != (c.MQTT.KeyFile == "") {
		bad("mqtt.cert_file", "cert_file and key_file go together")
	}
	for key, v := range map[string]int{"ingest.queue": c.Ingest.Queue, "ingest.batch_rows": c.Ingest.BatchRows,
		"ingest.max_payload": c.Ingest.MaxPayload} {
		if v < 0 {
			bad(key, "must not be negative")
		}
	}
	if c.Ingest.BatchWait < 0 {
		bad("ingest.batch_wait", "must not be negative")
	}
	m := c.Minimise
	for key, v := range map[string]float64{"minimise.floor_step": m.FloorStep, "minimise.image_step": m.ImageStep,
		"minimise.max_rate": m.MaxRate, "minimise.min_extent_floor": m.MinExtentFloor, "minimise.min_extent_image": m.MinExtentImage} {
		if v < 0 {
			bad(key, "must not be negative")
		}
	}
	if m.ImageStep > 0.1 {
		bad("minimise.image_step", "%g is more than a tenth of the frame", m.ImageStep)
	}
	if m.MinDuration < 0 || m.StartTime < 0 {
		bad("minimise", "durations must not be negative")
	}
	if m.StartTime > 0 && time.Hour%m.StartTime.D() != 0 {
		bad("minimise.start_time", "%s does not divide an hour", m.StartTime.D())
	}
	if d := c.Retention.MaxDays; d < 0 || d > notice.MaxRetentionDays {
		bad("retention.max_days", "%d, want 0 (the notices decide) to %d", d, notice.MaxRetentionDays)
	}
	if i := c.Retention.Interval; i < 0 || (i > 0 && (i.D() < time.Minute || i.D() > 24*time.Hour)) {
		bad("retention.interval", "must be between 1m and 24h")
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			bad("http.listen", "%q is not HOST:PORT", c.HTTP.Listen)
		}
	}
	if (c.HTTP.TLSCertFile == "") != (c.HTTP.TLSKeyFile == "") {
		bad("http.tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if c.Dashboard.SessionTTL < 0 || (c.Dashboard.SessionTTL > 0 && c.Dashboard.SessionTTL.D() < time.Minute) {
		bad("dashboard.session_ttl", "must be at least 1m")
	}
	if c.Dashboard.LiveInterval < 0 || (c.Dashboard.LiveInterval > 0 && c.Dashboard.LiveInterval.D() < 100*time.Millisecond) {
		bad("dashboard.live_interval", "must be at least 100ms")
	}
	names := map[string]bool{}
	for i, op := range c.Operators {
		key := fmt.Sprintf("operator[%d]", i)
		if op.Name == "" || len(op.Name) > 64 || strings.ContainsAny(op.Name, " \t\r\n") {
			bad(key+".name", "1-64 characters without spaces")
		}
		if names[op.Name] {
			bad(key+".name", "%q is listed twice", op.Name)
		}
		names[op.Name] = true
		if err := officehttp.CheckHash(op.PasswordHash); err != nil {
			bad(key+".password_hash", "%v", err)
		}
	}
	if c.Public.StaleAfter < 0 || (c.Public.StaleAfter > 0 && c.Public.StaleAfter.D() < 15*time.Second) {
		bad("public.stale_after", "must be at least 15s (sensors send their status every 10 s)")
	}
	if d := c.Inquiry.RetentionDays; d < 0 || d > 365 {
		bad("inquiry.retention_days", "%d, want 0 (30 days) to 365", d)
	}
	if m := c.Inquiry.MaxMessage; m < 0 || m > 10000 {
		bad("inquiry.max_message", "%d, want 0 (1000) to 10000", m)
	}
	if c.Inquiry.PerHour < 0 {
		bad("inquiry.per_hour", "must not be negative")
	}
	if c.Watch.OfflineAfter < 0 || c.Watch.Interval < 0 {
		bad("watch", "durations must not be negative")
	}
	seen := map[backoffice.SensorKey]bool{}
	for i, s := range c.Sensors {
		key := fmt.Sprintf("sensor[%d]", i)
		if !event.ValidName(s.Store) || !event.ValidName(s.ID) {
			bad(key, "store %q and id %q must each be 1-64 characters of A-Z a-z 0-9 _ -", s.Store, s.ID)
		}
		if len(s.NoticeHash) != 64 || strings.Trim(s.NoticeHash, "0123456789abcdef") != "" {
			bad(key+".notice_hash", "must be the 64 hex digits printed on the poster")
		}
		k := backoffice.SensorKey{Store: s.Store, Sensor: s.ID}
		if seen[k] {
			bad(key, "%s is listed twice", k)
		}
		seen[k] = true
	}
	errs = append(errs, c.validateAnalytics()...)
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	return errors.Join(errs...)
}

func checkBroker(b string) error {
	u, err := url.Parse(b)
	if err != nil {
		return fmt.Errorf("%q is not a URL", b)
	}
	if u.User != nil {
		return errors.New("credentials in the URL are refused: use mqtt.username_file and mqtt.password_file, or the environment")
	}
	switch u.Scheme {
	case "tcp", "tls", "ssl":
	default:
		return fmt.Errorf("%q is not tcp://HOST:PORT or tls://HOST:PORT", b)
	}
	if u.Port() == "" {
		return fmt.Errorf("%q needs a port, e.g. tcp://localhost:1883", b)
	}
	return nil
}

// DataDir is the effective data directory.
func (c *Config) DataDir() string {
	if c.Store.DataDir != "" {
		return c.Store.DataDir
	}
	if s := os.Getenv("STATE_DIRECTORY"); s != "" {
		return filepath.SplitList(s)[0]
	}
	return DefaultDataDir
}

// Store drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Driver is the effective store driver.
func (c *Config) Driver() string {
	if c.Store.Driver == "" {
		return DriverSQLite
	}
	return c.Store.Driver
}

// PostgresPassword is the PostgreSQL password from store.password_file, or "" (libpq's rules then apply).
func (c *Config) PostgresPassword() (string, error) {
	if c.Store.PasswordFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.Store.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("store.password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Brokers are the effective broker nodes' URLs.
func (c *Config) Brokers() []string {
	switch {
	case len(c.MQTT.Brokers) > 0:
		return c.MQTT.Brokers
	case c.MQTT.Broker != "":
		return []string{c.MQTT.Broker}
	}
	return []string{DefaultBroker}
}

// brokersTLS reports whether any and whether every broker node is reached over TLS.
func (c *Config) brokersTLS() (anyTLS, allTLS bool) {
	allTLS = true
	for _, b := range c.Brokers() {
		t := strings.HasPrefix(b, "tls://") || strings.HasPrefix(b, "ssl://")
		anyTLS, allTLS = anyTLS || t, allTLS && t
	}
	return anyTLS, allTLS
}

// Listen is the effective HTTP address.
func (c *Config) Listen() string {
	if c.HTTP.Listen != "" {
		return c.HTTP.Listen
	}
	return DefaultListen
}

// Interval is the effective purge interval.
func (c *Config) Interval() time.Duration {
	if c.Retention.Interval > 0 {
		return c.Retention.Interval.D()
	}
	return retention.DefaultInterval
}

// RetentionRule is the office's retention rule: its limit, and a margin of one purge interval.
func (c *Config) RetentionRule() backoffice.Retention {
	return backoffice.Retention{MaxDays: c.Retention.MaxDays, Margin: c.Interval(), AggregateMaxDays: c.Retention.AggregateMaxDays}
}

// Minimisation is the effective minimisation: the defaults (agent/minimise's rules, through
// backoffice.DefaultMinimisation) with the configured values over them, or none when disabled.
func (c *Config) Minimisation() backoffice.Minimisation {
	m := c.Minimise
	if m.Enabled != nil && !*m.Enabled {
		return backoffice.Minimisation{}
	}
	out := backoffice.DefaultMinimisation()
	set := func(dst *float64, v float64) {
		if v > 0 {
			*dst = v
		}
	}
	set(&out.FloorStep, m.FloorStep)
	set(&out.ImageStep, m.ImageStep)
	set(&out.MinExtentFloor, m.MinExtentFloor)
	set(&out.MinExtentImage, m.MinExtentImage)
	if m.MaxRate > 0 {
		out.MinInterval = time.Duration(float64(time.Second) / m.MaxRate)
	}
	if m.MinDuration > 0 {
		out.MinDuration = m.MinDuration.D()
	}
	if m.StartTime > 0 {
		out.StartResolution = m.StartTime.D()
	}
	return out
}

// WatchRule is the effective sensor watch.
func (c *Config) WatchRule() backoffice.Watch {
	w := backoffice.Watch{OfflineAfter: c.Watch.OfflineAfter.D(), ExpectNotice: map[backoffice.SensorKey]string{}}
	for _, s := range c.Sensors {
		w.ExpectNotice[backoffice.SensorKey{Store: s.Store, Sensor: s.ID}] = s.NoticeHash
	}
	return w
}

// WatchInterval is how often sensors are checked.
func (c *Config) WatchInterval() time.Duration {
	if c.Watch.Interval > 0 {
		return c.Watch.Interval.D()
	}
	return DefaultWatch
}

// Credentials are the MQTT username and password, from the environment or the configured files.
func (c *Config) Credentials() (user, pass string, err error) {
	read := func(env, file string) (string, error) {
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
		if file == "" {
			return "", nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("mqtt: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if user, err = read("ASHIATO_OFFICE_MQTT_USERNAME", c.MQTT.UsernameFile); err != nil {
		return "", "", err
	}
	if pass, err = read("ASHIATO_OFFICE_MQTT_PASSWORD", c.MQTT.PasswordFile); err != nil {
		return "", "", err
	}
	return user, pass, nil
}

// ClientID is the effective client id for username user.
func (c *Config) ClientID(user string) string {
	switch {
	case c.MQTT.ClientID != "":
		return c.MQTT.ClientID
	case user != "":
		return user
	}
	return DefaultClientID
}

// TLS is the TLS configuration for tls:// broker nodes, or nil when there is none.
func (c *Config) TLS() (*tls.Config, error) {
	if anyTLS, _ := c.brokersTLS(); !anyTLS {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.MQTT.ServerName}
	if c.MQTT.CAFile != "" {
		pem, err := os.ReadFile(c.MQTT.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.ca_file: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.ca_file: no certificate in %s", c.MQTT.CAFile)
		}
	}
	if c.MQTT.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.MQTT.CertFile, c.MQTT.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.cert_file: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// IngestOptions are the collector's options, without the store-independent parts main adds.
func (c *Config) IngestOptions() ingest.Options {
	return ingest.Options{Brokers: c.Brokers(), ShareGroup: c.MQTT.ShareGroup, Queue: c.Ingest.Queue,
		BatchRows: c.Ingest.BatchRows, BatchWait: c.Ingest.BatchWait.D(), MaxPayload: c.Ingest.MaxPayload,
		Minimisation: c.Minimisation(), Retention: c.RetentionRule()}
}

// HTTPTLS is the TLS configuration of the HTTP server, or nil for plain HTTP.
func (c *Config) HTTPTLS() (*tls.Config, error) {
	if c.HTTP.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.HTTP.TLSCertFile, c.HTTP.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("http.tls_cert_file: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// ServerOptions are the HTTP server's options from the configuration; main adds the store, the
// commander, the health checks and what it learns at run time.
func (c *Config) ServerOptions() officehttp.Options {
	o := officehttp.Options{Watch: c.WatchRule(), Retention: c.RetentionRule(), PurgeInterval: c.Interval(),
		SessionTTL: c.Dashboard.SessionTTL.D(), LiveInterval: c.Dashboard.LiveInterval.D(), Location: c.Location(),
		Public:  officehttp.Public{StaleAfter: c.Public.StaleAfter.D(), Footfall: c.Public.Footfall},
		Inquiry: officehttp.InquiryDesk{RetentionDays: c.Inquiry.RetentionDays, MaxMessage: c.Inquiry.MaxMessage}}
	if c.Inquiry.PerHour > 0 {
		o.Inquiry.Limit = officehttp.Limit{Max: c.Inquiry.PerHour, Per: time.Hour}
	}
	for _, op := range c.Operators {
		o.Accounts = append(o.Accounts, officehttp.Account{Name: op.Name, Hash: op.PasswordHash})
	}
	_, allTLS := c.brokersTLS()
	o.Security = officehttp.Security{HTTPS: c.HTTP.TLSCertFile != "", MQTTClientCert: c.MQTT.CertFile != "",
		MQTTTLS: allTLS, Minimisation: c.Minimisation()}
	return o
}
