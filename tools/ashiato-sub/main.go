// Command ashiato-sub is an example back-office subscriber: it prints every Ashiato MQTT message as a
// JSON line, optionally validating it against the published schemas, with duplicate tracks and stale
// offline wills removed.
//
// Usage:
//
//	ashiato-sub -broker URL [-store S -sensor N | -filter F] [-validate] [-count N] [-timeout D]
//	            [-client-id ID -clean=false] [-ca-file F] [-cert-file F -key-file F] [-server-name N]
//
// Each message is written to stdout in the agent's -sink stdout format:
// {"topic":…,"payload":…,"qos":…,"retain":…}. A track whose (track, seg) was already printed is a
// redelivery and is skipped; an "offline" status whose birth is lower than that of the last "online" of
// the same sensor is a stale will and is skipped. Skips and invalid messages are reported on stderr.
// Credentials come from ASHIATO_MQTT_USERNAME and ASHIATO_MQTT_PASSWORD, as for the agent.
//
// Exit status: 0 when done (-count messages printed, -timeout elapsed without -count, or interrupted);
// 1 if any message was invalid (it is still printed, so that it can be inspected); 2 for bad usage;
// 3 when the broker cannot be reached or -timeout elapsed before -count messages.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/schemas"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	broker, store, sensor, filter     string
	clientID                          string
	clean, validate                   bool
	count                             int
	timeout                           time.Duration
	caFile, certFile, keyFile, server string
}

// run is the whole program; ctx ends it like an interrupt.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ashiato-sub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.broker, "broker", "", "MQTT broker URL: tcp://HOST:PORT or tls://HOST:PORT (required)")
	fs.StringVar(&o.store, "store", "", "store name; with -sensor, subscribes to that sensor's topics")
	fs.StringVar(&o.sensor, "sensor", "", "sensor name; \"\" with -store means every sensor of the store")
	fs.StringVar(&o.filter, "filter", "", "topic filter; default "+event.Root+"/#")
	fs.BoolVar(&o.validate, "validate", false, "check every payload against the JSON Schemas; exit 1 if one fails")
	fs.IntVar(&o.count, "count", 0, "exit after printing this many messages; 0 means no limit")
	fs.DurationVar(&o.timeout, "timeout", 0, "exit after this long; 0 means no limit")
	fs.StringVar(&o.clientID, "client-id", "", "MQTT client id; default ashiato-sub-<pid>")
	fs.BoolVar(&o.clean, "clean", true, "clean session; -clean=false with a fixed -client-id keeps QoS 1 messages queued at the broker while away")
	fs.StringVar(&o.caFile, "ca-file", "", "PEM CA bundle for tls:// brokers; default the system roots")
	fs.StringVar(&o.certFile, "cert-file", "", "PEM client certificate for mutual TLS")
	fs.StringVar(&o.keyFile, "key-file", "", "PEM client key for mutual TLS")
	fs.StringVar(&o.server, "server-name", "", "name to check in the broker's certificate; default the URL's host")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	topicFilter, err := o.topicFilter()
	if err != nil || o.broker == "" || fs.NArg() > 0 || o.count < 0 || o.timeout < 0 {
		if err == nil {
			err = errors.New("need -broker URL, no arguments, and non-negative -count and -timeout")
		}
		fmt.Fprintln(stderr, "ashiato-sub:", err)
		return 2
	}
	var v *schemas.Validator
	if o.validate {
		if v, err = schemas.New(); err != nil {
			fmt.Fprintln(stderr, "ashiato-sub:", err)
			return 2
		}
	}
	tlsCfg, err := o.tlsConfig()
	if err != nil {
		fmt.Fprintln(stderr, "ashiato-sub:", err)
		return 2
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	if o.clientID == "" {
		o.clientID = fmt.Sprintf("ashiato-sub-%d", os.Getpid())
	}

	s := &printer{f: newFilter(v), out: stdout, errOut: stderr, count: o.count, done: make(chan struct{})}
	opts := paho.NewClientOptions().AddBroker(o.broker).SetClientID(o.clientID).
		SetCleanSession(o.clean).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(500 * time.Millisecond).SetMaxReconnectInterval(2 * time.Second).
		SetOrderMatters(true).SetTLSConfig(tlsCfg).SetConnectTimeout(5 * time.Second)
	if u, ok := os.LookupEnv("ASHIATO_MQTT_USERNAME"); ok {
		opts.SetUsername(u)
	}
	if p, ok := os.LookupEnv("ASHIATO_MQTT_PASSWORD"); ok {
		opts.SetPassword(p)
	}
	subscribed := make(chan error, 1)
	opts.SetOnConnectHandler(func(c paho.Client) {
		// Subscribing again on every connect is harmless with a persistent session and needed without one.
		tok := c.Subscribe(topicFilter, 1, func(_ paho.Client, m paho.Message) {
			s.handle(m.Topic(), m.Payload(), m.Qos(), m.Retained())
		})
		go func() {
			tok.Wait()
			select {
			case subscribed <- tok.Error():
			default:
			}
		}()
	})
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) {
		fmt.Fprintln(stderr, "ashiato-sub: connection lost, reconnecting:", err)
	})
	c := paho.NewClient(opts)
	c.Connect() // retries in the background until ctx ends
	defer c.Disconnect(250)

	select {
	case err := <-subscribed:
		if err != nil {
			fmt.Fprintln(stderr, "ashiato-sub: subscribe:", err)
			return 3
		}
	case <-ctx.Done():
		fmt.Fprintln(stderr, "ashiato-sub: broker not reached:", o.broker)
		return 3
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		if o.count > 0 && !errors.Is(ctx.Err(), context.Canceled) {
			s.mu.Lock()
			n := s.printed
			s.mu.Unlock()
			fmt.Fprintf(stderr, "ashiato-sub: timed out after %d of %d messages\n", n, o.count)
			return 3
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished = true
	fmt.Fprintf(stderr, "ashiato-sub: %d printed, %d duplicate tracks, %d stale wills, %d invalid\n",
		s.printed, s.dups, s.stale, s.invalid)
	if s.invalid > 0 {
		return 1
	}
	return 0
}

func (o options) topicFilter() (string, error) {
	switch {
	case o.filter != "" && (o.store != "" || o.sensor != ""):
		return "", errors.New("use either -filter or -store/-sensor")
	case o.filter != "":
		return o.filter, nil
	case o.sensor != "" && o.store == "":
		return "", errors.New("-sensor needs -store")
	case o.store == "":
		return event.Root + "/#", nil
	case !event.ValidName(o.store) || (o.sensor != "" && !event.ValidName(o.sensor)):
		return "", errors.New("store and sensor names are 1 to 64 of [A-Za-z0-9_-]")
	case o.sensor == "":
		return event.Root + "/" + o.store + "/+/#", nil
	default:
		return event.Topics{Store: o.store, Sensor: o.sensor}.Prefix() + "/#", nil
	}
}

func (o options) tlsConfig() (*tls.Config, error) {
	if !strings.HasPrefix(o.broker, "tls://") && !strings.HasPrefix(o.broker, "ssl://") && !strings.HasPrefix(o.broker, "mqtts://") {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.server}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", o.caFile)
		}
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, errors.New("-cert-file and -key-file go together")
	}
	if o.certFile != "" {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// printer writes the messages that pass the filter, from paho's goroutine.
type printer struct {
	mu                            sync.Mutex
	f                             *filter
	out, errOut                   io.Writer
	count                         int
	printed, dups, stale, invalid int
	finished                      bool // nothing more is printed once run has reported
	done                          chan struct{}
}

func (s *printer) handle(topic string, payload []byte, qos byte, retained bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished || (s.count > 0 && s.printed >= s.count) {
		return
	}
	vd, err := s.f.handle(topic, payload)
	if vd == show && !json.Valid(payload) {
		vd, err = invalid, errors.New("payload is not JSON")
	}
	switch vd {
	case duplicate:
		s.dups++
		fmt.Fprintf(s.errOut, "ashiato-sub: duplicate track skipped on %s\n", topic)
		return
	case stale:
		s.stale++
		fmt.Fprintf(s.errOut, "ashiato-sub: stale offline will skipped on %s: %s\n", topic, payload)
		return
	case invalid:
		s.invalid++
		fmt.Fprintf(s.errOut, "ashiato-sub: INVALID on %s: %v\n", topic, err)
	}
	var raw json.RawMessage = payload
	if !json.Valid(payload) {
		raw, _ = json.Marshal(string(payload)) // still printable, as a JSON string
	}
	b, _ := json.Marshal(event.Line{Topic: topic, Payload: raw, QoS: qos, Retain: retained})
	fmt.Fprintf(s.out, "%s\n", b)
	s.printed++
	if s.count > 0 && s.printed == s.count {
		close(s.done)
	}
}
