// Command ashiato-load simulates many sensors publishing to an MQTT broker, to measure a back office
// under the load of a chain of stores without running one agent per sensor.
//
// Usage:
//
//	ashiato-load [-broker URL] [-sensors M] [-per-store K] [-rate R] [-duration D | -tracks N] [-qos Q]
//	             [-conns C] [-status-every D] [-hz H] [-prefix P] [-client-id ID] [-seed S]
//
// Each simulated sensor publishes what an agent publishes, through the agent's own wire types
// (agent/event, agent/notice): at the start its retained notice (the demo notice, notice.Default), privacy
// ("capturing") and status ("online", with an attestation saying every safeguard is in place and tracks
// are minimised); then closed tracks, shoppers walking a 12 m × 8 m floor for a few seconds to a few
// minutes, minimised with the agent's default rules (agent/minimise); every -status-every its status again
// and its stats; and at the end its status "stopped" and privacy "stopped" (cause shutdown). Tracks are
// spread round-robin over the sensors at -rate tracks a second in total, over -conns connections; unlike
// real agents, the connections carry no last will for the sensors.
//
// The stores are <prefix>-0001, <prefix>-0002, … with -per-store sensors each, cam-1, cam-2, …; a chain of
// 3,000 stores with 4 sensors each is -sensors 12000 -per-store 4. The broker must let the generator
// publish under every sensor's topics: use a test broker, or a user whose ACL grants write on
// ashiato/v1/# (credentials from ASHIATO_LOAD_MQTT_USERNAME and ASHIATO_LOAD_MQTT_PASSWORD). The shipped
// broker configuration (deploy/mosquitto) grants that to nobody, on purpose.
//
// It prints what it published when it ends. Exit status: 0 when every track was acknowledged; 1 when a
// track was not, or a connection or retained message failed; 2 for bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ashiato-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	fs.StringVar(&c.Broker, "broker", DefaultBroker, "MQTT broker, tcp://HOST:PORT")
	fs.IntVar(&c.Sensors, "sensors", DefaultSensors, "sensors to simulate")
	fs.IntVar(&c.PerStore, "per-store", DefaultPerStore, "sensors per store")
	fs.Float64Var(&c.Rate, "rate", 10, "tracks a second, all sensors together; 0: as fast as the broker takes them")
	fs.DurationVar(&c.Duration, "duration", 0, "stop after this long (e.g. 10m); 0: after -tracks")
	fs.IntVar(&c.Tracks, "tracks", 0, "stop after this many tracks; 0: after -duration")
	qos := fs.Uint("qos", 1, "QoS of the tracks, 0 or 1 (the agent uses 1)")
	fs.IntVar(&c.Conns, "conns", DefaultConns, "MQTT connections that carry the sensors' messages")
	fs.DurationVar(&c.StatusEvery, "status-every", 10*time.Second,
		"republish each sensor's status and stats this often (the agent's mqtt.status_interval); 0: never")
	fs.Float64Var(&c.Hz, "hz", DefaultHz, "points a second the sensors track, before minimisation to at most 2")
	fs.StringVar(&c.Prefix, "prefix", DefaultPrefix, "store names are PREFIX-0001, PREFIX-0002, …")
	fs.StringVar(&c.ClientID, "client-id", DefaultClientID, "client ids are ID-1, ID-2, … (one per connection)")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the paths; 0: from the clock (track ids are always random)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ashiato-load: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *qos > 1 {
		fmt.Fprintf(stderr, "ashiato-load: -qos %d: want 0 or 1\n", *qos)
		return 2
	}
	c.QoS = byte(*qos)
	c.Username, c.Password = os.Getenv("ASHIATO_LOAD_MQTT_USERNAME"), os.Getenv("ASHIATO_LOAD_MQTT_PASSWORD")
	c.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	if err := c.withDefaults(); err != nil {
		fmt.Fprintf(stderr, "ashiato-load: %v\n", err)
		return 2
	}
	res, err := Run(ctx, c)
	report(stdout, res)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if res.Acked != res.Tracks {
		fmt.Fprintf(stderr, "ashiato-load: %d of %d tracks not acknowledged\n", res.Tracks-res.Acked, res.Tracks)
		return 1
	}
	return 0
}

// report prints a run's result.
func report(w io.Writer, r Result) {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Acked) / r.Elapsed.Seconds()
	}
	avg := 0
	if r.Tracks > 0 {
		avg = int(r.Bytes / int64(r.Tracks))
	}
	fmt.Fprintf(w, "sensors %d  tracks %d  acknowledged %d  failed %d  other messages %d\n",
		r.Sensors, r.Tracks, r.Acked, r.Failed, r.Other)
	fmt.Fprintf(w, "%.1f tracks/s over %v, %d bytes a track on average, at most %v behind schedule\n",
		rate, r.Elapsed.Round(time.Millisecond), avg, r.Behind.Round(time.Millisecond))
}
