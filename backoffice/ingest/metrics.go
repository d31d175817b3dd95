package ingest

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
)

// metrics are the collector's Prometheus metrics, all under ashiato_office_.
type metrics struct {
	messages      *prometheus.CounterVec // by broker node and topic leaf
	malformed     *prometheus.CounterVec // by reason
	stale         *prometheus.CounterVec // by topic leaf
	stored        prometheus.Counter
	dropped       *prometheus.CounterVec // by reason
	duplicates    prometheus.Counter
	writeErrors   prometheus.Counter
	batchSeconds  prometheus.Histogram
	batchMessages prometheus.Histogram
	queueDepth    prometheus.Gauge
	connected     *prometheus.GaugeVec // by broker node
}

func newMetrics(reg prometheus.Registerer, brokers []string) (*metrics, error) {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ashiato_office_messages_total",
			Help: "Messages received, by broker node and topic leaf (other: outside the contract)."}, []string{"broker", "topic"}),
		malformed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ashiato_office_messages_malformed_total",
			Help: "Messages dropped as malformed, by reason."}, []string{"reason"}),
		stale: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ashiato_office_messages_stale_total",
			Help: "Sensor status, privacy and notice messages skipped as older than what the office has (a broker node's stale retained copy), by topic leaf."},
			[]string{"topic"}),
		stored: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_tracks_stored_total",
			Help: "Track segments stored (redeliveries not counted)."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ashiato_office_tracks_dropped_total",
			Help: "Track segments recorded as dropped instead of stored, by reason (redeliveries not counted)."}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_tracks_duplicate_total",
			Help: "Track segments received again after they were stored or dropped."}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_write_errors_total",
			Help: "Batches the store failed to commit (each is retried)."}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ashiato_office_batch_seconds",
			Help: "Time to commit one batch.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		batchMessages: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ashiato_office_batch_rows",
			Help: "Rows written by one batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ashiato_office_queue_depth",
			Help: "Messages received and waiting for the batcher."}),
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ashiato_office_mqtt_connected",
			Help: "1 while the collector is connected to the broker node."}, []string{"broker"}),
	}
	for _, b := range brokers {
		m.connected.WithLabelValues(b)
		for _, l := range []string{event.LeafTracks, event.LeafStatus, event.LeafPrivacy, event.LeafStats, event.LeafNotice, "other"} {
			m.messages.WithLabelValues(b, l)
		}
	}
	for _, l := range []string{event.LeafStatus, event.LeafPrivacy, event.LeafNotice} {
		m.stale.WithLabelValues(l)
	}
	for _, r := range MalformedReasons {
		m.malformed.WithLabelValues(r)
	}
	for _, r := range []backoffice.DropReason{backoffice.DropDuration, backoffice.DropExtent, backoffice.DropExpired} {
		m.dropped.WithLabelValues(string(r))
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.messages, m.malformed, m.stale, m.stored, m.dropped, m.duplicates, m.writeErrors,
		m.batchSeconds, m.batchMessages, m.queueDepth, m.connected} {
		errs = append(errs, reg.Register(c))
	}
	return m, errors.Join(errs...)
}

func leafLabel(leaf string) string {
	if leaf == "" {
		return "other"
	}
	return leaf
}
