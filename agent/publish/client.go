package publish

import (
	"crypto/tls"
	"time"
)

// client is one MQTT connection attempt: the seam between the Publisher's logic and the MQTT library. A
// client is used for a single connection and then discarded; the Publisher builds a new one for each
// attempt because the last will is fixed per connection.
type client interface {
	// connect starts connecting; the token completes when the broker accepted or refused.
	connect() token
	// publish sends m; for QoS 1 the token completes on PUBACK, for QoS 0 once written.
	publish(m Message) token
	// subscribe subscribes filter; h is called for each inbound message and must not block.
	subscribe(filter string, qos byte, h func(Message)) token
	// disconnect sends DISCONNECT (so the broker discards the will), waiting up to quiesce for work in
	// flight, and closes the connection.
	disconnect(quiesce time.Duration)
	// abort drops the network connection without DISCONNECT, so the broker publishes the will.
	abort()
}

// token is an MQTT flow in progress; paho's Token satisfies it.
type token interface {
	Done() <-chan struct{} // closed when the flow completes
	Error() error          // valid once Done is closed
}

// dialOptions is everything a client needs for one connection.
type dialOptions struct {
	broker             string // URL
	clientID           string
	username, password string
	tls                *tls.Config // nil for plain TCP
	will               Message     // Topic "" means no will
	keepAlive          time.Duration
	connectTimeout     time.Duration
	// onLost is called once, from any goroutine, when an established connection drops.
	onLost func(error)
	// maxPacket bounds the packets read from the broker (see limitConn); onSkipped is called with the size
	// of each PUBLISH dropped unread for being longer.
	maxPacket int
	onSkipped func(size int)
}
